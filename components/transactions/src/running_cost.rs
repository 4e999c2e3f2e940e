//! The running cost of a session that has not stopped: priced by the same tariff as its final
//! record, as if it ended at the newest energy register sample (what the meter confirmed so
//! far; none: its start, 0 Wh). Nothing is written. The operator API turns it into a 2.0.1
//! CostUpdated for the station to show.

use csms_contracts::transactions::RunningCost;
use csms_store::Sql;
use ocpp_protocol::timestamp::format_utc;

use crate::charge_detail_record;
use crate::operator_close::so_far;
use crate::{Pricing, TxError};

/// The running cost of open transaction `transaction_id`; `NotFound` / `AlreadyStopped` as
/// for a close.
pub fn quote(
    sql: &impl Sql,
    pricing: &impl Pricing,
    transaction_id: i64,
) -> Result<RunningCost, TxError> {
    let so_far = so_far(sql, transaction_id)?;
    let priced = charge_detail_record::quote(sql, pricing, &so_far.session())?;
    let (currency, total_incl_vat, pricing_error) = match priced {
        Ok(p) => (Some(p.currency), Some(p.total_incl_vat.to_string()), None),
        Err(e) => (None, None, Some(e)),
    };
    Ok(RunningCost {
        transaction_id,
        as_of: format_utc(so_far.at),
        energy_wh: so_far.energy_wh(),
        currency,
        total_incl_vat,
        pricing_error,
    })
}
