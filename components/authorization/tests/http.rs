//! The private HTTP contract of the authorization component.

// Test helpers outside #[test] functions state expectations the same way.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use authorization::http::handle;
use authorization::TokenDecision;
use chrono::{DateTime, Utc};
use csms_store::native::NativeSql;
use csms_store::Sql;
use ocpp_protocol::messages::v16::Response;
use serde_json::{json, Value};

fn now() -> DateTime<Utc> {
    "2026-05-04T12:00:00Z".parse().unwrap()
}

fn db() -> (tempfile::TempDir, NativeSql) {
    let dir = tempfile::tempdir().unwrap();
    let db = NativeSql::open(&dir.path().join("db.sqlite")).unwrap();
    csms_store::migrate(&db).unwrap();
    db.execute(
        "INSERT INTO id_tags (id_tag, status, expiry_date, parent_id_tag, updated_at) VALUES \
         ('ALICE', 'Accepted', '2027-01-01T00:00:00Z', 'FAMILY', 'x'), \
         ('BOB', 'Accepted', NULL, 'FAMILY', 'x')",
        &[],
    )
    .unwrap();
    (dir, db)
}

fn post(db: &NativeSql, path: &str, body: Value) -> (u16, Value) {
    let answer = handle(db, "POST", path, body.to_string().as_bytes(), now());
    (answer.status, answer.body)
}

#[test]
fn authorize_answers_the_decision_that_each_version_writes_its_own_way() {
    let (_dir, db) = db();
    let (status, body) = post(
        &db,
        "/authorize",
        json!({"charge_point_id": "CP1", "id_tag": "ALICE", "purpose": "authorize"}),
    );
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"decision": {"status": "Accepted", "expiry_date": "2027-01-01T00:00:00Z", "group_id": "FAMILY"}})
    );
    let decision: TokenDecision = serde_json::from_value(body["decision"].clone()).unwrap();
    Response::decode("Authorize", &json!({"idTagInfo": decision.to_ocpp16()})).unwrap();
    ocpp_protocol::messages::v201::Response::decode(
        "Authorize",
        &json!({"idTokenInfo": decision.to_ocpp201()}),
    )
    .unwrap();
    let (_, unknown) = post(
        &db,
        "/authorize",
        json!({"charge_point_id": "CP1", "id_tag": "X", "purpose": "start"}),
    );
    assert_eq!(unknown, json!({"decision": {"status": "Unknown"}}));
}

#[test]
fn authorize_for_a_start_counts_open_transactions() {
    let (_dir, db) = db();
    db.execute(
        "INSERT INTO transactions (charge_point_id, connector_id, id_tag, start_auth_status, meter_start_wh, started_at, created_at) \
         VALUES ('CP1', 1, 'BOB', 'Accepted', 0, 't', 't')",
        &[],
    )
    .unwrap();
    let (_, start) = post(
        &db,
        "/authorize",
        json!({"charge_point_id": "CP2", "id_tag": "BOB", "purpose": "start"}),
    );
    assert_eq!(start["decision"]["status"], "ConcurrentTx");
    let (_, auth) = post(
        &db,
        "/authorize",
        json!({"charge_point_id": "CP2", "id_tag": "BOB", "purpose": "authorize"}),
    );
    assert_eq!(auth["decision"]["status"], "Accepted");
}

#[test]
fn authorize_stop_says_whether_the_tag_may_stop() {
    let (_dir, db) = db();
    db.execute(
        "INSERT INTO transactions (charge_point_id, connector_id, id_tag, start_auth_status, meter_start_wh, started_at, created_at) \
         VALUES ('CP1', 1, 'ALICE', 'Accepted', 0, 't', 't')",
        &[],
    )
    .unwrap();
    let (status, body) = post(
        &db,
        "/authorize-stop",
        json!({"charge_point_id": "CP1", "id_tag": "BOB", "transaction_id": 1}),
    );
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"decision": {"status": "Accepted", "group_id": "FAMILY"}, "may_stop": true})
    );
    let (_, stranger) = post(
        &db,
        "/authorize-stop",
        json!({"charge_point_id": "CP1", "id_tag": "EVE", "transaction_id": 1}),
    );
    assert_eq!(
        stranger,
        json!({"decision": {"status": "Unknown"}, "may_stop": false})
    );
}

#[test]
fn bad_json_gets_400_with_a_message() {
    let (_dir, db) = db();
    let answer = handle(&db, "POST", "/authorize", b"{not json", now());
    assert_eq!(answer.status, 400);
    assert!(
        answer.body["error"]
            .as_str()
            .unwrap()
            .contains("/authorize"),
        "{}",
        answer.body
    );
    let (status, body) = post(
        &db,
        "/authorize-stop",
        json!({"charge_point_id": "CP1", "id_tag": "BOB"}),
    );
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("transaction_id"),
        "{body}"
    );
    let (status, _) = post(
        &db,
        "/authorize",
        json!({"charge_point_id": "CP1", "id_tag": "BOB", "purpose": "pay"}),
    );
    assert_eq!(status, 400);
}

#[test]
fn unknown_paths_and_methods_are_refused() {
    let (_dir, db) = db();
    assert_eq!(handle(&db, "POST", "/nothing", b"{}", now()).status, 404);
    assert_eq!(handle(&db, "GET", "/authorize", b"", now()).status, 405);
}

#[test]
fn a_store_failure_is_a_500_with_context() {
    let dir = tempfile::tempdir().unwrap();
    // No migration: the tables do not exist.
    let db = NativeSql::open(&dir.path().join("db.sqlite")).unwrap();
    let (status, body) = post(
        &db,
        "/authorize",
        json!({"charge_point_id": "CP1", "id_tag": "BOB"}),
    );
    assert_eq!(status, 500);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("authorizing idTag \"BOB\""),
        "{body}"
    );
}

#[test]
fn a_token_registered_with_a_type_matches_only_that_type_and_one_without_matches_any() {
    let (_dir, db) = db();
    db.execute(
        "INSERT INTO id_tags (id_tag, status, token_type, updated_at) VALUES \
         ('CARD1', 'Accepted', 'ISO14443', 't'), ('ANY1', 'Accepted', NULL, 't')",
        &[],
    )
    .unwrap();
    let status = |tag: &str, token_type: Option<&str>| {
        let (_, body) = post(
            &db,
            "/authorize",
            json!({"charge_point_id": "CP1", "id_tag": tag, "token_type": token_type}),
        );
        body["decision"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(status("card1", Some("ISO14443")), "Accepted");
    assert_eq!(status("CARD1", Some("KeyCode")), "Unknown");
    // 1.6 has no token types: the idTag alone decides.
    assert_eq!(status("CARD1", None), "Accepted");
    assert_eq!(status("ANY1", Some("KeyCode")), "Accepted");
    assert_eq!(status("ANY1", Some("eMAID")), "Accepted");
}
