//! The running cost of a session not stopped yet (what a 2.0.1 CostUpdated shows).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;
use serde_json::{json, Value};
use transactions::http::Answer;

const TARIFF: &str = r#"{"id": "t", "currency": "EUR", "vat_percent": "25", "elements": [
    {"price_components": [{"type": "ENERGY", "price": "0.40"}, {"type": "TIME", "price": "2.00"}]}
]}"#;

fn running_cost(h: &Harness, body: Value) -> Answer {
    h.request(
        "POST",
        "/operator/running-cost",
        body.to_string().as_bytes(),
    )
}

#[test]
fn an_open_session_is_priced_up_to_its_newest_register_sample_and_nothing_is_written() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    h.tariff("t", TARIFF);
    h.charge_point(common::CP, "Europe/Stockholm", Some("t"));
    let tx = h.call(
        "StartTransaction",
        "start",
        json!({"connectorId": 1, "idTag": "ALICE", "meterStart": 1000,
               "timestamp": "2026-05-04T10:00:00Z"}),
    )["transactionId"]
        .as_i64()
        .unwrap();
    let none_yet = running_cost(&h, json!({"transaction_id": tx}));
    assert_eq!(none_yet.status, 200, "{}", none_yet.body);
    assert_eq!(none_yet.body["energy_wh"], 0);
    assert_eq!(none_yet.body["total_incl_vat"], "0.00");
    h.call(
        "MeterValues",
        "m1",
        json!({"connectorId": 1, "transactionId": tx, "meterValue": [
            {"timestamp": "2026-05-04T10:30:00Z", "sampledValue": [{"value": "6000", "unit": "Wh"}]}]}),
    );
    let cost = running_cost(&h, json!({"transaction_id": tx}));
    assert_eq!(cost.status, 200, "{}", cost.body);
    // 5 kWh x 0.40 + 0.5 h x 2.00 = 3.00, plus 25 % VAT.
    assert_eq!(cost.body["energy_wh"], 5000);
    assert_eq!(cost.body["as_of"], "2026-05-04T10:30:00Z");
    assert_eq!(cost.body["currency"], "EUR");
    assert_eq!(cost.body["total_incl_vat"], "3.75");
    assert_eq!(h.count("charge_detail_records"), 0);
    let open = h.sql(
        "SELECT stopped_at FROM transactions WHERE id = ?",
        &[tx.into()],
    );
    assert_eq!(open[0].opt_text(0, "stopped_at").unwrap(), None);
}

#[test]
fn unknown_stopped_and_malformed_requests_are_refused() {
    let h = Harness::new();
    assert_eq!(running_cost(&h, json!({"transaction_id": 99})).status, 404);
    assert_eq!(running_cost(&h, json!({"nope": 1})).status, 400);
    h.id_tag("ALICE", "Accepted", None, None);
    h.charge_point(common::CP, "UTC", None);
    let tx = h.call(
        "StartTransaction",
        "start",
        json!({"connectorId": 1, "idTag": "ALICE", "meterStart": 0,
               "timestamp": "2026-05-04T10:00:00Z"}),
    )["transactionId"]
        .as_i64()
        .unwrap();
    let unpriced = running_cost(&h, json!({"transaction_id": tx}));
    assert_eq!(unpriced.status, 200);
    assert!(unpriced.body["pricing_error"]
        .as_str()
        .unwrap()
        .contains("no tariff"));
    h.call(
        "StopTransaction",
        "stop",
        json!({"transactionId": tx, "meterStop": 10, "timestamp": "2026-05-04T11:00:00Z"}),
    );
    assert_eq!(running_cost(&h, json!({"transaction_id": tx})).status, 409);
}
