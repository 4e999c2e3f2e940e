//! The connection component end to end in-process: GRIP request bodies in,
//! GRIP answers out, against real SQLite files and a fake for the other
//! components.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};
use connection::forward::{Chain, ForwardError};
use connection::{handle, Config, Env, GripRequest, GripResponse, UnknownChargePoints};
use csms_store::native::{NativeKeyValue, NativeSql};
use csms_store::Sql;
use grip::events::{encode, WsEvent};
use serde_json::{json, Value};
use std::cell::RefCell;

/// The other components: a fixed answer per path, after the registration gate the
/// transactions component checks for what it is forwarded (the shared check, on the same
/// database).
struct FakeChain {
    calls: RefCell<Vec<(String, Value)>>,
    db_path: std::path::PathBuf,
    /// A command the next forwarded transaction message queues, as a 2.0.1 TransactionEvent
    /// queues a CostUpdated.
    queues: RefCell<Option<&'static str>>,
}

impl FakeChain {
    fn admits(&self, url: &str, body: &Value) -> bool {
        let Some(admission) = body.get("admission") else {
            return true;
        };
        let admission: csms_contracts::registration::Admission =
            serde_json::from_value(admission.clone()).unwrap();
        let sql = NativeSql::open(&self.db_path).unwrap();
        let action = url.rsplit('/').next().unwrap();
        csms_commands::registration_gate::admits(
            &sql,
            body["charge_point_id"].as_str().unwrap(),
            action,
            admission.gate,
            Utc::now(),
            admission.trigger_window_seconds,
        )
        .unwrap()
    }
}

impl Chain for FakeChain {
    fn post_json(&self, url: &str, body: &Value) -> Result<(u16, Value), ForwardError> {
        self.calls.borrow_mut().push((url.to_owned(), body.clone()));
        if !self.admits(url, body) {
            return Ok((403, json!({"error": "not admitted"})));
        }
        if let Some(action) = self.queues.borrow_mut().take() {
            let sql = NativeSql::open(&self.db_path).unwrap();
            let cp = body["charge_point_id"].as_str().unwrap();
            let id = csms_commands::store::insert(
                &sql,
                cp,
                ocpp_protocol::OcppVersion::V16,
                action,
                &json!({}),
                Utc::now(),
            )
            .unwrap();
            return Ok((200, json!({"payload": {}, "queued_commands": [id]})));
        }
        if url.ends_with("/authorize") {
            let status = if body["id_tag"] == "GOOD" {
                "Accepted"
            } else {
                "Invalid"
            };
            return Ok((200, json!({"decision": {"status": status}})));
        }
        if url.ends_with("/ocpp16/StartTransaction") {
            return Ok((
                200,
                json!({"payload": {"transactionId": 7, "idTagInfo": {"status": "Accepted"}}}),
            ));
        }
        if url.ends_with("/ocpp16/MeterValues") {
            return Ok((500, json!({"error": "database locked"})));
        }
        Ok((200, json!({"payload": {}})))
    }
}

struct Harness {
    _dir: tempfile::TempDir,
    sql: NativeSql,
    kv: NativeKeyValue,
    chain: FakeChain,
    config: Config,
    now: DateTime<Utc>,
}

impl Harness {
    fn new(policy: UnknownChargePoints) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let sql = NativeSql::open(&dir.path().join("sqlite_db.db")).unwrap();
        csms_store::migrate(&sql).unwrap();
        let kv = NativeKeyValue::open(&dir.path().join("sqlite_key_value.db")).unwrap();
        Self {
            sql,
            kv,
            chain: FakeChain {
                calls: RefCell::new(Vec::new()),
                db_path: dir.path().join("sqlite_db.db"),
                queues: RefCell::new(None),
            },
            config: Config {
                unknown_charge_points: policy,
                ..Config::default()
            },
            now: Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap(),
            _dir: dir,
        }
    }

    fn send(&self, cp: &str, headers: &[(&str, &str)], events: &[WsEvent]) -> GripResponse {
        let mut all = vec![("connection-id".to_owned(), format!("conn-{cp}"))];
        all.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let req = GripRequest {
            path: format!("/ocpp/{cp}"),
            headers: all,
            body: encode(events),
        };
        let env = Env {
            sql: &self.sql,
            kv: &self.kv,
            chain: &self.chain,
            config: &self.config,
            now: self.now,
        };
        handle(&req, &env)
    }

    fn open(&self, cp: &str) -> GripResponse {
        self.send(
            cp,
            &[("sec-websocket-protocol", "ocpp1.6")],
            &[WsEvent::Open],
        )
    }

    /// Sends CALL texts on an open socket and returns the parsed answers.
    fn calls(&self, cp: &str, texts: &[&str]) -> Vec<Value> {
        let events: Vec<WsEvent> = texts
            .iter()
            .map(|t| WsEvent::Text(t.to_string().into()))
            .collect();
        let response = self.send(cp, &[("meta-ocpp-version", "ocpp1.6")], &events);
        assert_eq!(response.status, 200);
        response
            .events()
            .into_iter()
            .map(|e| match e {
                WsEvent::Text(t) => serde_json::from_slice(&t).unwrap(),
                other => panic!("unexpected event {other:?}"),
            })
            .collect()
    }

    fn register(&self, cp: &str, password_hash: Option<&str>) {
        self.sql
            .execute(
                "INSERT INTO charge_points (id, password_hash, created_at, updated_at) VALUES (?, ?, 'x', 'x')",
                &[cp.into(), password_hash.into()],
            )
            .unwrap();
    }

    fn count(&self, sql: &str) -> i64 {
        self.sql.execute(sql, &[]).unwrap()[0]
            .i64(0, "count")
            .unwrap()
    }
}

fn boot(id: &str) -> String {
    json!([2, id, "BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "Fast-1"}])
        .to_string()
}

#[test]
fn open_picks_the_stations_first_choice_and_subscribes_the_socket() {
    let h = Harness::new(UnknownChargePoints::Accept);
    let r = h.send(
        "CP1",
        &[("sec-websocket-protocol", "ocpp1.6, ocpp2.0.1")],
        &[WsEvent::Open],
    );
    assert_eq!(r.status, 200);
    assert!(r
        .headers
        .contains(&("sec-websocket-protocol".into(), "ocpp1.6".into())));
    let r201 = h.send(
        "CP2",
        &[("sec-websocket-protocol", "ocpp2.1, ocpp2.0.1, ocpp1.6")],
        &[WsEvent::Open],
    );
    assert!(r201
        .headers
        .contains(&("sec-websocket-protocol".into(), "ocpp2.0.1".into())));
    assert!(r.headers.contains(&(
        "sec-websocket-extensions".into(),
        "grip; message-prefix=\"\"".into()
    )));
    let events = r.events();
    assert_eq!(events[0], WsEvent::Open);
    assert_eq!(
        events[1],
        WsEvent::Text(r#"c:{"channel":"ocpp:CP1","type":"subscribe"}"#.to_string().into())
    );
    // The gateway comes back once if the charge point stays silent (queued commands).
    assert!(r
        .headers
        .contains(&("keep-alive-interval".into(), "20".into())));
}

#[test]
fn a_keep_alive_request_is_answered_and_turns_keep_alives_off() {
    let h = Harness::new(UnknownChargePoints::Accept);
    h.open("CP1");
    let r = h.send("CP1", &[], &[]);
    assert_eq!(r.status, 200);
    assert!(r.events().is_empty(), "{:?}", r.events());
    assert!(r
        .headers
        .contains(&("keep-alive-interval".into(), "0".into())));
    // An ordinary message leaves the gateway's keep-alive setting alone.
    let r = h.send(
        "CP1",
        &[],
        &[WsEvent::Text(
            r#"[2,"h","Heartbeat",{}]"#.to_string().into(),
        )],
    );
    assert!(!r.headers.iter().any(|(k, _)| k == "keep-alive-interval"));
}

#[test]
fn socket_offering_no_supported_version_is_opened_without_a_subprotocol_then_closed() {
    let h = Harness::new(UnknownChargePoints::Accept);
    let r = h.send(
        "CP1",
        &[("sec-websocket-protocol", "ocpp2.1, ocpp1.5")],
        &[WsEvent::Open],
    );
    assert_eq!(r.status, 200);
    assert!(!r.headers.iter().any(|(k, _)| k == "sec-websocket-protocol"));
    let events = r.events();
    assert_eq!(events[0], WsEvent::Open);
    let WsEvent::Close(payload) = &events[1] else {
        panic!("expected a CLOSE, got {events:?}");
    };
    assert_eq!(payload[..2], 1002u16.to_be_bytes());
}

#[test]
fn unknown_charge_point_is_refused_with_404_by_default() {
    let h = Harness::new(UnknownChargePoints::Reject);
    assert_eq!(h.open("CP9").status, 404);
    h.register("CP9", None);
    assert_eq!(h.open("CP9").status, 200);
}

#[test]
fn unknown_charge_point_under_pending_policy_boots_pending_and_may_not_start() {
    let h = Harness::new(UnknownChargePoints::Pending);
    assert_eq!(h.open("CP2").status, 200);
    let answers = h.calls(
        "CP2",
        &[
            &boot("b1"),
            r#"[2,"s1","StartTransaction",{"connectorId":1,"idTag":"A","meterStart":0,"timestamp":"2026-11-23T08:00:00Z"}]"#,
            // What a TriggerMessage may ask for is taken (OCPP 1.6, 4.2).
            r#"[2,"s2","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Available"}]"#,
        ],
    );
    assert_eq!(answers[0][2]["status"], "Pending");
    assert_eq!(answers[1][0], 4);
    assert_eq!(answers[1][2], "SecurityError");
    assert_eq!(answers[2][0], 3);
    assert_eq!(h.count("SELECT count(*) FROM connectors"), 1);
    // The transactions component refused it, by the gate this component's table names.
    let calls = h.chain.calls.borrow();
    let (url, body) = calls.last().unwrap();
    assert!(url.ends_with("/ocpp16/StartTransaction"), "{url}");
    assert_eq!(body["admission"]["gate"], "Accepted");
}

#[test]
fn a_command_the_transactions_component_queued_follows_the_answer_of_its_message() {
    let h = Harness::new(UnknownChargePoints::Accept);
    h.register("CP1", None);
    assert_eq!(h.open("CP1").status, 200);
    // The queue was looked at and found empty: later messages need not look again...
    let heartbeat = h.calls("CP1", &[r#"[2,"h1","Heartbeat",{}]"#]);
    assert_eq!(heartbeat.len(), 1, "{heartbeat:?}");
    // ...until a component marks a command it queued.
    *h.chain.queues.borrow_mut() = Some("ClearCache");
    let answers = h.calls(
        "CP1",
        &[r#"[2,"m1","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2026-11-23T08:00:00Z","sampledValue":[{"value":"1"}]}]}]"#],
    );
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert_eq!(answers[0], json!([3, "m1", {}]));
    assert_eq!(answers[1][0], 2);
    assert_eq!(answers[1][2], "ClearCache");
}

#[test]
fn password_protected_charge_point_needs_basic_auth() {
    let h = Harness::new(UnknownChargePoints::Reject);
    let hash = csms_store::credentials::hash_password("0123456789abcdef").unwrap();
    h.register("CP3", Some(&hash));
    let proto = ("sec-websocket-protocol", "ocpp1.6");
    assert_eq!(h.send("CP3", &[proto], &[WsEvent::Open]).status, 401);
    let wrong = format!("Basic {}", STANDARD.encode("CP3:nope"));
    assert_eq!(
        h.send("CP3", &[proto, ("authorization", &wrong)], &[WsEvent::Open])
            .status,
        401
    );
    let right = format!("Basic {}", STANDARD.encode("CP3:0123456789abcdef"));
    assert_eq!(
        h.send("CP3", &[proto, ("authorization", &right)], &[WsEvent::Open])
            .status,
        200
    );
}

#[test]
fn requests_without_a_valid_grip_sig_are_refused_when_a_key_is_set() {
    let mut h = Harness::new(UnknownChargePoints::Accept);
    h.config.grip_sig_key = Some("k3y".into());
    assert_eq!(h.open("CP1").status, 401);
    let forged = grip::sig::sign(b"other", h.now.timestamp() as u64).unwrap();
    assert_eq!(
        h.send("CP1", &[("grip-sig", &forged)], &[WsEvent::Open])
            .status,
        401
    );
    let good = grip::sig::sign(b"k3y", h.now.timestamp() as u64).unwrap();
    let r = h.send(
        "CP1",
        &[("grip-sig", &good), ("sec-websocket-protocol", "ocpp1.6")],
        &[WsEvent::Open],
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        h.count("SELECT count(*) FROM charge_points"),
        0,
        "nothing processed for refused requests"
    );
}

#[test]
fn boot_heartbeat_and_status_are_answered_in_order_in_one_request() {
    let h = Harness::new(UnknownChargePoints::Accept);
    h.open("CP1");
    let answers = h.calls(
        "CP1",
        &[
            &boot("1"),
            r#"[2,"2","Heartbeat",{}]"#,
            r#"[2,"3","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Charging","timestamp":"2026-11-23T09:00:00+01:00"}]"#,
        ],
    );
    assert_eq!(answers.len(), 3);
    assert_eq!(
        answers[0],
        json!([3, "1", {"currentTime": "2026-11-23T08:00:00Z", "interval": 300, "status": "Accepted"}])
    );
    assert_eq!(
        answers[1],
        json!([3, "2", {"currentTime": "2026-11-23T08:00:00Z"}])
    );
    assert_eq!(answers[2], json!([3, "3", {}]));
    let rows = h
        .sql
        .execute(
            "SELECT status, status_at FROM connectors WHERE charge_point_id = 'CP1'",
            &[],
        )
        .unwrap();
    assert_eq!(rows[0].text(0, "status").unwrap(), "Charging");
    assert_eq!(
        rows[0].text(1, "status_at").unwrap(),
        "2026-11-23T08:00:00Z"
    );
    let vendor = h
        .sql
        .execute(
            "SELECT vendor, model FROM charge_points WHERE id = 'CP1'",
            &[],
        )
        .unwrap();
    assert_eq!(vendor[0].text(0, "vendor").unwrap(), "Acme");
}

#[test]
fn retransmitted_status_notification_is_answered_again_but_stored_once() {
    let h = Harness::new(UnknownChargePoints::Accept);
    h.open("CP1");
    h.calls("CP1", &[&boot("1")]);
    let status = r#"[2,"s","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Available"}]"#;
    let first = h.calls("CP1", &[status]);
    let again = h.calls("CP1", &[status]);
    assert_eq!(first, again);
    assert_eq!(h.count("SELECT count(*) FROM connector_status_history"), 1);
}

#[test]
fn malformed_frames_get_the_16_spelling_and_the_session_continues() {
    let h = Harness::new(UnknownChargePoints::Accept);
    h.open("CP1");
    let answers = h.calls(
        "CP1",
        &[
            r#"[2,"a","Heartbeat",{"#,
            r#"[2,"b","BootNotification",{"chargePointVendor":"Acme"}]"#,
            r#"[2,"c","BootNotification",{"chargePointVendor":"Acme","chargePointModel":"M","colour":"red"}]"#,
            r#"[2,"d","StatusNotification",{"connectorId":"1","errorCode":"NoError","status":"Available"}]"#,
            r#"[2,"e","Teleport",{}]"#,
            r#"[2,"f","RemoteStartTransaction",{"idTag":"X"}]"#,
            r#"[2,"g","Heartbeat",{}]"#,
        ],
    );
    let codes: Vec<&str> = answers
        .iter()
        .map(|a| a[2].as_str().unwrap_or("(result)"))
        .collect();
    assert_eq!(
        codes,
        [
            "FormationViolation",
            "OccurenceConstraintViolation",
            "FormationViolation",
            "TypeConstraintViolation",
            "NotImplemented",
            "NotSupported",
            "(result)"
        ]
    );
    assert_eq!(answers[0][1], "a", "the id of a broken frame is salvaged");
    assert_eq!(answers[6][0], 3);
}

#[test]
fn data_transfer_from_an_unknown_vendor_is_kept_and_answered_unknown_vendor() {
    let h = Harness::new(UnknownChargePoints::Accept);
    h.open("CP1");
    h.calls("CP1", &[&boot("1")]);
    let answers = h.calls(
        "CP1",
        &[r#"[2,"d","DataTransfer",{"vendorId":"com.acme","data":"x"}]"#],
    );
    assert_eq!(answers[0][2], json!({"status": "UnknownVendorId"}));
    assert_eq!(
        h.count("SELECT count(*) FROM station_events WHERE action = 'DataTransfer'"),
        1
    );
}

#[test]
fn authorize_and_transaction_messages_are_forwarded_and_failures_are_internal_errors() {
    let h = Harness::new(UnknownChargePoints::Accept);
    h.open("CP1");
    h.calls("CP1", &[&boot("1")]);
    let answers = h.calls(
        "CP1",
        &[
            r#"[2,"a","Authorize",{"idTag":"GOOD"}]"#,
            r#"[2,"s","StartTransaction",{"connectorId":1,"idTag":"GOOD","meterStart":0,"timestamp":"2026-11-23T08:00:00Z"}]"#,
            r#"[2,"m","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2026-11-23T08:01:00Z","sampledValue":[{"value":"10"}]}]}]"#,
        ],
    );
    assert_eq!(
        answers[0],
        json!([3, "a", {"idTagInfo": {"status": "Accepted"}}])
    );
    assert_eq!(answers[1][2]["transactionId"], 7);
    assert_eq!(
        answers[2][2], "InternalError",
        "not committed, so the charge point must retry"
    );
    let calls = h.chain.calls.borrow();
    assert_eq!(
        calls[1].0,
        "http://transactions.spin.internal/ocpp16/StartTransaction"
    );
    assert_eq!(calls[1].1["message_id"], "s");
    assert_eq!(calls[1].1["charge_point_id"], "CP1");
}

#[test]
fn a_reconnect_replaces_the_old_connection_and_its_close_does_not_mark_offline() {
    let h = Harness::new(UnknownChargePoints::Accept);
    h.open("CP1");
    let second = GripRequest {
        path: "/ocpp/CP1".into(),
        headers: vec![
            ("connection-id".into(), "second".into()),
            ("sec-websocket-protocol".into(), "ocpp1.6".into()),
        ],
        body: encode(&[WsEvent::Open]),
    };
    let env = Env {
        sql: &h.sql,
        kv: &h.kv,
        chain: &h.chain,
        config: &h.config,
        now: h.now,
    };
    assert_eq!(handle(&second, &env).status, 200);
    let close = h.send("CP1", &[], &[WsEvent::close_with_code(1000)]);
    assert_eq!(close.events(), vec![WsEvent::close_with_code(1000)]);
    let state = connection::connection_state::load(&h.kv, "CP1")
        .unwrap()
        .unwrap();
    assert_eq!(state.connection_id, "second");
    assert!(state.online);
}

#[test]
fn ping_is_answered_with_pong_and_bad_bodies_with_400() {
    let h = Harness::new(UnknownChargePoints::Accept);
    let r = h.send("CP1", &[], &[WsEvent::Ping("x".to_string().into())]);
    assert_eq!(r.events(), vec![WsEvent::Pong("x".to_string().into())]);
    let req = GripRequest {
        path: "/ocpp/CP1".into(),
        headers: vec![],
        body: b"GARBAGE".to_vec(),
    };
    let env = Env {
        sql: &h.sql,
        kv: &h.kv,
        chain: &h.chain,
        config: &h.config,
        now: h.now,
    };
    assert_eq!(handle(&req, &env).status, 400);
}

#[test]
fn a_late_older_status_report_does_not_overwrite_a_newer_one() {
    let h = Harness::new(UnknownChargePoints::Accept);
    h.open("CP1");
    h.calls("CP1", &[&boot("1")]);
    // Text order would put "…00.500Z" before "…00Z"; time order must win.
    h.calls(
        "CP1",
        &[
            r#"[2,"n","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Charging","timestamp":"2026-11-23T08:00:00.500Z"}]"#,
            r#"[2,"o","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Preparing","timestamp":"2026-11-23T08:00:00Z"}]"#,
        ],
    );
    let rows = h
        .sql
        .execute(
            "SELECT status FROM connectors WHERE charge_point_id = 'CP1'",
            &[],
        )
        .unwrap();
    assert_eq!(rows[0].text(0, "status").unwrap(), "Charging");
    assert_eq!(h.count("SELECT count(*) FROM connector_status_history"), 2);
}

#[test]
fn a_status_time_far_in_the_future_does_not_freeze_the_connector() {
    let h = Harness::new(UnknownChargePoints::Accept);
    h.open("CP1");
    h.calls("CP1", &[&boot("1")]);
    // Local time (UTC+2) written with `Z`: two hours ahead of the central system's 08:00;
    // then the charger's clock is set right and it reports the next change.
    h.calls(
        "CP1",
        &[
            r#"[2,"a","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Charging","timestamp":"2026-11-23T10:00:00Z"}]"#,
            r#"[2,"b","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Finishing","timestamp":"2026-11-23T08:00:30Z"}]"#,
        ],
    );
    let rows = h
        .sql
        .execute(
            "SELECT status FROM connectors WHERE charge_point_id = 'CP1'",
            &[],
        )
        .unwrap();
    assert_eq!(rows[0].text(0, "status").unwrap(), "Finishing");
    // The history keeps what the charge point said.
    assert_eq!(
        h.count("SELECT count(*) FROM connector_status_history WHERE status_at = '2026-11-23T10:00:00Z'"),
        1
    );
}

#[test]
fn tls_headers_count_only_on_signed_requests() {
    let mut h = Harness::new(UnknownChargePoints::Accept);
    h.register("CP-TLS", None);
    h.sql
        .execute(
            "UPDATE charge_points SET security_profile = 2 WHERE id = 'CP-TLS'",
            &[],
        )
        .unwrap();
    let proto = ("sec-websocket-protocol", "ocpp1.6");
    let claim = ("x-ssl-protocol", "TLSv1.3");
    // Without a Grip-Sig key nothing proves the gateway set the header: refused, for unknown
    // charge points too, and only logged (anyone may send it, for any id).
    let refused = h.send("CP-TLS", &[proto, claim], &[WsEvent::Open]);
    assert_eq!(refused.status, 401);
    assert!(String::from_utf8_lossy(&refused.body).contains("UntrustedTransportHeaders"));
    assert_eq!(
        h.send("NEW-1", &[proto, claim], &[WsEvent::Open]).status,
        401
    );
    let events = "SELECT count(*) FROM station_events WHERE action = 'CsmsSecurityEvent'";
    assert_eq!(h.count(events), 0);
    // Without TLS a profile 2 station is a downgrade: recorded once, however often it tries
    // within a minute.
    for _ in 0..3 {
        assert_eq!(h.send("CP-TLS", &[proto], &[WsEvent::Open]).status, 401);
    }
    assert_eq!(h.count(events), 1);
    h.now += chrono::Duration::seconds(61);
    assert_eq!(h.send("CP-TLS", &[proto], &[WsEvent::Open]).status, 401);
    assert_eq!(h.count(events), 2);
    // Signed, the header is believed.
    h.config.grip_sig_key = Some("k3y".into());
    let sig = grip::sig::sign(b"k3y", h.now.timestamp() as u64).unwrap();
    let signed = h.send(
        "CP-TLS",
        &[proto, claim, ("grip-sig", &sig)],
        &[WsEvent::Open],
    );
    assert_eq!(signed.status, 200);
}

/// A self-signed CA certificate, `CN=CP-TLS-1, O=Example Charging` (made once with openssl).
const SELF_SIGNED: &str = include_str!("fixtures/self-signed-cp-tls-1.pem");

#[test]
fn a_forwarded_certificate_counts_only_when_a_trusted_ca_issued_it() {
    let mut h = Harness::new(UnknownChargePoints::Reject);
    h.register("CP-TLS-1", None);
    h.sql
        .execute(
            "UPDATE charge_points SET security_profile = 3 WHERE id = 'CP-TLS-1'",
            &[],
        )
        .unwrap();
    // The certificate is valid from 2026-12-02.
    h.now = Utc.with_ymd_and_hms(2026, 12, 3, 8, 0, 0).unwrap();
    h.config.grip_sig_key = Some("k3y".into());
    let sig = grip::sig::sign(b"k3y", h.now.timestamp() as u64).unwrap();
    let escaped =
        percent_encoding::utf8_percent_encode(SELF_SIGNED, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    let headers = [
        ("sec-websocket-protocol", "ocpp1.6"),
        ("grip-sig", sig.as_str()),
        ("x-ssl-protocol", "TLSv1.3"),
        ("x-ssl-client-verify", "SUCCESS"),
        ("x-ssl-client-cert", escaped.as_str()),
    ];
    // What a client reaching the gateway past the terminator could claim: refused without a
    // CA to check it against, and refused against a CA that did not issue it.
    let refused = h.send("CP-TLS-1", &headers, &[WsEvent::Open]);
    assert_eq!(refused.status, 401);
    assert!(String::from_utf8_lossy(&refused.body).contains("client_ca_certificates"));
    h.config = h.config.clone().with_client_ca_certificates(
        None,
        Some(include_str!("../../csms-pki/tests/fixtures/ca.pem")),
    );
    let refused = h.send("CP-TLS-1", &headers, &[WsEvent::Open]);
    assert_eq!(refused.status, 401);
    assert!(String::from_utf8_lossy(&refused.body).contains("not a trusted CA"));
    // Trusted, it is the station's credential.
    h.config = h
        .config
        .clone()
        .with_client_ca_certificates(Some(SELF_SIGNED), None);
    assert_eq!(h.send("CP-TLS-1", &headers, &[WsEvent::Open]).status, 200);
}

#[test]
fn a_pending_profile_2_is_not_taken_by_a_station_without_a_password() {
    let mut h = Harness::new(UnknownChargePoints::Reject);
    h.register("CP-UP", None);
    h.sql
        .execute(
            "UPDATE charge_points SET security_profile = 1, pending_security_profile = 2 WHERE id = 'CP-UP'",
            &[],
        )
        .unwrap();
    h.config.grip_sig_key = Some("k3y".into());
    let sig = grip::sig::sign(b"k3y", h.now.timestamp() as u64).unwrap();
    let tls = [
        ("sec-websocket-protocol", "ocpp1.6"),
        ("grip-sig", sig.as_str()),
        ("x-ssl-protocol", "TLSv1.3"),
    ];
    // Profile 1 without a password still admits it, but it is not moved to profile 2.
    assert_eq!(h.send("CP-UP", &tls, &[WsEvent::Open]).status, 200);
    assert_eq!(
        h.count("SELECT security_profile FROM charge_points WHERE id = 'CP-UP'"),
        1
    );
}

#[test]
fn sign_certificate_is_refused_to_a_station_that_did_not_authenticate() {
    let mut h = Harness::new(UnknownChargePoints::Reject);
    h.register("CP-NOPW", None);
    h.config = h.config.clone().with_station_ca(
        Some(include_str!("../../csms-pki/tests/fixtures/ca.pem")),
        Some(include_str!("../../csms-pki/tests/fixtures/ca.key")),
        None,
    );
    assert_eq!(h.open("CP-NOPW").status, 200);
    let csr = include_str!("../../csms-pki/tests/fixtures/p256.csr");
    let sign = json!([2, "s1", "SignCertificate", {"csr": csr}]).to_string();
    let answers = h.calls("CP-NOPW", &[&sign]);
    assert_eq!(answers[0][2]["status"], "Rejected", "{answers:?}");
    assert_eq!(
        h.count("SELECT count(*) FROM commands WHERE action = 'CertificateSigned'"),
        0
    );
    assert_eq!(
        h.count(
            "SELECT count(*) FROM station_events WHERE action = 'CsmsSecurityEvent' \
             AND payload LIKE '%UnauthenticatedCsr%'"
        ),
        1
    );
}

#[test]
fn a_station_ca_that_cannot_be_used_rejects_sign_certificate_and_says_why() {
    let mut h = Harness::new(UnknownChargePoints::Reject);
    let hash = csms_store::credentials::hash_password("secret-key-0123456").unwrap();
    h.register("CP-1", Some(&hash));
    h.config = h.config.clone().with_station_ca(
        Some(include_str!("../../csms-pki/tests/fixtures/ca.pem")),
        Some(include_str!("../../csms-pki/tests/fixtures/ca.key")),
        Some("forever"),
    );
    let auth = format!("Basic {}", STANDARD.encode("CP-1:secret-key-0123456"));
    let opened = h.send(
        "CP-1",
        &[
            ("sec-websocket-protocol", "ocpp1.6"),
            ("authorization", &auth),
        ],
        &[WsEvent::Open],
    );
    assert_eq!(opened.status, 200);
    let csr = include_str!("../../csms-pki/tests/fixtures/p256.csr");
    let sign = json!([2, "s1", "SignCertificate", {"csr": csr}]).to_string();
    let answers = h.calls("CP-1", &[&sign]);
    assert_eq!(answers[0][2]["status"], "Rejected", "{answers:?}");
    let reason = h
        .sql
        .execute(
            "SELECT payload FROM station_events WHERE action = 'CsmsSecurityEvent'",
            &[],
        )
        .unwrap()[0]
        .text(0, "payload")
        .unwrap();
    assert!(
        reason.contains("CertificateAuthorityUnavailable")
            && reason.contains("station_certificate_validity_days"),
        "{reason}"
    );
}
