//! CostUpdated every N minutes (Spin variable `cost_updated_interval_minutes`; empty: off).
//!
//! Spin has no timers, so the station's own messages drive it: a TransactionEvent of an ongoing
//! 2.0.1 session that arrives N minutes or more after the session's last cost update (or its
//! start) queues a CostUpdated with the running cost ([`crate::running_cost`]), in the same SQL
//! transaction as the event. The connection component sends it right after the event's answer,
//! as it sends any queued command. A session that cannot be priced gets none.

use chrono::{DateTime, Duration, Utc};
use csms_store::Sql;
use ocpp_protocol::timestamp::{format_utc, parse_utc};
use ocpp_protocol::OcppVersion;
use serde_json::json;

use crate::{running_cost, Pricing, TxError};

/// Parses the variable: `None` when empty, else a positive number of minutes.
pub fn interval(value: Option<&str>) -> Result<Option<Duration>, String> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => match text.parse::<i64>() {
            Ok(minutes) if minutes > 0 => Ok(Some(Duration::minutes(minutes))),
            _ => Err(format!(
                "variable cost_updated_interval_minutes = {text:?}: a positive number of minutes, or empty"
            )),
        },
    }
}

/// Queues a CostUpdated for open transaction `transaction_id` (station id `station_id`) when
/// the last one, or the start, is at least `every` before `now`; returns the queued command.
pub fn queue_if_due(
    sql: &impl Sql,
    pricing: &impl Pricing,
    charge_point_id: &str,
    transaction_id: i64,
    station_id: &str,
    every: Duration,
    now: DateTime<Utc>,
) -> Result<Option<i64>, TxError> {
    let rows = sql.execute(
        "SELECT COALESCE(cost_updated_at, started_at) FROM transactions WHERE id = ? AND stopped_at IS NULL",
        &[transaction_id.into()],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    // An unreadable time counts as long ago: the session gets its update rather than none.
    let due = parse_utc(&row.text(0, "transactions.cost_updated_at")?)
        .is_none_or(|last| now - last >= every);
    if !due {
        return Ok(None);
    }
    let cost = running_cost::quote(sql, pricing, transaction_id)?;
    let Some(total) = cost
        .total_incl_vat
        .as_deref()
        .and_then(csms_contracts::transactions::total_cost)
    else {
        return Ok(None);
    };
    let request = json!({"totalCost": total, "transactionId": station_id});
    let command_id = csms_commands::store::insert(
        sql,
        charge_point_id,
        OcppVersion::V201,
        "CostUpdated",
        &request,
        now,
    )
    .map_err(csms_store::StoreError::from)?;
    sql.execute(
        "UPDATE transactions SET cost_updated_at = ? WHERE id = ?",
        &[format_utc(now).into(), transaction_id.into()],
    )?;
    Ok(Some(command_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_is_off_when_empty_and_must_be_positive_minutes() {
        assert_eq!(interval(None), Ok(None));
        assert_eq!(interval(Some(" ")), Ok(None));
        assert_eq!(interval(Some("15")), Ok(Some(Duration::minutes(15))));
        assert!(interval(Some("0")).is_err());
        assert!(interval(Some("a")).is_err());
    }
}
