//! Closing a transaction the charge point never stopped: the charge point went away, lost the
//! transaction, or its StopTransaction was lost before it reached us. Until it is closed, the
//! session is unbilled and the idTag may count as busy.
//!
//! The stop is what the meter last said: the newest `Energy.Active.Import.Register` sample of
//! the transaction gives both the stop value and the stop time. Without any sample nothing is
//! known to have been delivered, so the session ends where it started (0 Wh, 0 s) rather than
//! at the operator's click, which would bill time-based tariffs for hours no meter confirmed.
//! The record keeps who closed it (`closed_by`), and the priced charge detail record is
//! written exactly as for a charge point's stop.
//!
//! The close is an estimate: a StopTransaction that arrives later for the same transaction
//! replaces it once and re-prices the record (see [`crate::ocpp16::stop_transaction`]).

use chrono::{DateTime, Utc};
use csms_store::Sql;
use ocpp_protocol::timestamp::{format_utc, parse_utc};
use serde::Serialize;

use crate::charge_detail_record::{self, ChargingEnd, FinishedSession};
use crate::finish::{
    energy_between, energy_check, is_discrepancy, register_samples, RegisterSample,
};
use crate::{flag, Pricing, TxError};

/// `stop_reason` of an operator's close: the OCPP 1.6 reason for anything not listed.
pub const STOP_REASON: &str = "Other";

/// What the close decided, for the operator's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Closed {
    pub transaction_id: i64,
    pub charge_point_id: String,
    pub meter_stop_wh: i64,
    pub stopped_at: String,
    pub energy_wh: i64,
    pub closed_by: String,
    /// Whether a register sample gave the stop; false: ended at its start, 0 Wh.
    pub from_sample: bool,
}

pub(crate) struct Open {
    pub(crate) charge_point_id: String,
    pub(crate) meter_start_wh: i64,
    pub(crate) started_at: DateTime<Utc>,
}

/// An open session as far as the meter confirmed it: ending at its newest register sample
/// since the start, or without one at its start (0 Wh).
pub(crate) struct SoFar {
    pub(crate) transaction_id: i64,
    pub(crate) tx: Open,
    pub(crate) samples: Vec<RegisterSample>,
    pub(crate) meter_wh: i64,
    pub(crate) at: DateTime<Utc>,
    /// Whether a register sample gave the end.
    pub(crate) from_sample: bool,
}

/// Loads open transaction `transaction_id` as far as its meter confirmed it; `NotFound` /
/// `AlreadyStopped` as for a close.
pub(crate) fn so_far(sql: &impl Sql, transaction_id: i64) -> Result<SoFar, TxError> {
    let tx = load_open(sql, transaction_id)?;
    let samples = register_samples(sql, transaction_id)?;
    let last = samples
        .iter()
        .filter(|s| s.sample.at >= tx.started_at)
        .max_by_key(|s| s.sample.at)
        .map(|s| s.sample);
    let (meter_wh, at) = match last {
        Some(sample) => (sample.wh, sample.at),
        None => (tx.meter_start_wh, tx.started_at),
    };
    Ok(SoFar {
        transaction_id,
        tx,
        samples,
        meter_wh,
        at,
        from_sample: last.is_some(),
    })
}

impl SoFar {
    /// The session as if it ended there, to price.
    pub(crate) fn session(&self) -> FinishedSession<'_> {
        FinishedSession {
            transaction_id: self.transaction_id,
            charge_point_id: &self.tx.charge_point_id,
            started_at: self.tx.started_at,
            stopped_at: self.at,
            meter_start_wh: self.tx.meter_start_wh,
            meter_stop_wh: self.meter_wh,
            samples: self.samples.iter().map(|r| r.sample).collect(),
            charging_end: ChargingEnd::Inferred,
        }
    }

    pub(crate) fn energy_wh(&self) -> i64 {
        energy_between(self.tx.meter_start_wh, self.meter_wh)
    }
}

/// Closes open transaction `transaction_id` on behalf of `closed_by` (e.g. `operator`).
/// `NotFound` when there is no such transaction, `AlreadyStopped` when it was stopped.
pub fn close(
    sql: &impl Sql,
    pricing: &impl Pricing,
    transaction_id: i64,
    closed_by: &str,
    now: DateTime<Utc>,
) -> Result<Closed, TxError> {
    sql.transaction(|sql| {
        let so_far = so_far(sql, transaction_id)?;
        let (meter_stop_wh, stopped_at) = (so_far.meter_wh, so_far.at);
        let check = energy_check(so_far.tx.meter_start_wh, meter_stop_wh, &so_far.samples);
        let flag = is_discrepancy(&check).then(|| format!("energy check: {check}"));
        // Read as open inside this SQL transaction, so the update takes effect.
        sql.execute(
            &format!(
                "UPDATE transactions SET meter_stop_wh = ?1, stopped_at = ?2, stop_reason = ?3, \
                 energy_wh = ?4, energy_check = ?5, closed_by = ?6, {} \
                 WHERE id = ?7 AND stopped_at IS NULL",
                flag::assignments(8)
            ),
            &[
                meter_stop_wh.into(),
                format_utc(stopped_at).into(),
                STOP_REASON.into(),
                so_far.energy_wh().into(),
                check.into(),
                closed_by.into(),
                transaction_id.into(),
                flag.into(),
            ],
        )?;
        charge_detail_record::write(
            sql,
            pricing,
            &so_far.session(),
            now,
            charge_detail_record::Write::First,
        )?;
        Ok(Closed {
            transaction_id,
            charge_point_id: so_far.tx.charge_point_id.clone(),
            meter_stop_wh,
            stopped_at: format_utc(stopped_at),
            energy_wh: so_far.energy_wh(),
            closed_by: closed_by.to_owned(),
            from_sample: so_far.from_sample,
        })
    })
}

fn load_open(sql: &impl Sql, transaction_id: i64) -> Result<Open, TxError> {
    let rows = sql.execute(
        "SELECT charge_point_id, meter_start_wh, started_at, stopped_at FROM transactions WHERE id = ?",
        &[transaction_id.into()],
    )?;
    let Some(row) = rows.first() else {
        return Err(TxError::NotFound(format!(
            "no transaction {transaction_id}"
        )));
    };
    if let Some(stopped_at) = row.opt_text(3, "transactions.stopped_at")? {
        return Err(TxError::AlreadyStopped(format!(
            "transaction {transaction_id} was already stopped at {stopped_at}"
        )));
    }
    let started_text = row.text(2, "transactions.started_at")?;
    let started_at = parse_utc(&started_text).ok_or_else(|| {
        TxError::Store(csms_store::StoreError::Sql(format!(
            "transactions.started_at of {transaction_id} is not RFC 3339: {started_text:?}"
        )))
    })?;
    Ok(Open {
        charge_point_id: row.text(0, "transactions.charge_point_id")?,
        meter_start_wh: row.i64(1, "transactions.meter_start_wh")?,
        started_at,
    })
}
