//! StartTransaction ends the reservation it uses and is linked to the remote start that asked
//! for it.

// Test helpers outside #[test] functions state expectations the same way.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;
use serde_json::{json, Value};

fn start(id_tag: &str, connector: i64, reservation_id: Option<i64>) -> Value {
    let mut payload = json!({"connectorId": connector, "idTag": id_tag, "meterStart": 0,
                             "timestamp": "2026-05-04T11:59:00Z"});
    if let Some(id) = reservation_id {
        payload["reservationId"] = json!(id);
    }
    payload
}

fn reserve(h: &Harness, id: i64, connector: i64, tag: &str, parent: Option<&str>) {
    h.sql(
        "INSERT INTO reservations (charge_point_id, reservation_id, connector_id, id_tag, parent_id_tag, \
         expiry_date, state, created_at, updated_at) VALUES ('CP1', ?, ?, ?, ?, '2026-05-04T13:00:00Z', 'active', 'x', 'x')",
        &[id.into(), connector.into(), tag.into(), parent.into()],
    );
}

fn reservation(h: &Harness, id: i64) -> Vec<Value> {
    h.row(
        "SELECT state, transaction_id FROM reservations WHERE reservation_id = ? ORDER BY id DESC LIMIT 1",
        &[id.into()],
    )
}

/// A RemoteStartTransaction answered at `answered_at` with `status`; returns its id.
fn remote_start(h: &Harness, request: Value, status: &str, answered_at: &str) -> i64 {
    let rows = h.sql(
        "INSERT INTO commands (charge_point_id, action, request, state, message_id, response, created_at, \
         sent_at, answered_at, finished_at) VALUES ('CP1', 'RemoteStartTransaction', ?, 'answered', 'm', ?, ?, ?, ?, ?) \
         RETURNING id",
        &[
            request.to_string().into(),
            json!({ "status": status }).to_string().into(),
            answered_at.into(),
            answered_at.into(),
            answered_at.into(),
            answered_at.into(),
        ],
    );
    rows[0].i64(0, "id").unwrap()
}

fn link_of(h: &Harness, transaction_id: i64) -> Value {
    h.row(
        "SELECT remote_start_command_id FROM transactions WHERE id = ?",
        &[transaction_id.into()],
    )[0]
    .clone()
}

#[test]
fn a_start_naming_its_reservation_uses_it() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    reserve(&h, 7, 1, "ALICE", None);
    let answer = h.call("StartTransaction", "m1", start("ALICE", 1, Some(7)));
    assert_eq!(answer["idTagInfo"]["status"], "Accepted");
    let id = answer["transactionId"].clone();
    assert_eq!(reservation(&h, 7), vec![json!("used"), id]);
}

#[test]
fn the_reserving_tag_uses_its_reservation_without_naming_it_and_a_sibling_tag_may_too() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, Some("FAMILY"));
    h.id_tag("BOB", "Accepted", None, Some("FAMILY"));
    reserve(&h, 7, 1, "ALICE", None);
    reserve(&h, 8, 0, "ALICE", Some("FAMILY"));
    let a = h.call("StartTransaction", "m1", start("alice", 1, None));
    assert_eq!(
        reservation(&h, 7),
        vec![json!("used"), a["transactionId"].clone()]
    );
    assert_eq!(reservation(&h, 8)[0], json!("active"));
    let b = h.call("StartTransaction", "m2", start("BOB", 2, None));
    assert_eq!(b["idTagInfo"]["status"], "Accepted");
    assert_eq!(
        reservation(&h, 8),
        vec![json!("used"), b["transactionId"].clone()]
    );
}

#[test]
fn another_tag_on_a_reserved_connector_is_refused_flagged_and_leaves_the_reservation() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    h.id_tag("CAROL", "Accepted", None, None);
    reserve(&h, 7, 1, "ALICE", None);
    let answer = h.call("StartTransaction", "m1", start("CAROL", 1, None));
    assert_eq!(answer["idTagInfo"], json!({"status": "Invalid"}));
    let flagged = h.row(
        "SELECT flagged, flag_reason, start_auth_status FROM transactions WHERE id = ?",
        &[answer["transactionId"].as_i64().unwrap().into()],
    );
    assert_eq!(flagged[0], json!(1));
    assert!(
        flagged[1].as_str().unwrap().contains("reserved"),
        "{flagged:?}"
    );
    assert_eq!(flagged[2], json!("Invalid"));
    assert_eq!(reservation(&h, 7), vec![json!("active"), json!(null)]);
}

#[test]
fn a_start_naming_a_reservation_ends_it_whatever_the_decision() {
    let h = Harness::new();
    h.id_tag("CAROL", "Accepted", None, None);
    reserve(&h, 7, 1, "ALICE", None);
    let answer = h.call("StartTransaction", "m1", start("CAROL", 1, Some(7)));
    assert_eq!(answer["idTagInfo"]["status"], "Invalid");
    // The charge point has ended the reservation: holding it here would refuse others for nothing.
    assert_eq!(reservation(&h, 7)[0], json!("used"));
}

#[test]
fn a_start_after_an_accepted_remote_start_is_linked_to_it_once() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    h.id_tag("BOB", "Accepted", None, None);
    let rejected = remote_start(
        &h,
        json!({"idTag": "ALICE"}),
        "Rejected",
        "2026-05-04T11:59:30Z",
    );
    let wrong_connector = remote_start(
        &h,
        json!({"idTag": "ALICE", "connectorId": 2}),
        "Accepted",
        "2026-05-04T11:59:30Z",
    );
    let any = remote_start(
        &h,
        json!({"idTag": "ALICE"}),
        "Accepted",
        "2026-05-04T11:59:30Z",
    );
    let exact = remote_start(
        &h,
        json!({"idTag": "ALICE", "connectorId": 1}),
        "Accepted",
        "2026-05-04T11:59:31Z",
    );
    let first = h.call("StartTransaction", "m1", start("ALICE", 1, None));
    // The command that named the connector wins over the one that did not.
    assert_eq!(
        link_of(&h, first["transactionId"].as_i64().unwrap()),
        json!(exact)
    );
    h.call(
        "StopTransaction",
        "m2",
        json!({"transactionId": first["transactionId"], "meterStop": 10,
                                           "timestamp": "2026-05-04T11:59:50Z"}),
    );
    let mut again = start("ALICE", 1, None);
    again["timestamp"] = json!("2026-05-04T11:59:55Z");
    let second = h.call("StartTransaction", "m3", again);
    assert_eq!(
        link_of(&h, second["transactionId"].as_i64().unwrap()),
        json!(any)
    );
    let bob = h.call("StartTransaction", "m4", start("BOB", 3, None));
    assert_eq!(
        link_of(&h, bob["transactionId"].as_i64().unwrap()),
        json!(null)
    );
    let linked: Vec<i64> = h
        .sql("SELECT remote_start_command_id FROM transactions WHERE remote_start_command_id IS NOT NULL", &[])
        .iter()
        .map(|r| r.i64(0, "id").unwrap())
        .collect();
    assert!(!linked.contains(&rejected) && !linked.contains(&wrong_connector));
}

#[test]
fn a_remote_start_answered_long_before_is_not_linked() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    remote_start(
        &h,
        json!({"idTag": "ALICE"}),
        "Accepted",
        "2026-05-04T11:54:59Z",
    );
    let answer = h.call("StartTransaction", "m1", start("ALICE", 1, None));
    assert_eq!(
        link_of(&h, answer["transactionId"].as_i64().unwrap()),
        json!(null)
    );
}

#[test]
fn the_charge_points_connection_timeout_widens_the_window() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    h.sql(
        "INSERT INTO charge_point_configuration (charge_point_id, key, value, updated_at) \
         VALUES ('CP1', 'ConnectionTimeOut', '600', 'x')",
        &[],
    );
    let command = remote_start(
        &h,
        json!({"idTag": "ALICE"}),
        "Accepted",
        "2026-05-04T11:49:00Z",
    );
    let answer = h.call("StartTransaction", "m1", start("ALICE", 1, None));
    assert_eq!(
        link_of(&h, answer["transactionId"].as_i64().unwrap()),
        json!(command)
    );
}
