//! CancelReservation: an `Accepted` answer ends the charge point's active reservation with
//! that id as cancelled. `Rejected` (no such reservation on the charge point) changes nothing.

use csms_store::Sql;
use serde_json::Value;

use crate::reservations::cancel;
use crate::store::Command;
use crate::CommandError;

pub(super) fn apply(
    sql: &impl Sql,
    command: &Command,
    response: &Value,
    now: &str,
) -> Result<(), CommandError> {
    if response.get("status").and_then(Value::as_str) != Some("Accepted") {
        return Ok(());
    }
    match command.request.get("reservationId").and_then(Value::as_i64) {
        Some(reservation_id) => cancel(sql, &command.charge_point_id, reservation_id, now),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use crate::operations::answered;
    use crate::reservations::list_for;
    use crate::test_support::{at, db};
    use serde_json::json;

    #[test]
    fn an_accepted_cancel_ends_the_reservation_and_a_rejected_one_does_not() {
        let db = db();
        let now = at("2026-11-23T20:00:00Z");
        for id in [7, 8] {
            answered(
                &db,
                "ReserveNow",
                json!({"reservationId": id, "connectorId": 0, "idTag": "ALICE", "expiryDate": "2026-11-23T21:00:00Z"}),
                json!({"status": "Accepted"}),
                now,
            );
        }
        answered(
            &db,
            "CancelReservation",
            json!({"reservationId": 7}),
            json!({"status": "Accepted"}),
            now,
        );
        answered(
            &db,
            "CancelReservation",
            json!({"reservationId": 8}),
            json!({"status": "Rejected"}),
            now,
        );
        let states: Vec<(i64, String)> = list_for(&db.sql, "CP1", None, None, 10, now)
            .unwrap()
            .into_iter()
            .map(|r| (r.reservation_id, r.state))
            .collect();
        assert_eq!(states, vec![(8, "active".into()), (7, "cancelled".into())]);
    }
}
