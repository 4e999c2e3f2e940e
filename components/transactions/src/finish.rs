//! Finishing a transaction, whatever the version that reported its end: the final energy,
//! a consistency check of the register readings, flags, and the charge detail record.
//!
//! Energy is `stop - start`, saturating: meter values are unbounded integers on the wire, and
//! a wrapped difference would bill a negative session as a huge one. A discrepancy with the
//! register samples flags the transaction. A finish that replaces an operator's close (the
//! station's own end arrived later) re-prices the record and keeps the estimate in
//! `replaced_close`.

use chrono::{DateTime, Utc};
use csms_store::Sql;
use ocpp_protocol::timestamp::{format_utc, parse_utc};
use serde_json::{json, Value};

use crate::charge_detail_record::{self, ChargingEnd, FinishedSession};
use crate::sampled_value::DEFAULT_MEASURAND;
use crate::{flag, EnergySample, Pricing, TxError};

/// The transaction as the stop needs it.
pub(crate) struct OpenTransaction {
    pub connector_id: i64,
    pub id_tag: String,
    pub meter_start_wh: i64,
    pub started_at: DateTime<Utc>,
    pub stop: Option<RecordedStop>,
}

/// How a stopped transaction was stopped.
pub(crate) struct RecordedStop {
    meter_stop_wh: Option<i64>,
    stopped_at: String,
    /// Set when an operator closed it.
    closed_by: Option<String>,
    /// Whether a charge point's stop already replaced that close.
    replaced: bool,
}

impl RecordedStop {
    /// An operator's close not yet replaced by the charge point's own stop.
    pub(crate) fn is_operator_estimate(&self) -> bool {
        self.closed_by.is_some() && !self.replaced
    }

    fn as_json(&self, replaced_at: &str) -> Value {
        json!({
            "meter_stop_wh": self.meter_stop_wh,
            "stopped_at": self.stopped_at,
            "closed_by": self.closed_by,
            "replaced_at": replaced_at,
        })
    }
}

/// `meterStop - meterStart` in Wh, saturating instead of wrapping.
pub(crate) fn energy_between(meter_start_wh: i64, meter_stop_wh: i64) -> i64 {
    meter_stop_wh.saturating_sub(meter_start_wh)
}

pub(crate) fn load(
    sql: &impl Sql,
    charge_point_id: &str,
    id: i64,
) -> Result<Option<OpenTransaction>, TxError> {
    let rows = sql.execute(
        "SELECT connector_id, id_tag, meter_start_wh, started_at, stopped_at, meter_stop_wh, \
         closed_by, replaced_close IS NOT NULL FROM transactions WHERE id = ? AND charge_point_id = ?",
        &[id.into(), charge_point_id.into()],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let started_at_text = row.text(3, "transactions.started_at")?;
    let started_at = parse_utc(&started_at_text).ok_or_else(|| {
        TxError::Store(csms_store::StoreError::Sql(format!(
            "transactions.started_at of {id} is not RFC 3339: {started_at_text:?}"
        )))
    })?;
    Ok(Some(OpenTransaction {
        connector_id: row.i64(0, "transactions.connector_id")?,
        id_tag: row.text(1, "transactions.id_tag")?,
        meter_start_wh: row.i64(2, "transactions.meter_start_wh")?,
        started_at,
        stop: match row.opt_text(4, "transactions.stopped_at")? {
            None => None,
            Some(stopped_at) => Some(RecordedStop {
                meter_stop_wh: row.opt_i64(5, "transactions.meter_stop_wh")?,
                stopped_at,
                closed_by: row.opt_text(6, "transactions.closed_by")?,
                replaced: row.i64(7, "transactions.replaced_close")? != 0,
            }),
        },
    }))
}

/// How a session ended, as the station reported it.
pub(crate) struct StopFacts<'a> {
    pub meter_stop_wh: i64,
    pub stopped_at: DateTime<Utc>,
    /// 1.6 `reason`, 2.0.1 `stoppedReason`.
    pub reason: String,
    /// The token that stopped it, if one did.
    pub stop_id_tag: Option<&'a str>,
    /// Set when that token neither started the transaction nor shares its group.
    pub foreign_stop_tag: Option<&'a str>,
    pub charging_end: ChargingEnd,
    /// The station's own earlier end, revised because an event it sent before arrived late
    /// (2.0.1 offline queues are not in order): the record is re-priced in place.
    pub revises_own_stop: bool,
}

/// Stops transaction `id` (open, or closed by an operator's estimate) with `stop`, checks its
/// energy and writes its charge detail record.
pub(crate) fn finish(
    sql: &impl Sql,
    pricing: &impl Pricing,
    now: DateTime<Utc>,
    charge_point_id: &str,
    id: i64,
    tx: &OpenTransaction,
    stop: &StopFacts<'_>,
) -> Result<(), TxError> {
    let received_at = format_utc(now);
    let samples = register_samples(sql, id)?;
    let energy_check = energy_check(tx.meter_start_wh, stop.meter_stop_wh, &samples);
    let mut flags = Vec::new();
    if let Some(tag) = stop.foreign_stop_tag {
        flags.push(format!(
            "stopped by idTag {tag} which neither started the transaction ({}) nor shares its parent idTag",
            tx.id_tag
        ));
    }
    if is_discrepancy(&energy_check) {
        flags.push(format!("energy check: {energy_check}"));
    }
    let estimate = tx.stop.as_ref().filter(|s| s.is_operator_estimate());
    let replaced = estimate.map(|s| s.as_json(&received_at));
    if let Some(previous) = estimate {
        flags.push(format!(
            "the charge point's stop (meter {} Wh at {}) arrived after {} closed the \
             transaction at {} Wh at {}; the charge detail record was re-priced",
            stop.meter_stop_wh,
            format_utc(stop.stopped_at),
            previous.closed_by.as_deref().unwrap_or("an operator"),
            previous
                .meter_stop_wh
                .map_or_else(|| "?".to_owned(), |wh| wh.to_string()),
            previous.stopped_at,
        ));
    }
    let flag = (!flags.is_empty()).then(|| flags.join("; "));
    sql.execute(
        &format!(
            "UPDATE transactions SET meter_stop_wh = ?1, stopped_at = ?2, stop_reason = ?3, stop_id_tag = ?4, \
             energy_wh = ?5, energy_check = ?6, {}, replaced_close = COALESCE(?9, replaced_close) \
             WHERE id = ?8 AND (?10 = 1 OR stopped_at IS NULL OR (closed_by IS NOT NULL AND replaced_close IS NULL))",
            flag::assignments(7)
        ),
        &[
            stop.meter_stop_wh.into(),
            format_utc(stop.stopped_at).into(),
            stop.reason.as_str().into(),
            stop.stop_id_tag.map(str::to_owned).into(),
            energy_between(tx.meter_start_wh, stop.meter_stop_wh).into(),
            energy_check.into(),
            flag.into(),
            id.into(),
            replaced.map(|r| r.to_string()).into(),
            stop.revises_own_stop.into(),
        ],
    )?;
    let session = FinishedSession {
        transaction_id: id,
        charge_point_id,
        started_at: tx.started_at,
        stopped_at: stop.stopped_at,
        meter_start_wh: tx.meter_start_wh,
        meter_stop_wh: stop.meter_stop_wh,
        samples: samples.iter().map(|r| r.sample).collect(),
        charging_end: stop.charging_end,
    };
    let revision = if tx.stop.is_some() {
        charge_detail_record::Write::Revision
    } else {
        charge_detail_record::Write::First
    };
    charge_detail_record::write(sql, pricing, &session, now, revision)
}

/// A reading of the transaction's total energy import register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterSample {
    pub sample: EnergySample,
    /// Sent with context `Transaction.End`: the reading at the stop itself.
    pub at_end: bool,
}

/// The transaction's `Energy.Active.Import.Register` readings in Wh: the total (no phase), at
/// the outlet (the default location), in time order.
pub(crate) fn register_samples(
    sql: &impl Sql,
    transaction_id: i64,
) -> Result<Vec<RegisterSample>, TxError> {
    let rows = sql.execute(
        "SELECT sampled_at, value_wh, context FROM meter_values WHERE transaction_id = ? AND measurand = ? \
         AND value_wh IS NOT NULL AND phase IS NULL AND (location IS NULL OR location = 'Outlet') \
         ORDER BY julianday(sampled_at), id",
        &[transaction_id.into(), DEFAULT_MEASURAND.into()],
    )?;
    let mut samples = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(at) = parse_utc(&row.text(0, "meter_values.sampled_at")?) else {
            continue;
        };
        samples.push(RegisterSample {
            sample: EnergySample {
                at,
                wh: row.i64(1, "meter_values.value_wh")?,
            },
            at_end: row.opt_text(2, "meter_values.context")?.as_deref() == Some("Transaction.End"),
        });
    }
    Ok(samples)
}

/// The [`energy_check`] verdict when every sample fits.
pub const CONSISTENT: &str = "consistent";
/// The [`energy_check`] verdict when there is nothing to compare with.
pub const NO_REGISTER_SAMPLES: &str = "no register samples";

/// Whether an [`energy_check`] verdict reports a discrepancy, which an operator must look at.
pub fn is_discrepancy(check: &str) -> bool {
    check != CONSISTENT && check != NO_REGISTER_SAMPLES
}

/// Compares meterStart and meterStop with the register samples: `consistent` when every
/// sample lies between them (and a `Transaction.End` sample equals meterStop), `no register
/// samples` when there are none, else a sentence per discrepancy, with its size in Wh.
pub fn energy_check(meter_start_wh: i64, meter_stop_wh: i64, samples: &[RegisterSample]) -> String {
    let mut problems = Vec::new();
    if meter_stop_wh < meter_start_wh {
        problems.push(format!(
            "meterStop {meter_stop_wh} Wh is {} Wh below meterStart {meter_start_wh} Wh",
            energy_between(meter_stop_wh, meter_start_wh)
        ));
    }
    if let Some(max) = samples.iter().map(|s| s.sample.wh).max() {
        if max > meter_stop_wh {
            problems.push(format!(
                "max register sample {max} Wh differs from meterStop {meter_stop_wh} Wh by {} Wh",
                energy_between(meter_stop_wh, max)
            ));
        }
    }
    if let Some(min) = samples.iter().map(|s| s.sample.wh).min() {
        if min < meter_start_wh {
            problems.push(format!(
                "min register sample {min} Wh is {} Wh below meterStart {meter_start_wh} Wh",
                energy_between(min, meter_start_wh)
            ));
        }
    }
    if let Some(end) = samples.iter().rev().find(|s| s.at_end) {
        if end.sample.wh < meter_stop_wh {
            problems.push(format!(
                "Transaction.End register sample {} Wh differs from meterStop {meter_stop_wh} Wh by {} Wh",
                end.sample.wh,
                energy_between(end.sample.wh, meter_stop_wh)
            ));
        }
    }
    if !problems.is_empty() {
        problems.join("; ")
    } else if samples.is_empty() {
        NO_REGISTER_SAMPLES.to_owned()
    } else {
        CONSISTENT.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(minute: i64, wh: i64, at_end: bool) -> RegisterSample {
        RegisterSample {
            sample: EnergySample {
                at: "2026-05-04T10:00:00Z".parse::<DateTime<Utc>>().unwrap()
                    + chrono::Duration::minutes(minute),
                wh,
            },
            at_end,
        }
    }

    #[test]
    fn samples_between_start_and_stop_are_consistent() {
        assert_eq!(
            energy_check(1_000, 9_000, &[s(1, 4_000, false), s(2, 8_800, false)]),
            "consistent"
        );
        assert_eq!(
            energy_check(1_000, 9_000, &[s(1, 4_000, false), s(2, 9_000, true)]),
            "consistent"
        );
        assert_eq!(energy_check(1_000, 9_000, &[]), "no register samples");
    }

    #[test]
    fn a_register_sample_beyond_meter_stop_is_reported_with_the_difference() {
        assert_eq!(
            energy_check(1_000, 9_000, &[s(1, 9_250, false)]),
            "max register sample 9250 Wh differs from meterStop 9000 Wh by 250 Wh"
        );
    }

    #[test]
    fn a_transaction_end_sample_must_equal_meter_stop() {
        assert_eq!(
            energy_check(1_000, 9_000, &[s(1, 8_990, true)]),
            "Transaction.End register sample 8990 Wh differs from meterStop 9000 Wh by 10 Wh"
        );
    }

    #[test]
    fn meter_values_at_the_ends_of_i64_give_a_saturated_difference_not_a_wrapped_one() {
        assert_eq!(energy_between(-5, i64::MAX), i64::MAX);
        assert_eq!(energy_between(i64::MAX, i64::MIN), i64::MIN);
        let check = energy_check(i64::MAX, i64::MIN, &[s(1, 0, false)]);
        assert!(check.starts_with(&format!(
            "meterStop {} Wh is {} Wh below meterStart",
            i64::MIN,
            i64::MAX
        )));
        assert!(is_discrepancy(&check));
        assert!(!is_discrepancy(CONSISTENT) && !is_discrepancy(NO_REGISTER_SAMPLES));
    }

    #[test]
    fn a_meter_running_backwards_is_reported() {
        assert_eq!(
            energy_check(5_000, 4_000, &[s(1, 900, false)]),
            "meterStop 4000 Wh is 1000 Wh below meterStart 5000 Wh; \
             min register sample 900 Wh is 4100 Wh below meterStart 5000 Wh"
        );
    }
}
