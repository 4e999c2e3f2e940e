//! Whether a station's registration admits a message it sent ([`Gate`] per action, from the
//! connection component's routing tables): checked by the component that opens the database
//! for the message, the connection component for what it handles and the transactions
//! component for what it is forwarded.

use chrono::{DateTime, Utc};
use csms_contracts::registration::Gate;
use csms_store::Sql;

use crate::operations::trigger_message;
use crate::CommandError;

/// Whether `gate` lets the charge point send `action` now: Accepted stations send anything,
/// Pending ones what their gate allows and what the central system asked for with a
/// TriggerMessage the station accepted within `trigger_window_seconds`; unknown and Rejected
/// stations only what is always allowed.
pub fn admits(
    sql: &impl Sql,
    charge_point_id: &str,
    action: &str,
    gate: Gate,
    now: DateTime<Utc>,
    trigger_window_seconds: i64,
) -> Result<bool, CommandError> {
    if gate == Gate::Always {
        return Ok(true);
    }
    let rows = sql.execute(
        "SELECT registration_status FROM charge_points WHERE id = ?",
        &[charge_point_id.into()],
    )?;
    let status = match rows.first() {
        Some(row) => row.text(0, "charge_points.registration_status")?,
        None => return Ok(false),
    };
    Ok(match status.as_str() {
        "Accepted" => true,
        "Pending" if gate == Gate::WhilePending => true,
        "Pending" => {
            trigger_message::triggered(sql, charge_point_id, action, now, trigger_window_seconds)
                .unwrap_or_else(|e| {
                    eprintln!("{charge_point_id}: reading its triggered messages: {e}");
                    false
                })
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::answered_as;
    use crate::test_support::{at, db};
    use ocpp_protocol::OcppVersion;
    use serde_json::json;

    fn register(db: &crate::test_support::Db, id: &str, status: &str) {
        db.sql
            .execute(
                "INSERT INTO charge_points (id, registration_status, created_at, updated_at) \
                 VALUES (?, ?, 'x', 'x')",
                &[id.into(), status.into()],
            )
            .unwrap();
    }

    #[test]
    fn each_registration_state_is_admitted_what_its_gate_allows() {
        let db = db();
        let now = at("2026-12-07T08:00:00Z");
        register(&db, "ACC", "Accepted");
        register(&db, "PEN", "Pending");
        register(&db, "REJ", "Rejected");
        let admits = |cp, gate| admits(&db.sql, cp, "MeterValues", gate, now, 60).unwrap();
        for cp in ["ACC", "PEN", "REJ", "UNKNOWN"] {
            assert!(admits(cp, Gate::Always), "{cp}");
        }
        assert!(admits("ACC", Gate::Accepted));
        assert!(admits("ACC", Gate::WhilePending));
        assert!(admits("PEN", Gate::WhilePending));
        assert!(!admits("PEN", Gate::Accepted));
        assert!(!admits("REJ", Gate::WhilePending));
        assert!(!admits("UNKNOWN", Gate::WhilePending));
    }

    #[test]
    fn a_pending_station_sends_what_a_trigger_it_accepted_asked_for() {
        let db = db();
        let now = at("2026-11-23T20:00:00Z");
        register(&db, "CP1", "Pending");
        answered_as(
            &db,
            OcppVersion::V201,
            "TriggerMessage",
            json!({"requestedMessage": "MeterValues", "evse": {"id": 1}}),
            json!({"status": "Accepted"}),
            now,
        );
        assert!(admits(&db.sql, "CP1", "MeterValues", Gate::Accepted, now, 60).unwrap());
        assert!(!admits(&db.sql, "CP1", "TransactionEvent", Gate::Accepted, now, 60).unwrap());
    }
}
