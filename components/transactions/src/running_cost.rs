//! The running cost of a session that has not stopped: priced by the same tariff as its final
//! record, as if it ended at the newest energy register sample (what the meter confirmed so
//! far; none: its start, 0 Wh). Nothing is written. The operator API turns it into a 2.0.1
//! CostUpdated for the station to show.

use csms_contracts::transactions::RunningCost;
use csms_store::Sql;
use ocpp_protocol::timestamp::format_utc;

use crate::charge_detail_record::{self, ChargingEnd, FinishedSession};
use crate::finish::{energy_between, register_samples};
use crate::operator_close::{last_reading, load_open};
use crate::{Pricing, TxError};

/// The running cost of open transaction `transaction_id`; `NotFound` / `AlreadyStopped` as
/// for a close.
pub fn quote(
    sql: &impl Sql,
    pricing: &impl Pricing,
    transaction_id: i64,
) -> Result<RunningCost, TxError> {
    let tx = load_open(sql, transaction_id)?;
    let samples = register_samples(sql, transaction_id)?;
    let (meter_wh, as_of) = match last_reading(&tx, &samples) {
        Some(sample) => (sample.wh, sample.at),
        None => (tx.meter_start_wh, tx.started_at),
    };
    let session = FinishedSession {
        transaction_id,
        charge_point_id: &tx.charge_point_id,
        started_at: tx.started_at,
        stopped_at: as_of,
        meter_start_wh: tx.meter_start_wh,
        meter_stop_wh: meter_wh,
        samples: samples.iter().map(|r| r.sample).collect(),
        charging_end: ChargingEnd::Inferred,
    };
    let priced = charge_detail_record::quote(sql, pricing, &session)?;
    let (currency, total_incl_vat, pricing_error) = match priced {
        Ok(p) => (Some(p.currency), Some(p.total_incl_vat.to_string()), None),
        Err(e) => (None, None, Some(e)),
    };
    Ok(RunningCost {
        transaction_id,
        as_of: format_utc(as_of),
        energy_wh: energy_between(tx.meter_start_wh, meter_wh),
        currency,
        total_incl_vat,
        pricing_error,
    })
}
