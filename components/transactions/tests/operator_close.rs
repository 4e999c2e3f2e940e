//! An operator closing a transaction the charge point never stopped.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;
use serde_json::{json, Value};
use transactions::http::Answer;

const TARIFF: &str = r#"{"id": "t", "currency": "EUR", "vat_percent": "25", "elements": [
    {"price_components": [{"type": "ENERGY", "price": "0.40"}, {"type": "TIME", "price": "2.00"}]}
]}"#;

fn start(h: &Harness) -> i64 {
    h.call(
        "StartTransaction",
        "start",
        json!({"connectorId": 1, "idTag": "ALICE", "meterStart": 1000, "timestamp": "2026-05-04T10:00:00Z"}),
    )["transactionId"]
        .as_i64()
        .unwrap()
}

fn meter(h: &Harness, message_id: &str, tx: i64, at: &str, sampled: Value) {
    h.call(
        "MeterValues",
        message_id,
        json!({"connectorId": 1, "transactionId": tx, "meterValue": [{"timestamp": at, "sampledValue": sampled}]}),
    );
}

fn close(h: &Harness, body: Value) -> Answer {
    h.request("POST", "/operator/close", body.to_string().as_bytes())
}

fn harness() -> Harness {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    h.tariff("t", TARIFF);
    h.charge_point(common::CP, "Europe/Stockholm", Some("t"));
    h
}

#[test]
fn the_last_register_sample_gives_the_stop_and_the_record_names_the_operator() {
    let h = harness();
    let tx = start(&h);
    meter(
        &h,
        "m1",
        tx,
        "2026-05-04T10:30:00Z",
        json!([{"value": "4.0", "unit": "kWh"}]),
    );
    // Later, but not the energy register: ignored for the stop value.
    meter(
        &h,
        "m2",
        tx,
        "2026-05-04T11:00:00Z",
        json!([
            {"value": "6000", "unit": "Wh"},
            {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"}
        ]),
    );
    meter(
        &h,
        "m3",
        tx,
        "2026-05-04T11:10:00Z",
        json!([{"value": "11", "measurand": "Current.Import", "unit": "A"}]),
    );

    let answer = close(&h, json!({"transaction_id": tx, "closed_by": "operator"}));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["meter_stop_wh"], 6000);
    assert_eq!(answer.body["stopped_at"], "2026-05-04T11:00:00Z");
    assert_eq!(answer.body["energy_wh"], 5000);
    assert_eq!(answer.body["from_sample"], true);
    assert_eq!(
        h.row(
            "SELECT meter_stop_wh, stopped_at, stop_reason, energy_wh, closed_by FROM transactions WHERE id = ?",
            &[tx.into()]
        ),
        vec![json!(6000), json!("2026-05-04T11:00:00Z"), json!("Other"), json!(5000), json!("operator")]
    );
    // Priced like any stop: 5 kWh x 0.40 + 1 h x 2.00 = 4.00 excl. VAT, 5.00 incl. 25 %.
    assert_eq!(
        h.row(
            "SELECT energy_wh, duration_s, total_excl_vat, total_incl_vat FROM charge_detail_records WHERE transaction_id = ?",
            &[tx.into()]
        ),
        vec![json!(5000), json!(3600), json!("4.00"), json!("5.00")]
    );
}

#[test]
fn without_samples_the_session_ends_where_it_started() {
    let h = harness();
    let tx = start(&h);
    let answer = close(
        &h,
        json!({"transaction_id": tx, "closed_by": "operator:ops@example.com"}),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["from_sample"], false);
    assert_eq!(
        h.row(
            "SELECT meter_stop_wh, stopped_at, energy_wh, closed_by FROM transactions WHERE id = ?",
            &[tx.into()]
        ),
        vec![
            json!(1000),
            json!("2026-05-04T10:00:00Z"),
            json!(0),
            json!("operator:ops@example.com")
        ]
    );
    assert_eq!(
        h.row(
            "SELECT duration_s, total_excl_vat FROM charge_detail_records",
            &[]
        ),
        vec![json!(0), json!("0.00")]
    );
}

#[test]
fn closing_twice_or_an_unknown_transaction_changes_nothing() {
    let h = harness();
    let tx = start(&h);
    meter(
        &h,
        "m1",
        tx,
        "2026-05-04T10:30:00Z",
        json!([{"value": "3000"}]),
    );
    assert_eq!(
        close(&h, json!({"transaction_id": tx, "closed_by": "operator"})).status,
        200
    );
    let again = close(
        &h,
        json!({"transaction_id": tx, "closed_by": "someone else"}),
    );
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body["error"]
        .as_str()
        .unwrap()
        .contains("already stopped"));
    assert_eq!(
        h.row("SELECT closed_by FROM transactions", &[]),
        vec![json!("operator")]
    );
    assert_eq!(
        close(&h, json!({"transaction_id": 999, "closed_by": "operator"})).status,
        404
    );
    assert_eq!(close(&h, json!({"transaction_id": tx})).status, 400);
    assert_eq!(
        close(&h, json!({"transaction_id": tx, "closed_by": " "})).status,
        400
    );
}

#[test]
fn the_charge_points_own_stop_arriving_after_the_close_replaces_it_once_and_reprices() {
    let h = harness();
    let tx = start(&h);
    meter(
        &h,
        "m1",
        tx,
        "2026-05-04T10:30:00Z",
        json!([{"value": "3000"}]),
    );
    assert_eq!(
        close(&h, json!({"transaction_id": tx, "closed_by": "operator"})).status,
        200
    );
    let estimated = h.row("SELECT total_incl_vat FROM charge_detail_records", &[]);
    // The charge point was offline; its stop comes later with the rest of the session.
    let answer = h.call(
        "StopTransaction",
        "late-stop",
        json!({"transactionId": tx, "meterStop": 9000, "timestamp": "2026-05-04T12:00:00Z",
               "transactionData": [{"timestamp": "2026-05-04T11:30:00Z",
                                    "sampledValue": [{"value": "7000"}]}]}),
    );
    assert_eq!(answer, json!({}));
    let row = h.row(
        "SELECT meter_stop_wh, stopped_at, energy_wh, closed_by, flagged, flag_reason, replaced_close \
         FROM transactions",
        &[],
    );
    assert_eq!(
        row[..5],
        [
            json!(9000),
            json!("2026-05-04T12:00:00Z"),
            json!(8000),
            json!("operator"),
            json!(1)
        ]
    );
    let reason = row[5].as_str().unwrap();
    assert!(
        reason.contains("arrived after operator closed the transaction at 3000 Wh"),
        "{reason}"
    );
    let replaced: Value = serde_json::from_str(row[6].as_str().unwrap()).unwrap();
    assert_eq!(replaced["meter_stop_wh"], json!(3000));
    assert_eq!(replaced["stopped_at"], json!("2026-05-04T10:30:00Z"));
    assert_eq!(replaced["closed_by"], json!("operator"));
    // Re-priced: 8 kWh * 0.40 + 2 h * 2.00 = 7.20, + 25 % VAT = 9.00.
    let cdr = h.row(
        "SELECT energy_wh, duration_s, total_incl_vat, revised_at IS NOT NULL FROM charge_detail_records",
        &[],
    );
    assert_eq!(cdr, vec![json!(8000), json!(7200), json!("9.00"), json!(1)]);
    assert_ne!(estimated, vec![cdr[2].clone()]);
    assert_eq!(
        h.row(
            "SELECT count(*) FROM meter_values WHERE transaction_id = ? AND source = 'StopTransaction'",
            &[tx.into()]
        ),
        vec![json!(1)]
    );
    // A stop repeated under another message id changes nothing more.
    h.call(
        "StopTransaction",
        "late-stop-again",
        json!({"transactionId": tx, "meterStop": 9500, "timestamp": "2026-05-04T12:30:00Z"}),
    );
    assert_eq!(
        h.row("SELECT meter_stop_wh FROM transactions", &[]),
        vec![json!(9000)]
    );
    assert_eq!(
        h.row("SELECT count(*) FROM charge_detail_records", &[]),
        vec![json!(1)]
    );
}

#[test]
fn a_close_uses_register_samples_sent_without_a_transaction_id() {
    let h = harness();
    let tx = start(&h);
    h.call(
        "MeterValues",
        "m-no-tx",
        json!({"connectorId": 1, "meterValue": [{"timestamp": "2026-05-04T10:45:00Z",
               "sampledValue": [{"value": "4200"}]}]}),
    );
    let answer = close(&h, json!({"transaction_id": tx, "closed_by": "operator"}));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        h.row("SELECT meter_stop_wh, energy_wh FROM transactions", &[]),
        vec![json!(4200), json!(3200)]
    );
}
