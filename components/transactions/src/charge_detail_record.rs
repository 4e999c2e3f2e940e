//! The charge detail record of a finished session: energy, duration split into charging and
//! idle time, and the price from the charge point's tariff.
//!
//! The tariff is `charge_points.tariff_id` -> `tariffs.definition` (JSON, read only by the
//! tariff component), the time zone `charge_points.time_zone`. Without a tariff, or when
//! pricing fails, the record is still written, with `pricing_error` saying why and the totals
//! NULL: the session happened and must be on record whatever its price.

use chrono::{DateTime, Utc};
use csms_store::Sql;
use ocpp_protocol::timestamp::format_utc;
use serde_json::json;

use crate::{EnergySample, PricedSession, Pricing, SessionFacts, TxError};

/// A finished session, as the stop knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinishedSession<'a> {
    pub transaction_id: i64,
    pub charge_point_id: &'a str,
    pub started_at: DateTime<Utc>,
    pub stopped_at: DateTime<Utc>,
    pub meter_start_wh: i64,
    pub meter_stop_wh: i64,
    /// The transaction's `Energy.Active.Import.Register` readings.
    pub samples: Vec<EnergySample>,
    pub charging_end: ChargingEnd,
}

/// Where the end of charging (the start of idle, parking, time) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargingEnd {
    /// Inferred from the register readings ([`charging_ended_at`]): 1.6 says nothing else.
    Inferred,
    /// What the station's 2.0.1 `chargingState` timeline says: `None` when it was still
    /// charging at the end (or never said), else when it last left `Charging`.
    Reported(Option<DateTime<Utc>>),
}

/// When energy stopped flowing: the time of the last register reading that shows an increase,
/// if a later reading (the stop's included) shows none. `None` when energy still increased up
/// to the stop reading, i.e. the whole session was charging. A session that delivered nothing
/// was idle from its start. Readings outside the session, and readings above the stop value
/// (a bad read: taken as is, it would end charging there and bill the rest as parking), are
/// ignored.
pub fn charging_ended_at(
    started_at: DateTime<Utc>,
    stopped_at: DateTime<Utc>,
    meter_start_wh: i64,
    meter_stop_wh: i64,
    samples: &[EnergySample],
) -> Option<DateTime<Utc>> {
    if stopped_at <= started_at {
        return None;
    }
    let mut inside: Vec<EnergySample> = samples
        .iter()
        .filter(|s| s.at > started_at && s.at < stopped_at && s.wh <= meter_stop_wh)
        .copied()
        .collect();
    inside.sort_by_key(|s| s.at);
    let mut highest = meter_start_wh;
    let mut last_increase = started_at;
    for s in inside {
        if s.wh > highest {
            highest = s.wh;
            last_increase = s.at;
        }
    }
    if meter_stop_wh > highest {
        None
    } else {
        Some(last_increase)
    }
}

/// Seconds of the session, of charging and of idle time after charging ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Durations {
    pub duration_s: i64,
    pub charging_s: i64,
    pub idle_s: i64,
}

impl Durations {
    pub fn of(
        started_at: DateTime<Utc>,
        stopped_at: DateTime<Utc>,
        charging_ended_at: Option<DateTime<Utc>>,
    ) -> Self {
        let duration_s = (stopped_at - started_at).num_seconds().max(0);
        let charging_s = match charging_ended_at {
            Some(end) => (end - started_at).num_seconds().clamp(0, duration_s),
            None => duration_s,
        };
        Durations {
            duration_s,
            charging_s,
            idle_s: duration_s - charging_s,
        }
    }
}

/// The charge point's tariff assignment.
struct TariffAssignment {
    tariff_id: Option<String>,
    definition: Option<String>,
    time_zone: String,
}

fn tariff_of(sql: &impl Sql, charge_point_id: &str) -> Result<Option<TariffAssignment>, TxError> {
    let rows = sql.execute(
        "SELECT cp.tariff_id, t.definition, cp.time_zone FROM charge_points cp \
         LEFT JOIN tariffs t ON t.id = cp.tariff_id WHERE cp.id = ?",
        &[charge_point_id.into()],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    Ok(Some(TariffAssignment {
        tariff_id: row
            .opt_text(0, "charge_points.tariff_id")?
            .filter(|t| !t.is_empty()),
        definition: row.opt_text(1, "tariffs.definition")?,
        time_zone: row.text(2, "charge_points.time_zone")?,
    }))
}

/// What was priced, or why not, and with which tariff.
struct PricingOutcome {
    tariff_id: Option<String>,
    result: Result<PricedSession, String>,
}

fn price(
    sql: &impl Sql,
    pricing: &impl Pricing,
    session: &FinishedSession<'_>,
    charging_ended_at: Option<DateTime<Utc>>,
) -> Result<PricingOutcome, TxError> {
    let cp = session.charge_point_id;
    let Some(assignment) = tariff_of(sql, cp)? else {
        return Ok(PricingOutcome {
            tariff_id: None,
            result: Err(format!(
                "charge point {cp} is not registered, so it has no tariff"
            )),
        });
    };
    let Some(tariff_id) = assignment.tariff_id else {
        return Ok(PricingOutcome {
            tariff_id: None,
            result: Err(format!("no tariff is assigned to charge point {cp}")),
        });
    };
    let Some(definition) = assignment.definition else {
        return Ok(PricingOutcome {
            result: Err(format!(
                "tariff {tariff_id:?} assigned to charge point {cp} does not exist"
            )),
            tariff_id: Some(tariff_id),
        });
    };
    let facts = SessionFacts {
        started_at: session.started_at,
        stopped_at: session.stopped_at,
        charging_ended_at,
        time_zone: assignment.time_zone,
        meter_start_wh: session.meter_start_wh,
        meter_stop_wh: session.meter_stop_wh,
        samples: session.samples.clone(),
    };
    let result = pricing
        .price_session(&facts, &definition)
        .map_err(|e| format!("pricing with tariff {tariff_id:?}: {e}"));
    Ok(PricingOutcome {
        tariff_id: Some(tariff_id),
        result,
    })
}

/// Whether a record is written for the first time or revised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Fails if the transaction has a record already: a billed record is never overwritten
    /// by accident.
    First,
    /// Replaces the priced values, keeps `created_at` and sets `revised_at`: the charge
    /// point's own stop replacing an operator's estimate.
    Revision,
}

/// When charging ended: as reported, or inferred from the register samples.
fn charging_end_of(session: &FinishedSession<'_>) -> Option<DateTime<Utc>> {
    match session.charging_end {
        ChargingEnd::Reported(at) => at,
        ChargingEnd::Inferred => charging_ended_at(
            session.started_at,
            session.stopped_at,
            session.meter_start_wh,
            session.meter_stop_wh,
            &session.samples,
        ),
    }
}

/// Prices `session` without writing anything: the running cost of a session not stopped yet.
/// `Ok(Err(reason))` when it cannot be priced (no tariff, a tariff that fails).
pub fn quote(
    sql: &impl Sql,
    pricing: &impl Pricing,
    session: &FinishedSession<'_>,
) -> Result<Result<PricedSession, String>, TxError> {
    let charging_ended_at = charging_end_of(session);
    Ok(price(sql, pricing, session, charging_ended_at)?.result)
}

/// Prices `session` and writes its `charge_detail_records` row. Pricing failures end up in
/// `pricing_error`, never in an error.
pub fn write(
    sql: &impl Sql,
    pricing: &impl Pricing,
    session: &FinishedSession<'_>,
    now: DateTime<Utc>,
    mode: Write,
) -> Result<(), TxError> {
    let charging_ended_at = charging_end_of(session);
    let durations = Durations::of(session.started_at, session.stopped_at, charging_ended_at);
    let priced = price(sql, pricing, session, charging_ended_at)?;
    let (tariff_id, currency, totals, breakdown, pricing_error) = match priced.result {
        Ok(p) => (
            Some(p.tariff_id.clone()),
            Some(p.currency.clone()),
            Some((
                p.total_excl_vat.to_string(),
                p.vat_amount.to_string(),
                p.total_incl_vat.to_string(),
            )),
            Some(json!(p).to_string()),
            None,
        ),
        Err(e) => (priced.tariff_id, None, None, None, Some(e)),
    };
    let (excl, vat, incl) = match totals {
        Some((a, b, c)) => (Some(a), Some(b), Some(c)),
        None => (None, None, None),
    };
    let on_conflict = match mode {
        Write::First => "",
        Write::Revision => {
            " ON CONFLICT (transaction_id) DO UPDATE SET tariff_id = excluded.tariff_id, \
             currency = excluded.currency, energy_wh = excluded.energy_wh, \
             duration_s = excluded.duration_s, charging_s = excluded.charging_s, \
             idle_s = excluded.idle_s, total_excl_vat = excluded.total_excl_vat, \
             vat_amount = excluded.vat_amount, total_incl_vat = excluded.total_incl_vat, \
             priced = excluded.priced, pricing_error = excluded.pricing_error, \
             revised_at = excluded.created_at"
        }
    };
    sql.execute(
        &format!(
            "INSERT INTO charge_detail_records (transaction_id, tariff_id, currency, energy_wh, duration_s, \
             charging_s, idle_s, total_excl_vat, vat_amount, total_incl_vat, priced, pricing_error, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?){on_conflict}"
        ),
        &[
            session.transaction_id.into(),
            tariff_id.into(),
            currency.into(),
            crate::finish::energy_between(session.meter_start_wh, session.meter_stop_wh).into(),
            durations.duration_s.into(),
            durations.charging_s.into(),
            durations.idle_s.into(),
            excl.into(),
            vat.into(),
            incl.into(),
            breakdown.into(),
            pricing_error.into(),
            format_utc(now).into(),
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        "2026-05-04T10:00:00Z".parse::<DateTime<Utc>>().unwrap() + chrono::Duration::minutes(minute)
    }

    fn sample(minute: i64, wh: i64) -> EnergySample {
        EnergySample { at: at(minute), wh }
    }

    #[test]
    fn idle_time_starts_at_the_last_sample_where_energy_increased() {
        let samples = [
            sample(30, 5_000),
            sample(60, 9_000),
            sample(90, 9_000),
            sample(100, 9_000),
        ];
        let end = charging_ended_at(at(0), at(120), 1_000, 9_000, &samples);
        assert_eq!(end, Some(at(60)));
        let d = Durations::of(at(0), at(120), end);
        assert_eq!(
            (d.duration_s, d.charging_s, d.idle_s),
            (7_200, 3_600, 3_600)
        );
    }

    #[test]
    fn a_reading_above_the_stop_value_does_not_end_charging() {
        let samples = [sample(30, 5_000), sample(60, 99_999), sample(90, 15_000)];
        assert_eq!(charging_ended_at(at(0), at(120), 0, 20_000, &samples), None);
    }

    #[test]
    fn energy_rising_until_the_stop_means_no_idle_time() {
        let samples = [sample(30, 5_000), sample(60, 9_000)];
        assert_eq!(
            charging_ended_at(at(0), at(120), 1_000, 9_500, &samples),
            None
        );
        assert_eq!(charging_ended_at(at(0), at(120), 1_000, 9_500, &[]), None);
        let d = Durations::of(at(0), at(120), None);
        assert_eq!((d.charging_s, d.idle_s), (7_200, 0));
    }

    #[test]
    fn a_session_without_energy_is_idle_throughout() {
        assert_eq!(
            charging_ended_at(at(0), at(30), 1_000, 1_000, &[]),
            Some(at(0))
        );
        let d = Durations::of(at(0), at(30), Some(at(0)));
        assert_eq!((d.duration_s, d.charging_s, d.idle_s), (1_800, 0, 1_800));
    }

    #[test]
    fn samples_outside_the_session_and_out_of_order_are_handled() {
        let samples = [
            sample(90, 9_000),
            sample(-5, 50_000),
            sample(30, 5_000),
            sample(200, 99_999),
        ];
        assert_eq!(
            charging_ended_at(at(0), at(120), 1_000, 9_000, &samples),
            Some(at(90))
        );
    }

    #[test]
    fn a_stop_before_the_start_has_zero_durations() {
        let d = Durations::of(at(10), at(0), None);
        assert_eq!((d.duration_s, d.charging_s, d.idle_s), (0, 0, 0));
        assert_eq!(charging_ended_at(at(10), at(0), 0, 10, &[]), None);
    }
}
