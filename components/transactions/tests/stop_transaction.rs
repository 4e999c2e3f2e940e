//! StopTransaction: closing, energy check, unknown and repeated stops, charge detail records.

// Test helpers outside #[test] functions state expectations the same way.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;
use rust_decimal::Decimal;
use serde_json::{json, Value};

const TARIFF: &str = r#"{"id": "std-2026", "currency": "EUR", "vat_percent": "25", "elements": [
    {"price_components": [
        {"type": "ENERGY", "price": "0.35"},
        {"type": "TIME", "price": "2.00"},
        {"type": "PARKING_TIME", "price": "6.00"},
        {"type": "FLAT", "price": "1.00"}
    ]}
]}"#;

fn start(h: &Harness, id_tag: &str, connector: i64) -> i64 {
    let answer = h.call(
        "StartTransaction",
        &format!("start-{id_tag}-{connector}"),
        json!({"connectorId": connector, "idTag": id_tag, "meterStart": 1000, "timestamp": "2026-05-04T10:00:00Z"}),
    );
    answer["transactionId"].as_i64().unwrap()
}

fn register(h: &Harness, message_id: &str, tx: i64, timestamp: &str, kwh: &str) {
    h.call(
        "MeterValues",
        message_id,
        json!({"connectorId": 1, "transactionId": tx, "meterValue": [
            {"timestamp": timestamp, "sampledValue": [{"value": kwh, "unit": "kWh"}]}
        ]}),
    );
}

fn stop(tx: i64, id_tag: Option<&str>, meter_stop: i64, timestamp: &str) -> Value {
    let mut payload = json!({"transactionId": tx, "meterStop": meter_stop, "timestamp": timestamp});
    if let Some(tag) = id_tag {
        payload["idTag"] = json!(tag);
    }
    payload
}

#[test]
fn stop_closes_the_transaction_with_its_energy() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    let tx = start(&h, "ALICE", 1);
    register(&h, "mv1", tx, "2026-05-04T10:30:00Z", "5.5");
    let mut payload = stop(tx, Some("ALICE"), 9_000, "2026-05-04T11:00:00+01:00");
    payload["reason"] = json!("EVDisconnected");
    let answer = h.call("StopTransaction", "s1", payload);
    assert_eq!(answer, json!({"idTagInfo": {"status": "Accepted"}}));
    assert_eq!(
        h.row(
            "SELECT meter_stop_wh, stopped_at, stop_reason, stop_id_tag, energy_wh, energy_check, flagged \
             FROM transactions WHERE id = ?",
            &[tx.into()]
        ),
        vec![json!(9_000), json!("2026-05-04T10:00:00Z"), json!("EVDisconnected"), json!("ALICE"), json!(8_000),
             json!("consistent"), json!(0)]
    );
    assert_eq!(
        *h.authorizer.post.last_url.borrow(),
        "http://authorization.spin.internal/authorize-stop"
    );
}

#[test]
fn stop_without_reason_or_id_tag_defaults_to_local_and_answers_empty() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    let tx = start(&h, "ALICE", 1);
    let answer = h.call(
        "StopTransaction",
        "s1",
        stop(tx, None, 1_500, "2026-05-04T10:30:00Z"),
    );
    assert_eq!(answer, json!({}));
    assert_eq!(
        h.row(
            "SELECT stop_reason, stop_id_tag, energy_wh, energy_check FROM transactions",
            &[]
        ),
        vec![
            json!("Local"),
            json!(null),
            json!(500),
            json!("no register samples")
        ]
    );
}

#[test]
fn transaction_data_is_stored_and_checked_against_meter_stop() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    let tx = start(&h, "ALICE", 3);
    register(&h, "mv1", tx, "2026-05-04T10:30:00Z", "9.25");
    let mut payload = stop(tx, None, 9_000, "2026-05-04T11:00:00Z");
    payload["transactionData"] = json!([
        {"timestamp": "2026-05-04T10:00:00Z", "sampledValue": [{"value": "1000", "context": "Transaction.Begin"}]},
        {"timestamp": "2026-05-04T11:00:00Z", "sampledValue": [
            {"value": "9000", "context": "Transaction.End"},
            {"value": "3000", "phase": "L1", "context": "Transaction.End"}
        ]}
    ]);
    h.call("StopTransaction", "s1", payload);
    assert_eq!(
        h.row(
            "SELECT count(*), min(connector_id), max(connector_id) FROM meter_values \
             WHERE source = 'StopTransaction' AND transaction_id = ?",
            &[tx.into()]
        ),
        vec![json!(3), json!(3), json!(3)]
    );
    assert_eq!(
        h.row("SELECT energy_check, flagged, flag_reason FROM transactions", &[]),
        vec![
            json!("max register sample 9250 Wh differs from meterStop 9000 Wh by 250 Wh"),
            json!(1),
            json!("energy check: max register sample 9250 Wh differs from meterStop 9000 Wh by 250 Wh")
        ]
    );
}

#[test]
fn stop_for_unknown_transaction_is_answered_and_recorded() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    let with_tag = h.call(
        "StopTransaction",
        "s1",
        stop(4242, Some("ALICE"), 5_000, "2026-05-04T13:00:00.5+02:00"),
    );
    assert_eq!(with_tag, json!({"idTagInfo": {"status": "Accepted"}}));
    let without = h.call(
        "StopTransaction",
        "s2",
        stop(4243, None, 6_000, "2026-05-04T11:00:00Z"),
    );
    assert_eq!(without, json!({}));
    let rows = h.sql(
        "SELECT charge_point_id, transaction_id, payload, received_at FROM unknown_transaction_stops ORDER BY id",
        &[],
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].text(0, "").unwrap(), "CP1");
    assert_eq!(rows[0].i64(1, "").unwrap(), 4242);
    let kept: Value = serde_json::from_str(&rows[0].text(2, "").unwrap()).unwrap();
    assert_eq!(kept["meterStop"], 5_000);
    assert_eq!(kept["idTag"], "ALICE");
    assert_eq!(
        kept["timestamp"], "2026-05-04T13:00:00.5+02:00",
        "kept as received"
    );
    assert_eq!(rows[0].text(3, "").unwrap(), "2026-05-04T12:00:00Z");
    assert_eq!(h.count("charge_detail_records"), 0);
    // A retransmission is not recorded twice.
    h.call(
        "StopTransaction",
        "s2",
        stop(4243, None, 6_000, "2026-05-04T11:00:00Z"),
    );
    assert_eq!(h.count("unknown_transaction_stops"), 2);
}

#[test]
fn second_stop_does_not_change_the_transaction() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    let tx = start(&h, "ALICE", 1);
    let first = h.call(
        "StopTransaction",
        "s1",
        stop(tx, Some("ALICE"), 3_000, "2026-05-04T11:00:00Z"),
    );
    let columns = "SELECT meter_stop_wh, stopped_at, stop_reason, stop_id_tag, energy_wh, energy_check, flagged, \
                   flag_reason FROM transactions";
    let closed = h.row(columns, &[]);
    let cdr = h.row("SELECT * FROM charge_detail_records", &[]);
    let mut later = stop(tx, Some("ALICE"), 7_000, "2026-05-04T11:30:00Z");
    later["transactionData"] =
        json!([{"timestamp": "2026-05-04T11:30:00Z", "sampledValue": [{"value": "7000"}]}]);
    let second = h.call("StopTransaction", "s2", later);
    assert_eq!(first, second);
    assert_eq!(h.row(columns, &[]), closed);
    assert_eq!(h.row("SELECT * FROM charge_detail_records", &[]), cdr);
    assert_eq!(h.count("meter_values"), 0);
    assert_eq!(h.count("unknown_transaction_stops"), 0);
}

#[test]
fn stop_by_tag_sharing_parent_may_stop() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, Some("FAMILY"));
    h.id_tag("BOB", "Accepted", None, Some("FAMILY"));
    let tx = start(&h, "ALICE", 1);
    let answer = h.call(
        "StopTransaction",
        "s1",
        stop(tx, Some("BOB"), 2_000, "2026-05-04T11:00:00Z"),
    );
    assert_eq!(
        answer,
        json!({"idTagInfo": {"status": "Accepted", "parentIdTag": "FAMILY"}})
    );
    assert_eq!(
        h.row(
            "SELECT stop_id_tag, flagged, flag_reason FROM transactions",
            &[]
        ),
        vec![json!("BOB"), json!(0), json!(null)]
    );
}

#[test]
fn stop_by_unrelated_tag_is_recorded_and_flagged() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, Some("FAMILY"));
    h.id_tag("EVE", "Blocked", None, None);
    let tx = start(&h, "ALICE", 1);
    let answer = h.call(
        "StopTransaction",
        "s1",
        stop(tx, Some("EVE"), 2_000, "2026-05-04T11:00:00Z"),
    );
    assert_eq!(answer, json!({"idTagInfo": {"status": "Blocked"}}));
    assert_eq!(
        h.row("SELECT meter_stop_wh, stop_id_tag, flagged, flag_reason FROM transactions", &[]),
        vec![json!(2_000), json!("EVE"), json!(1),
             json!("stopped by idTag EVE which neither started the transaction (ALICE) nor shares its parent idTag")]
    );
}

#[test]
fn a_flagged_start_keeps_its_reason_when_the_stop_is_flagged_too() {
    let h = Harness::new();
    let tx = start(&h, "STRANGER", 1);
    h.call(
        "StopTransaction",
        "s1",
        stop(tx, Some("OTHER"), 2_000, "2026-05-04T11:00:00Z"),
    );
    let reason = h.row("SELECT flag_reason FROM transactions", &[]);
    assert_eq!(
        reason,
        vec![json!("idTag STRANGER was Invalid at start; stopped by idTag OTHER which neither started the transaction (STRANGER) nor shares its parent idTag")]
    );
}

#[test]
fn cdr_is_priced_on_stop() {
    let h = Harness::new();
    h.tariff("std-2026", TARIFF);
    h.charge_point(common::CP, "Europe/Stockholm", Some("std-2026"));
    h.id_tag("ALICE", "Accepted", None, None);
    let tx = start(&h, "ALICE", 1);
    register(&h, "mv1", tx, "2026-05-04T10:30:00Z", "6");
    register(&h, "mv2", tx, "2026-05-04T11:00:00Z", "11.000");
    register(&h, "mv3", tx, "2026-05-04T11:30:00Z", "11");
    let answer = h.call(
        "StopTransaction",
        "s1",
        stop(tx, Some("ALICE"), 11_000, "2026-05-04T12:00:00Z"),
    );
    assert_eq!(answer["idTagInfo"]["status"], "Accepted");
    // 2 h session; energy rose until 11:00, then stayed: 1 h charging, 1 h idle.
    // Energy 10 kWh x 0.35 = 3.50; charging 1 h x 2.00 = 2.00; parking 1 h x 6.00 = 6.00;
    // session fee 1.00. Excl. VAT 12.50; VAT 25 % = 3.125 -> 3.13; incl. VAT 15.63.
    assert_eq!(
        h.row(
            "SELECT transaction_id, tariff_id, currency, energy_wh, duration_s, charging_s, idle_s, total_excl_vat, \
             vat_amount, total_incl_vat, pricing_error, created_at FROM charge_detail_records",
            &[]
        ),
        vec![json!(tx), json!("std-2026"), json!("EUR"), json!(10_000), json!(7_200), json!(3_600), json!(3_600),
             json!("12.50"), json!("3.13"), json!("15.63"), json!(null), json!("2026-05-04T12:00:00Z")]
    );
    let priced: Value = serde_json::from_str(
        h.row("SELECT priced FROM charge_detail_records", &[])[0]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let amounts: Vec<(String, Decimal)> = priced["line_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_owned(),
                l["amount_excl_vat"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    let expect = |kind: &str, amount: &str| (kind.to_owned(), amount.parse::<Decimal>().unwrap());
    for item in [
        expect("energy", "3.50"),
        expect("charging-time", "2.00"),
        expect("parking-time", "6.00"),
        expect("session-fee", "1.00"),
    ] {
        assert!(amounts.contains(&item), "{item:?} not in {amounts:?}");
    }
    assert_eq!(amounts.len(), 4, "{amounts:?}");
    assert_eq!(priced["vat_percent"], "25");
    assert_eq!(priced["currency"], "EUR");
}

#[test]
fn cdr_without_a_tariff_is_stored_with_the_reason_and_the_stop_accepted() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    let tx = start(&h, "ALICE", 1);
    let answer = h.call(
        "StopTransaction",
        "s1",
        stop(tx, Some("ALICE"), 4_000, "2026-05-04T10:30:00Z"),
    );
    assert_eq!(answer, json!({"idTagInfo": {"status": "Accepted"}}));
    assert_eq!(
        h.row(
            "SELECT tariff_id, currency, energy_wh, duration_s, charging_s, idle_s, total_excl_vat, vat_amount, \
             total_incl_vat, priced, pricing_error FROM charge_detail_records",
            &[]
        ),
        vec![json!(null), json!(null), json!(3_000), json!(1_800), json!(1_800), json!(0), json!(null), json!(null),
             json!(null), json!(null), json!("no tariff is assigned to charge point CP1")]
    );
}

#[test]
fn cdr_with_a_broken_or_missing_tariff_records_the_pricing_error() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    h.tariff("broken", r#"{"id": "broken", "currency": "EUR", "vat_percent": "25", "elements": [], "colour": "red"}"#);
    h.charge_point(common::CP, "Europe/Stockholm", Some("broken"));
    let tx = start(&h, "ALICE", 1);
    h.call(
        "StopTransaction",
        "s1",
        stop(tx, None, 4_000, "2026-05-04T10:30:00Z"),
    );
    let row = h.row(
        "SELECT tariff_id, total_incl_vat, pricing_error FROM charge_detail_records",
        &[],
    );
    assert_eq!(row[0], json!("broken"));
    assert_eq!(row[1], json!(null));
    let error = row[2].as_str().unwrap();
    assert!(
        error.starts_with("pricing with tariff \"broken\": "),
        "{error}"
    );
    assert!(error.contains("colour"), "{error}");

    h.charge_point(common::CP, "Europe/Stockholm", Some("gone"));
    let tx2 = start(&h, "ALICE", 2);
    h.call(
        "StopTransaction",
        "s2",
        stop(tx2, None, 4_000, "2026-05-04T10:30:00Z"),
    );
    assert_eq!(
        h.row(
            "SELECT tariff_id, pricing_error FROM charge_detail_records WHERE transaction_id = ?",
            &[tx2.into()]
        ),
        vec![
            json!("gone"),
            json!("tariff \"gone\" assigned to charge point CP1 does not exist")
        ]
    );
}

#[test]
fn a_meter_running_backwards_is_closed_but_not_priced() {
    let h = Harness::new();
    h.tariff("std-2026", TARIFF);
    h.charge_point(common::CP, "UTC", Some("std-2026"));
    h.id_tag("ALICE", "Accepted", None, None);
    let tx = start(&h, "ALICE", 1);
    h.call(
        "StopTransaction",
        "s1",
        stop(tx, None, 400, "2026-05-04T10:30:00Z"),
    );
    assert_eq!(
        h.row(
            "SELECT energy_wh, energy_check, flagged FROM transactions",
            &[]
        ),
        vec![
            json!(-600),
            json!("meterStop 400 Wh is 600 Wh below meterStart 1000 Wh"),
            json!(1)
        ]
    );
    let row = h.row(
        "SELECT energy_wh, total_incl_vat, pricing_error FROM charge_detail_records",
        &[],
    );
    assert_eq!((row[0].clone(), row[1].clone()), (json!(-600), json!(null)));
    assert!(
        row[2].as_str().unwrap().contains("below meter start"),
        "{row:?}"
    );
}

#[test]
fn retransmitted_stop_is_answered_from_the_record() {
    let h = Harness::new();
    h.id_tag("ALICE", "Accepted", None, None);
    let tx = start(&h, "ALICE", 1);
    let calls = h.authorization_calls();
    let first = h.call(
        "StopTransaction",
        "s1",
        stop(tx, Some("ALICE"), 3_000, "2026-05-04T11:00:00Z"),
    );
    let again = h.call(
        "StopTransaction",
        "s1",
        stop(tx, Some("ALICE"), 3_000, "2026-05-04T11:00:00Z"),
    );
    assert_eq!(first, again);
    assert_eq!(h.authorization_calls(), calls + 1);
    assert_eq!(h.count("charge_detail_records"), 1);
}
