//! StartTransaction: ids, idempotency, and starts that are never dropped.

// Test helpers outside #[test] functions state expectations the same way.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Harness, Unreachable};
use serde_json::json;
use transactions::ServiceAuthorizer;

fn start(id_tag: &str, connector: i64, timestamp: &str, meter_start: i64) -> serde_json::Value {
    json!({"connectorId": connector, "idTag": id_tag, "meterStart": meter_start, "timestamp": timestamp})
}

#[test]
fn start_with_accepted_tag_gets_a_transaction_id_and_is_stored() {
    let h = Harness::new();
    h.id_tag(
        "ALICE",
        "Accepted",
        Some("2027-01-01T00:00:00Z"),
        Some("FAMILY"),
    );
    let answer = h.call(
        "StartTransaction",
        "m1",
        start("ALICE", 1, "2026-05-04T11:59:58+02:00", 1_000),
    );
    assert_eq!(
        answer,
        json!({"idTagInfo": {"status": "Accepted", "expiryDate": "2027-01-01T00:00:00Z", "parentIdTag": "FAMILY"},
               "transactionId": 1})
    );
    assert_eq!(
        h.row(
            "SELECT charge_point_id, connector_id, id_tag, start_auth_status, flagged, flag_reason, meter_start_wh, \
             started_at, stopped_at, created_at FROM transactions WHERE id = 1",
            &[]
        ),
        vec![
            json!("CP1"), json!(1), json!("ALICE"), json!("Accepted"), json!(0), json!(null), json!(1_000),
            json!("2026-05-04T09:59:58Z"), json!(null), json!("2026-05-04T12:00:00Z"),
        ]
    );
    assert_eq!(h.authorization_calls(), 1);
    assert_eq!(
        *h.authorizer.post.last_url.borrow(),
        "http://authorization.spin.internal/authorize"
    );
}

#[test]
fn distinct_starts_get_increasing_transaction_ids() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    h.id_tag("BOB", "Accepted", None, None);
    let a = h.call(
        "StartTransaction",
        "m1",
        start("ALICE", 1, "2026-05-04T10:00:00Z", 0),
    );
    let b = h.call(
        "StartTransaction",
        "m2",
        start("BOB", 2, "2026-05-04T10:00:00Z", 0),
    );
    assert_eq!(
        (a["transactionId"].as_i64(), b["transactionId"].as_i64()),
        (Some(1), Some(2))
    );
}

#[test]
fn retransmitted_call_gets_the_stored_answer_without_being_applied_again() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    let first = h.call(
        "StartTransaction",
        "m1",
        start("ALICE", 1, "2026-05-04T10:00:00Z", 0),
    );
    let again = h.call(
        "StartTransaction",
        "m1",
        start("ALICE", 1, "2026-05-04T10:00:00Z", 0),
    );
    assert_eq!(first, again);
    assert_eq!(h.count("transactions"), 1);
    assert_eq!(
        h.authorization_calls(),
        1,
        "the retry is answered from processed_messages"
    );
}

#[test]
fn a_message_id_reused_after_a_reboot_is_a_new_session() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    let first = h.call(
        "StartTransaction",
        "1",
        start("ALICE", 1, "2026-05-04T10:00:00Z", 0),
    );
    h.call(
        "StopTransaction",
        "2",
        json!({"transactionId": first["transactionId"], "meterStop": 5000, "timestamp": "2026-05-04T11:00:00Z"}),
    );
    // The charge point rebooted and counts from 1 again.
    let second = h.call(
        "StartTransaction",
        "1",
        start("ALICE", 1, "2026-05-04T12:00:00Z", 5000),
    );
    assert_ne!(second["transactionId"], first["transactionId"]);
    assert_eq!(h.count("transactions"), 2);
    let stop = h.call(
        "StopTransaction",
        "2",
        json!({"transactionId": second["transactionId"], "meterStop": 8000, "timestamp": "2026-05-04T13:00:00Z"}),
    );
    assert_eq!(stop["idTagInfo"], json!(null));
    assert_eq!(
        h.row(
            "SELECT energy_wh FROM transactions WHERE id = ?",
            &[second["transactionId"].as_i64().unwrap().into()]
        ),
        vec![json!(3000)]
    );
}

#[test]
fn retransmitted_start_returns_same_transaction_id() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, Some("FAMILY"));
    let first = h.call(
        "StartTransaction",
        "m1",
        start("ALICE", 1, "2026-05-04T10:00:00Z", 500),
    );
    // A new message id after a reconnect, the timestamp written with another offset.
    let again = h.call(
        "StartTransaction",
        "m2",
        start("ALICE", 1, "2026-05-04T12:00:00.000+02:00", 500),
    );
    assert_eq!(
        first, again,
        "same transaction id and the idTagInfo first given, not ConcurrentTx"
    );
    assert_eq!(again["idTagInfo"]["status"], "Accepted");
    assert_eq!(h.count("transactions"), 1);
    assert_eq!(h.authorization_calls(), 1);
    // Another meterStart is another start.
    let other = h.call(
        "StartTransaction",
        "m3",
        start("ALICE", 1, "2026-05-04T10:00:00Z", 501),
    );
    assert_eq!(other["transactionId"], 2);
}

#[test]
fn start_with_blocked_tag_is_stored_flagged() {
    let h = Harness::new();
    h.id_tag("MALLORY", "Blocked", None, None);
    let answer = h.call(
        "StartTransaction",
        "m1",
        start("MALLORY", 2, "2026-05-04T10:00:00Z", 42),
    );
    assert_eq!(
        answer,
        json!({"idTagInfo": {"status": "Blocked"}, "transactionId": 1})
    );
    assert_eq!(
        h.row(
            "SELECT start_auth_status, flagged, flag_reason FROM transactions WHERE id = 1",
            &[]
        ),
        vec![
            json!("Blocked"),
            json!(1),
            json!("idTag MALLORY was Blocked at start")
        ]
    );
}

#[test]
fn start_with_unknown_or_expired_tag_is_stored_flagged_with_the_real_answer() {
    let h = Harness::new();
    h.id_tag("OLD", "Accepted", Some("2026-01-01T00:00:00Z"), None);
    let unknown = h.call(
        "StartTransaction",
        "m1",
        start("STRANGER", 1, "2026-05-04T10:00:00Z", 0),
    );
    assert_eq!(
        unknown,
        json!({"idTagInfo": {"status": "Invalid"}, "transactionId": 1})
    );
    let expired = h.call(
        "StartTransaction",
        "m2",
        start("OLD", 2, "2026-05-04T10:00:00Z", 0),
    );
    assert_eq!(
        expired,
        json!({"idTagInfo": {"status": "Expired", "expiryDate": "2026-01-01T00:00:00Z"}, "transactionId": 2})
    );
    let rows = h.sql(
        "SELECT start_auth_status, flagged FROM transactions ORDER BY id",
        &[],
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].text(0, "").unwrap(), "Invalid");
    assert_eq!(rows[1].text(0, "").unwrap(), "Expired");
    assert!(rows.iter().all(|r| r.i64(1, "").unwrap() == 1));
}

#[test]
fn second_concurrent_start_gets_concurrent_tx() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    let first = h.call(
        "StartTransaction",
        "m1",
        start("ALICE", 1, "2026-05-04T10:00:00Z", 0),
    );
    assert_eq!(first["idTagInfo"]["status"], "Accepted");
    let second = h.call(
        "StartTransaction",
        "m2",
        start("ALICE", 2, "2026-05-04T10:05:00Z", 0),
    );
    assert_eq!(
        second,
        json!({"idTagInfo": {"status": "ConcurrentTx"}, "transactionId": 2})
    );
    assert_eq!(
        h.row(
            "SELECT flagged, flag_reason FROM transactions WHERE id = 2",
            &[]
        ),
        vec![json!(1), json!("idTag ALICE was ConcurrentTx at start")]
    );
}

#[test]
fn unreachable_authorization_is_an_error_and_stores_nothing() {
    let h = Harness::new();
    let answer = h.post_with(
        &ServiceAuthorizer::new(Unreachable),
        "StartTransaction",
        "m1",
        start("ALICE", 1, "2026-05-04T10:00:00Z", 0),
    );
    assert_eq!(answer.status, 502, "{}", answer.body);
    let error = answer.body["error"].as_str().unwrap();
    assert!(
        error.contains("StartTransaction message \"m1\" of charge point \"CP1\""),
        "{error}"
    );
    assert!(error.contains("connection refused"), "{error}");
    assert_eq!(h.count("transactions"), 0);
    assert_eq!(h.count("processed_messages"), 0);
    // The charge point's retry then succeeds.
    h.id_tag("ALICE", "Accepted", None, None);
    let retry = h.call(
        "StartTransaction",
        "m1",
        start("ALICE", 1, "2026-05-04T10:00:00Z", 0),
    );
    assert_eq!(retry["transactionId"], 1);
}

#[test]
fn reservation_id_is_kept() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    let mut payload = start("ALICE", 1, "2026-05-04T10:00:00Z", 0);
    payload["reservationId"] = json!(77);
    h.call("StartTransaction", "m1", payload);
    assert_eq!(
        h.row("SELECT reservation_id FROM transactions", &[]),
        vec![json!(77)]
    );
}
