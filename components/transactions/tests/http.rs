//! The private HTTP contract: routes, envelopes and error statuses.

// Test helpers outside #[test] functions state expectations the same way.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{EnginePricing, Harness};
use csms_store::native::NativeSql;
use serde_json::{json, Value};
use transactions::http::handle;
use transactions::{Env, PostJson, ServiceAuthorizer};

fn raw(h: &Harness, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
    let answer = h.request(method, path, body);
    (answer.status, answer.body)
}

fn error_of(body: &Value) -> &str {
    body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error in {body}"))
}

#[test]
fn answers_are_wrapped_in_payload() {
    let h = Harness::new();
    let body = json!({"charge_point_id": "CP1", "message_id": "m1",
        "payload": {"connectorId": 1, "meterValue": [{"timestamp": "2026-05-04T10:00:00Z", "sampledValue": [{"value": "1"}]}]}});
    let (status, answer) = raw(
        &h,
        "POST",
        "/ocpp16/MeterValues",
        body.to_string().as_bytes(),
    );
    assert_eq!((status, answer), (200, json!({"payload": {}})));
}

fn meter_values(message_id: &str, admission: Option<Value>) -> Vec<u8> {
    let mut body = json!({"charge_point_id": "CP1", "message_id": message_id,
        "payload": {"connectorId": 1, "meterValue": [{"timestamp": "2026-05-04T10:00:00Z", "sampledValue": [{"value": "1"}]}]}});
    if let Some(admission) = admission {
        body["admission"] = admission;
    }
    body.to_string().into_bytes()
}

#[test]
fn a_message_its_registration_does_not_admit_is_refused_with_403_and_not_stored() {
    let h = Harness::new();
    let accepted_only = json!({"gate": "Accepted", "trigger_window_seconds": 60});
    let while_pending = json!({"gate": "WhilePending", "trigger_window_seconds": 60});
    h.sql(
        "UPDATE charge_points SET registration_status = 'Pending' WHERE id = 'CP1'",
        &[],
    );
    let (status, body) = raw(
        &h,
        "POST",
        "/ocpp16/MeterValues",
        &meter_values("m1", Some(accepted_only.clone())),
    );
    assert_eq!(status, 403, "{body}");
    assert_eq!(error_of(&body), csms_contracts::registration::NOT_ACCEPTED);
    assert_eq!(h.count("meter_values"), 0);
    // The 1.6 table lets a Pending station send MeterValues.
    let (status, body) = raw(
        &h,
        "POST",
        "/ocpp16/MeterValues",
        &meter_values("m2", Some(while_pending)),
    );
    assert_eq!((status, &body), (200, &json!({"payload": {}})));
    assert_eq!(h.count("meter_values"), 1);
    // Without an admission the caller checked: applied.
    assert_eq!(
        raw(&h, "POST", "/ocpp16/MeterValues", &meter_values("m3", None)).0,
        200
    );
    // A retransmission of what was applied keeps its answer, whatever the registration now.
    h.sql(
        "UPDATE charge_points SET registration_status = 'Rejected' WHERE id = 'CP1'",
        &[],
    );
    let (status, body) = raw(
        &h,
        "POST",
        "/ocpp16/MeterValues",
        &meter_values("m2", Some(accepted_only)),
    );
    assert_eq!((status, &body), (200, &json!({"payload": {}})));
    assert_eq!(h.count("meter_values"), 2);
}

#[test]
fn bad_json_gets_400_with_a_message() {
    let h = Harness::new();
    let (status, body) = raw(&h, "POST", "/ocpp16/StartTransaction", b"{oops");
    assert_eq!(status, 400);
    assert!(
        error_of(&body).starts_with("invalid JSON body for /ocpp16/StartTransaction"),
        "{body}"
    );
    let (status, body) = raw(
        &h,
        "POST",
        "/ocpp16/StartTransaction",
        br#"{"charge_point_id": "CP1", "payload": {}}"#,
    );
    assert_eq!(status, 400);
    assert!(error_of(&body).contains("message_id"), "{body}");
}

#[test]
fn a_payload_that_does_not_fit_the_schema_gets_400_naming_the_field() {
    let h = Harness::new();
    let body = json!({"charge_point_id": "CP1", "message_id": "m1",
        "payload": {"connectorId": 1, "idTag": "ALICE", "timestamp": "2026-05-04T10:00:00Z"}});
    let (status, answer) = raw(
        &h,
        "POST",
        "/ocpp16/StartTransaction",
        body.to_string().as_bytes(),
    );
    assert_eq!(status, 400);
    assert!(error_of(&answer).contains("meterStart"), "{answer}");
    assert_eq!(h.count("transactions"), 0);
}

#[test]
fn unknown_paths_and_methods_are_refused() {
    let h = Harness::new();
    assert_eq!(raw(&h, "POST", "/ocpp16/Authorize", b"{}").0, 404);
    // 2.0.1 has its own table: a 1.6 action is not routed there, nor a 2.0.1 one under 1.6.
    assert_eq!(raw(&h, "POST", "/ocpp201/StartTransaction", b"{}").0, 404);
    assert_eq!(raw(&h, "POST", "/ocpp16/TransactionEvent", b"{}").0, 404);
    assert_eq!(raw(&h, "POST", "/ocpp201/TransactionEvent", b"{}").0, 400);
    assert_eq!(raw(&h, "POST", "/", b"{}").0, 404);
    assert_eq!(raw(&h, "GET", "/ocpp16/StartTransaction", b"").0, 405);
}

#[test]
fn a_store_failure_is_a_500_with_context() {
    let h = Harness::new();
    let unmigrated = NativeSql::open(&h.dir.path().join("empty.db")).unwrap();
    let env = Env {
        sql: &unmigrated,
        authorizer: &h.authorizer,
        pricing: &EnginePricing,
        now: h.now,
        cost_updated_every: None,
        queued_commands: Default::default(),
    };
    let body = json!({"charge_point_id": "CP9", "message_id": "m7",
        "payload": {"connectorId": 1, "meterValue": [{"timestamp": "2026-05-04T10:00:00Z", "sampledValue": [{"value": "1"}]}]}});
    let answer = handle(
        &env,
        "POST",
        "/ocpp16/MeterValues",
        body.to_string().as_bytes(),
    );
    assert_eq!(answer.status, 500);
    assert!(
        error_of(&answer.body)
            .starts_with("MeterValues message \"m7\" of charge point \"CP9\": store: "),
        "{}",
        answer.body
    );
}

/// An authorization component that answers with an error status.
struct Failing;

impl PostJson for Failing {
    fn post_json(&self, _url: &str, _body: &Value) -> Result<(u16, Value), String> {
        Ok((
            500,
            json!({"error": "reading the idTag registry: disk I/O error"}),
        ))
    }
}

#[test]
fn an_authorization_error_is_a_502_and_nothing_is_stored() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    let start = h.call(
        "StartTransaction",
        "m1",
        json!({"connectorId": 1, "idTag": "ALICE", "meterStart": 0, "timestamp": "2026-05-04T10:00:00Z"}),
    );
    let answer = h.post_with(
        &ServiceAuthorizer::new(Failing),
        "StopTransaction",
        "s1",
        json!({"transactionId": start["transactionId"], "idTag": "ALICE", "meterStop": 10, "timestamp": "2026-05-04T11:00:00Z"}),
    );
    assert_eq!(answer.status, 502);
    assert!(
        error_of(&answer.body).contains("disk I/O error"),
        "{}",
        answer.body
    );
    assert_eq!(
        h.row("SELECT stopped_at FROM transactions", &[]),
        vec![Value::Null]
    );
    assert_eq!(h.count("charge_detail_records"), 0);
}

/// An authorization component that answers 200 with something that is not a decision.
struct Garbled;

impl PostJson for Garbled {
    fn post_json(&self, _url: &str, _body: &Value) -> Result<(u16, Value), String> {
        Ok((200, json!({"decision": {"status": "Maybe"}})))
    }
}

#[test]
fn an_unusable_authorization_answer_is_a_502() {
    let h = Harness::new();
    let answer = h.post_with(
        &ServiceAuthorizer::new(Garbled),
        "StartTransaction",
        "m1",
        json!({"connectorId": 1, "idTag": "ALICE", "meterStart": 0, "timestamp": "2026-05-04T10:00:00Z"}),
    );
    assert_eq!(answer.status, 502);
    assert!(
        error_of(&answer.body).contains("no valid decision"),
        "{}",
        answer.body
    );
    assert_eq!(h.count("transactions"), 0);
}
