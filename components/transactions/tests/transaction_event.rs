//! 2.0.1 TransactionEvent onto the shared transaction: start and stop registers, the
//! chargingState timeline as idle time, totalCost from the CDR, events out of order.

// Test helpers outside #[test] functions state expectations the same way.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;
use serde_json::{json, Value};

const TARIFF: &str = r#"{"id": "std-2026", "currency": "EUR", "vat_percent": "25", "elements": [
    {"price_components": [
        {"type": "ENERGY", "price": "0.35"},
        {"type": "TIME", "price": "2.00"},
        {"type": "PARKING_TIME", "price": "6.00"},
        {"type": "FLAT", "price": "1.00"}
    ]}
]}"#;

fn event(kind: &str, seq: i64, at: &str, state: Option<&str>, wh: Option<(f64, &str)>) -> Value {
    let mut info = json!({"transactionId": "tx-A"});
    if let Some(state) = state {
        info["chargingState"] = json!(state);
    }
    let mut e = json!({"eventType": kind, "timestamp": at, "triggerReason": "MeterValuePeriodic",
                       "seqNo": seq, "transactionInfo": info});
    if let Some((value, context)) = wh {
        e["meterValue"] = json!([{"timestamp": at, "sampledValue": [{"value": value, "context": context,
            "measurand": "Energy.Active.Import.Register", "unitOfMeasure": {"unit": "Wh"}}]}]);
    }
    e
}

fn started(h: &Harness) -> Value {
    let mut e = event(
        "Started",
        0,
        "2026-05-04T10:00:00Z",
        Some("Charging"),
        Some((1000.0, "Transaction.Begin")),
    );
    e["triggerReason"] = json!("Authorized");
    e["evse"] = json!({"id": 2, "connectorId": 1});
    e["idToken"] = json!({"idToken": "alice", "type": "ISO14443"});
    h.call201("TransactionEvent", "e0", e)
}

fn row(h: &Harness) -> Vec<Value> {
    h.row(
        "SELECT t.meter_start_wh, t.meter_stop_wh, t.energy_wh, t.connector_id, t.id_tag, t.ocpp_version, \
         c.idle_s, c.total_incl_vat, t.stop_reason FROM transactions t \
         LEFT JOIN charge_detail_records c ON c.transaction_id = t.id WHERE t.station_transaction_id = 'tx-A'",
        &[],
    )
}

#[test]
fn a_session_is_billed_from_its_registers_with_idle_time_from_the_charging_state_timeline() {
    let h = Harness::new();
    h.tariff("std-2026", TARIFF);
    h.charge_point(common::CP, "Europe/Stockholm", Some("std-2026"));
    h.id_tag("ALICE", "Accepted", None, None);
    let answer = started(&h);
    assert_eq!(answer["idTokenInfo"]["status"], "Accepted");
    let updated = h.call201(
        "TransactionEvent",
        "e1",
        event(
            "Updated",
            1,
            "2026-05-04T10:30:00Z",
            Some("Charging"),
            Some((6.0, "Sample.Periodic")),
        ),
    );
    // No idToken in the request: no idTokenInfo in the answer.
    assert_eq!(updated, json!({}));
    // The register stopped rising at 11:00, but the station says the EV suspended at 11:30.
    h.call201(
        "TransactionEvent",
        "e2",
        event(
            "Updated",
            2,
            "2026-05-04T11:00:00Z",
            Some("Charging"),
            Some((11_000.0, "Sample.Periodic")),
        ),
    );
    h.call201(
        "TransactionEvent",
        "e3",
        event(
            "Updated",
            3,
            "2026-05-04T11:30:00Z",
            Some("SuspendedEV"),
            None,
        ),
    );
    let mut ended = event(
        "Ended",
        4,
        "2026-05-04T12:00:00Z",
        Some("Idle"),
        Some((11_000.0, "Transaction.End")),
    );
    ended["transactionInfo"]["stoppedReason"] = json!("EVDisconnected");
    let answer = h.call201("TransactionEvent", "e4", ended.clone());
    let r = row(&h);
    assert_eq!(
        &r[..6],
        &[
            json!(1000),
            json!(11_000),
            json!(10_000),
            json!(2),
            json!("alice"),
            json!("ocpp2.0.1")
        ]
    );
    assert_eq!(r[6], json!(1800), "idle from 11:30, when it left Charging");
    assert_eq!(r[8], json!("EVDisconnected"));
    // 10 kWh x 0.35 + 1.5 h x 2.00 + 0.5 h x 6.00 + 1.00 = 10.50; VAT 2.63.
    assert_eq!(r[7], json!("13.13"));
    assert_eq!(answer["totalCost"], json!(13.13));
    // The 6 Wh sample sent as 6.0 is kept, not taken as kWh.
    assert_eq!(h.count("meter_values"), 4);
    // A retransmission gets the same answer and changes nothing.
    assert_eq!(h.call201("TransactionEvent", "e4", ended), answer);
    assert_eq!(h.count("transactions"), 1);
}

#[test]
fn events_out_of_order_are_all_applied_and_a_late_start_reprices_the_session() {
    let h = Harness::new();
    h.tariff("std-2026", TARIFF);
    h.charge_point(common::CP, "Europe/Stockholm", Some("std-2026"));
    h.id_tag("ALICE", "Accepted", None, None);
    // The queued Ended arrives first: the start is not known yet.
    let mut ended = event(
        "Ended",
        2,
        "2026-05-04T12:00:00Z",
        None,
        Some((11_000.0, "Transaction.End")),
    );
    ended["offline"] = json!(true);
    h.call201("TransactionEvent", "late-end", ended);
    assert_eq!(row(&h)[2], json!(0));
    started(&h);
    let r = row(&h);
    assert_eq!((r[0].clone(), r[2].clone()), (json!(1000), json!(10_000)));
    let revised = h.row(
        "SELECT revised_at IS NOT NULL FROM charge_detail_records",
        &[],
    );
    assert_eq!(revised[0], json!(1));
    let gaps = h.row(
        "SELECT group_concat(seq_no) FROM (SELECT seq_no FROM transaction_events ORDER BY seq_no) AS ordered",
        &[],
    );
    assert_eq!(gaps[0], json!("0,2"));
}

#[test]
fn an_unknown_token_is_answered_unknown_and_the_transaction_kept_flagged() {
    let h = Harness::new();
    let answer = started(&h);
    assert_eq!(answer["idTokenInfo"]["status"], "Unknown");
    let flagged = h.row(
        "SELECT flagged, start_auth_status FROM transactions WHERE station_transaction_id = 'tx-A'",
        &[],
    );
    assert_eq!(flagged, vec![json!(1), json!("Unknown")]);
}

#[test]
fn with_an_interval_a_live_event_after_it_queues_a_cost_updated_with_the_running_cost() {
    let mut h = Harness::new();
    h.id_tag("alice", "Accepted", None, None);
    h.tariff("std-2026", TARIFF);
    h.charge_point(common::CP, "UTC", Some("std-2026"));
    h.cost_updated_every = Some(chrono::Duration::minutes(15));
    h.now = common::at("2026-05-04T10:00:00Z");
    started(&h);
    let queued = |h: &Harness| -> Vec<String> {
        h.sql(
            "SELECT request FROM commands WHERE action = 'CostUpdated' AND state = 'queued' ORDER BY id",
            &[],
        )
        .iter()
        .map(|r| r.text(0, "request").unwrap())
        .collect()
    };
    let periodic = |h: &Harness, seq: i64, at: &str, wh: f64, offline: bool| {
        let mut e = event(
            "Updated",
            seq,
            at,
            Some("Charging"),
            Some((wh, "Sample.Periodic")),
        );
        if offline {
            e["offline"] = json!(true);
        }
        h.call201("TransactionEvent", &format!("e{seq}"), e);
    };
    h.now = common::at("2026-05-04T10:10:00Z");
    periodic(&h, 1, "2026-05-04T10:10:00Z", 2000.0, false);
    assert!(queued(&h).is_empty(), "10 minutes: not yet");
    h.now = common::at("2026-05-04T10:20:00Z");
    // Queued while offline: it reports the past, and sends nothing.
    periodic(&h, 2, "2026-05-04T10:05:00Z", 1500.0, true);
    assert!(queued(&h).is_empty());
    let due = event(
        "Updated",
        3,
        "2026-05-04T10:20:00Z",
        Some("Charging"),
        Some((3000.0, "Sample.Periodic")),
    );
    let body = json!({"charge_point_id": common::CP, "message_id": "e3", "payload": due});
    let answer = h.request(
        "POST",
        "/ocpp201/TransactionEvent",
        body.to_string().as_bytes(),
    );
    let first = queued(&h);
    assert_eq!(first.len(), 1);
    // The answer names it, so the connection component marks it and sends it at once.
    let id = h.sql("SELECT id FROM commands WHERE action = 'CostUpdated'", &[])[0]
        .i64(0, "id")
        .unwrap();
    assert_eq!(
        answer.body["queued_commands"],
        json!([id]),
        "{}",
        answer.body
    );
    let request: Value = serde_json::from_str(&first[0]).unwrap();
    // 2 kWh x 0.35 + 20 min x 2.00/h + 1.00 = 2.37, with 25 % VAT: 2.9625, rounded.
    assert_eq!(request["transactionId"], "tx-A");
    let total = request["totalCost"].as_f64().unwrap();
    assert!((2.96..=2.97).contains(&total), "{request}");
    h.now = common::at("2026-05-04T10:30:00Z");
    periodic(&h, 4, "2026-05-04T10:30:00Z", 4000.0, false);
    assert_eq!(queued(&h).len(), 1, "10 minutes after the last update");
    h.now = common::at("2026-05-04T10:36:00Z");
    periodic(&h, 5, "2026-05-04T10:36:00Z", 4500.0, false);
    assert_eq!(queued(&h).len(), 2);
}
