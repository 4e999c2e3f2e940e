//! MeterValues: every sampled value stored, energy in integer Wh, nothing lost.

// Test helpers outside #[test] functions state expectations the same way.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;
use serde_json::json;

fn started(h: &Harness) -> i64 {
    h.id_tag("ALICE", "Accepted", None, None);
    let answer = h.call(
        "StartTransaction",
        "start",
        json!({"connectorId": 1, "idTag": "ALICE", "meterStart": 1000, "timestamp": "2026-05-04T10:00:00Z"}),
    );
    answer["transactionId"].as_i64().unwrap()
}

#[test]
fn sampled_values_are_stored_with_defaults_and_linked_to_the_transaction() {
    let h = Harness::new();
    let tx = started(&h);
    let answer = h.call(
        "MeterValues",
        "mv1",
        json!({"connectorId": 1, "transactionId": tx, "meterValue": [
            {"timestamp": "2026-05-04T12:15:00+02:00", "sampledValue": [
                {"value": "4321"},
                {"value": "16.2", "measurand": "Current.Import", "phase": "L1", "unit": "A", "location": "Outlet"},
                {"value": "230", "measurand": "Voltage", "unit": "V", "context": "Sample.Clock", "format": "Raw"}
            ]}
        ]}),
    );
    assert_eq!(answer, json!({}));
    let rows = h.sql(
        "SELECT charge_point_id, connector_id, transaction_id, reported_transaction_id, source, sampled_at, value, \
         value_wh, measurand, phase, unit, context, location, format, received_at FROM meter_values ORDER BY id",
        &[],
    );
    assert_eq!(rows.len(), 3);
    let energy = h.row("SELECT transaction_id, reported_transaction_id, source, sampled_at, value, value_wh, measurand, \
         phase, unit, context, location, format, received_at FROM meter_values WHERE id = 1", &[]);
    assert_eq!(
        energy,
        vec![
            json!(tx),
            json!(null),
            json!("MeterValues"),
            json!("2026-05-04T10:15:00Z"),
            json!("4321"),
            json!(4321),
            json!("Energy.Active.Import.Register"),
            json!(null),
            json!("Wh"),
            json!("Sample.Periodic"),
            json!(null),
            json!(null),
            json!("2026-05-04T12:00:00Z"),
        ]
    );
    assert_eq!(
        h.row("SELECT value, value_wh, measurand, phase, unit, location FROM meter_values WHERE id = 2", &[]),
        vec![json!("16.2"), json!(null), json!("Current.Import"), json!("L1"), json!("A"), json!("Outlet")]
    );
    assert_eq!(
        h.row(
            "SELECT context, format, unit FROM meter_values WHERE id = 3",
            &[]
        ),
        vec![json!("Sample.Clock"), json!("Raw"), json!("V")]
    );
}

#[test]
fn kwh_values_are_normalised_to_integer_wh() {
    let h = Harness::new();
    let tx = started(&h);
    h.call(
        "MeterValues",
        "mv1",
        json!({"connectorId": 1, "transactionId": tx, "meterValue": [
            {"timestamp": "2026-05-04T10:15:00Z", "sampledValue": [
                {"value": "12.3456", "unit": "kWh"},
                {"value": "12.3455", "unit": "kWh"},
                {"value": "0.0004", "unit": "kWh", "measurand": "Energy.Active.Import.Interval"},
                {"value": "1500.5", "unit": "Wh"},
                {"value": "3.2", "unit": "kvarh", "measurand": "Energy.Reactive.Import.Register"}
            ]}
        ]}),
    );
    let rows = h.sql(
        "SELECT value, unit, value_wh FROM meter_values ORDER BY id",
        &[],
    );
    let got: Vec<(String, Option<i64>)> = rows
        .iter()
        .map(|r| {
            (
                r.text(0, "value").unwrap(),
                r.opt_i64(2, "value_wh").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("12.3456".to_owned(), Some(12_346)),
            ("12.3455".to_owned(), Some(12_346)),
            ("0.0004".to_owned(), Some(0)),
            ("1500.5".to_owned(), Some(1_501)),
            ("3.2".to_owned(), None),
        ]
    );
}

#[test]
fn meter_values_for_an_unknown_transaction_are_kept() {
    let h = Harness::new();
    h.call(
        "MeterValues",
        "mv1",
        json!({"connectorId": 2, "transactionId": 999, "meterValue": [
            {"timestamp": "2026-05-04T10:15:00Z", "sampledValue": [{"value": "100"}]}
        ]}),
    );
    assert_eq!(
        h.row("SELECT connector_id, transaction_id, reported_transaction_id, value_wh FROM meter_values", &[]),
        vec![json!(2), json!(null), json!(999), json!(100)]
    );
}

#[test]
fn another_charge_points_transaction_is_unknown_here() {
    let h = Harness::new();
    let tx = started(&h);
    let body = json!({"charge_point_id": "CP2", "message_id": "mv1", "payload": {"connectorId": 1, "transactionId": tx,
        "meterValue": [{"timestamp": "2026-05-04T10:15:00Z", "sampledValue": [{"value": "100"}]}]}});
    let env = transactions::Env {
        sql: &h.db,
        authorizer: &h.authorizer,
        pricing: &common::EnginePricing,
        now: h.now,
        cost_updated_every: None,
        queued_commands: Default::default(),
    };
    let answer = transactions::http::handle(
        &env,
        "POST",
        "/ocpp16/MeterValues",
        body.to_string().as_bytes(),
    );
    assert_eq!(answer.status, 200);
    assert_eq!(
        h.row(
            "SELECT charge_point_id, transaction_id, reported_transaction_id FROM meter_values",
            &[]
        ),
        vec![json!("CP2"), json!(null), json!(tx)]
    );
}

#[test]
fn values_without_a_transaction_are_stored_for_the_connector() {
    let h = Harness::new();
    h.call(
        "MeterValues",
        "mv1",
        json!({"connectorId": 0, "meterValue": [
            {"timestamp": "2026-05-04T10:15:00Z", "sampledValue": [{"value": "7", "measurand": "Temperature", "unit": "Celsius"}]}
        ]}),
    );
    assert_eq!(
        h.row("SELECT connector_id, transaction_id, reported_transaction_id, unit, value_wh FROM meter_values", &[]),
        vec![json!(0), json!(null), json!(null), json!("Celsius"), json!(null)]
    );
}

#[test]
fn values_without_a_transaction_id_join_the_one_open_transaction_on_their_connector() {
    let h = Harness::new();
    let tx = started(&h);
    let values = |id: &str, connector: i64, at: &str| {
        h.call(
            "MeterValues",
            id,
            json!({"connectorId": connector, "meterValue": [
                {"timestamp": at, "sampledValue": [{"value": "1500"}]}
            ]}),
        );
    };
    values("during", 1, "2026-05-04T10:15:00+02:00");
    values("before-start", 1, "2026-05-04T09:59:59Z");
    values("other-connector", 2, "2026-05-04T10:15:00Z");
    values("whole-station", 0, "2026-05-04T10:15:00Z");
    assert_eq!(
        h.row(
            "SELECT group_concat(coalesce(CAST(transaction_id AS TEXT), 'none'), ',') FROM \
             (SELECT transaction_id FROM meter_values ORDER BY id) AS ordered",
            &[]
        ),
        vec![json!("none,none,none,none")],
        "10:15+02:00 is before the 10:00Z start"
    );
    values("after-start", 1, "2026-05-04T10:15:00Z");
    assert_eq!(
        h.row(
            "SELECT transaction_id, reported_transaction_id FROM meter_values ORDER BY id DESC LIMIT 1",
            &[]
        ),
        vec![json!(tx), json!(null)]
    );
    // With two open on the connector (one of them stale), nobody can tell which.
    h.call(
        "StartTransaction",
        "start-2",
        json!({"connectorId": 1, "idTag": "ALICE", "meterStart": 2000, "timestamp": "2026-05-04T10:20:00Z"}),
    );
    values("ambiguous", 1, "2026-05-04T10:25:00Z");
    assert_eq!(
        h.row(
            "SELECT transaction_id FROM meter_values ORDER BY id DESC LIMIT 1",
            &[]
        ),
        vec![json!(null)]
    );
}

#[test]
fn retransmitted_meter_values_are_stored_once() {
    let h = Harness::new();
    let tx = started(&h);
    let payload = json!({"connectorId": 1, "transactionId": tx, "meterValue": [
        {"timestamp": "2026-05-04T10:15:00Z", "sampledValue": [{"value": "100"}, {"value": "200"}]}
    ]});
    h.call("MeterValues", "mv1", payload.clone());
    h.call("MeterValues", "mv1", payload.clone());
    assert_eq!(h.count("meter_values"), 2);
    // Under a new message id it is a new message: MeterValues carry no key to deduplicate on.
    h.call("MeterValues", "mv2", payload);
    assert_eq!(h.count("meter_values"), 4);
}

#[test]
fn signed_meter_values_are_kept_verbatim() {
    let h = Harness::new();
    let tx = started(&h);
    let signed = "OCMF|{\"FV\":\"1.0\",\"GI\":\"ABL\",\"RD\":[{\"RV\":\"0.0\",\"RU\":\"kWh\"}]}|{\"SD\":\"3045022100\"}";
    h.call(
        "MeterValues",
        "mv1",
        json!({"connectorId": 1, "transactionId": tx, "meterValue": [
            {"timestamp": "2026-05-04T10:15:00Z", "sampledValue": [
                {"value": signed, "format": "SignedData", "context": "Transaction.Begin", "unit": "kWh"}
            ]}
        ]}),
    );
    assert_eq!(
        h.row(
            "SELECT value, format, value_wh, context FROM meter_values",
            &[]
        ),
        vec![
            json!(signed),
            json!("SignedData"),
            json!(null),
            json!("Transaction.Begin")
        ]
    );
}
