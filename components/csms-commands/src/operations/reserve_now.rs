//! ReserveNow: an `Accepted` answer means the charge point now holds the reservation, so it is
//! stored (replacing an active one with the same reservation id, and ending as `replaced` any
//! other active one on the same connector, which the charge point evidently no longer holds).
//! Faulted, Occupied,
//! Rejected and Unavailable reserve nothing.

use csms_store::Sql;
use ocpp_protocol::timestamp::{format_utc, parse_utc};
use ocpp_protocol::OcppVersion;
use serde_json::Value;

use super::text_at;
use crate::reservations::{accept, Accepted};
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
    let request = &command.request;
    // The request was validated against its version's schema when it was queued; 2.0.1
    // reserves an EVSE (none: the station), 1.6 a connector (0: the station).
    let (reservation_id, connector_id, id_tag, expiry, parent) = match command.version() {
        OcppVersion::V16 => (
            request.get("reservationId").and_then(Value::as_i64),
            request.get("connectorId").and_then(Value::as_i64),
            text_at(request, &["idTag"]),
            text_at(request, &["expiryDate"]),
            text_at(request, &["parentIdTag"]),
        ),
        OcppVersion::V201 => (
            request.get("id").and_then(Value::as_i64),
            Some(request.get("evseId").and_then(Value::as_i64).unwrap_or(0)),
            text_at(request, &["idToken", "idToken"]),
            text_at(request, &["expiryDateTime"]),
            text_at(request, &["groupIdToken", "idToken"]),
        ),
    };
    let (Some(reservation_id), Some(connector_id), Some(id_tag), Some(expiry_date)) = (
        reservation_id,
        connector_id,
        id_tag,
        expiry.and_then(parse_utc),
    ) else {
        return Ok(());
    };
    accept(
        sql,
        &Accepted {
            charge_point_id: &command.charge_point_id,
            reservation_id,
            connector_id,
            id_tag,
            parent_id_tag: parent,
            expiry_date: format_utc(expiry_date),
            command_id: command.id,
        },
        now,
    )
}

#[cfg(test)]
mod tests {
    use crate::operations::answered;
    use crate::reservations::list_for;
    use crate::test_support::{at, db};
    use serde_json::json;

    fn reserve(id: i64, connector: i64, tag: &str, expiry: &str) -> serde_json::Value {
        json!({"reservationId": id, "connectorId": connector, "idTag": tag, "expiryDate": expiry})
    }

    #[test]
    fn an_accepted_reservation_is_stored_active_and_others_are_not() {
        let db = db();
        let now = at("2026-11-23T20:00:00Z");
        let mut request = reserve(7, 1, "ALICE", "2026-11-23T21:00:00+01:00");
        request["parentIdTag"] = json!("FAMILY");
        let command = answered(
            &db,
            "ReserveNow",
            request,
            json!({"status": "Accepted"}),
            now,
        );
        answered(
            &db,
            "ReserveNow",
            reserve(8, 2, "BOB", "2026-11-23T21:00:00Z"),
            json!({"status": "Occupied"}),
            now,
        );
        let listed = list_for(&db.sql, "CP1", None, None, 10, now).unwrap();
        assert_eq!(listed.len(), 1);
        let r = &listed[0];
        assert_eq!(
            (
                r.reservation_id,
                r.connector_id,
                r.id_tag.as_str(),
                r.parent_id_tag.as_deref()
            ),
            (7, 1, "ALICE", Some("FAMILY"))
        );
        assert_eq!(r.expiry_date, "2026-11-23T20:00:00Z");
        assert_eq!((r.state.as_str(), r.command_id), ("active", Some(command)));
    }

    #[test]
    fn an_accepted_reservation_on_a_connector_ends_another_one_we_thought_active_there() {
        let db = db();
        let now = at("2026-11-23T20:00:00Z");
        for (id, connector, tag) in [(1, 1, "ALICE"), (2, 0, "CAROL"), (3, 2, "DAVE")] {
            answered(
                &db,
                "ReserveNow",
                reserve(id, connector, tag, "2026-11-23T22:00:00Z"),
                json!({"status": "Accepted"}),
                now,
            );
        }
        // The charge point rebooted and forgot ALICE's; it accepts BOB's on connector 1.
        answered(
            &db,
            "ReserveNow",
            reserve(4, 1, "BOB", "2026-11-23T22:00:00Z"),
            json!({"status": "Accepted"}),
            now,
        );
        let mut states: Vec<(i64, String)> = list_for(&db.sql, "CP1", None, None, 10, now)
            .unwrap()
            .into_iter()
            .map(|r| (r.reservation_id, r.state))
            .collect();
        states.sort();
        assert_eq!(
            states,
            vec![
                (1, "replaced".into()),
                (2, "active".into()),
                (3, "active".into()),
                (4, "active".into())
            ]
        );
    }

    #[test]
    fn the_same_reservation_id_replaces_an_active_one_and_reuses_an_expired_one() {
        let db = db();
        let now = at("2026-11-23T20:00:00Z");
        answered(
            &db,
            "ReserveNow",
            reserve(7, 1, "ALICE", "2026-11-23T20:30:00Z"),
            json!({"status": "Accepted"}),
            now,
        );
        answered(
            &db,
            "ReserveNow",
            reserve(7, 2, "ALICE", "2026-11-23T20:40:00Z"),
            json!({"status": "Accepted"}),
            now,
        );
        let listed = list_for(&db.sql, "CP1", None, None, 10, now).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].connector_id, listed[0].expiry_date.as_str()),
            (2, "2026-11-23T20:40:00Z")
        );
        // Past its expiry it reads expired, then a new reservation with the id is a new row.
        let later = at("2026-11-23T20:40:00.001Z");
        assert_eq!(
            list_for(&db.sql, "CP1", None, None, 10, later).unwrap()[0].state,
            "expired"
        );
        assert!(list_for(&db.sql, "CP1", Some("active"), None, 10, later)
            .unwrap()
            .is_empty());
        answered(
            &db,
            "ReserveNow",
            reserve(7, 1, "BOB", "2026-11-23T22:00:00Z"),
            json!({"status": "Accepted"}),
            later,
        );
        let states: Vec<(String, String)> = list_for(&db.sql, "CP1", None, None, 10, later)
            .unwrap()
            .into_iter()
            .map(|r| (r.id_tag, r.state))
            .collect();
        assert_eq!(
            states,
            vec![
                ("BOB".into(), "active".into()),
                ("ALICE".into(), "expired".into())
            ]
        );
    }
}

#[cfg(test)]
mod ocpp201_tests {
    use crate::operations::answered_as;
    use crate::reservations::list_for;
    use crate::test_support::{at, db};
    use ocpp_protocol::OcppVersion;
    use serde_json::json;

    #[test]
    fn an_accepted_201_reservation_is_stored_per_evse_or_for_the_station() {
        let db = db();
        let now = at("2026-11-23T20:00:00Z");
        answered_as(
            &db,
            OcppVersion::V201,
            "ReserveNow",
            json!({"id": 9, "expiryDateTime": "2026-11-23T21:00:00Z", "evseId": 2,
                   "idToken": {"idToken": "ALICE", "type": "ISO14443"},
                   "groupIdToken": {"idToken": "FAMILY", "type": "Central"}}),
            json!({"status": "Accepted"}),
            now,
        );
        answered_as(
            &db,
            OcppVersion::V201,
            "ReserveNow",
            json!({"id": 10, "expiryDateTime": "2026-11-23T21:00:00Z",
                   "idToken": {"idToken": "BOB", "type": "ISO14443"}}),
            json!({"status": "Accepted"}),
            now,
        );
        let mut listed: Vec<(i64, i64, String, Option<String>)> =
            list_for(&db.sql, "CP1", None, None, 10, now)
                .unwrap()
                .into_iter()
                .map(|r| (r.reservation_id, r.connector_id, r.id_tag, r.parent_id_tag))
                .collect();
        listed.sort();
        assert_eq!(
            listed,
            vec![
                (9, 2, "ALICE".into(), Some("FAMILY".into())),
                (10, 0, "BOB".into(), None)
            ]
        );
    }
}
