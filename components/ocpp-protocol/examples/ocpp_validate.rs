//! Decodes OCPP payloads read as JSON lines on stdin and writes what this crate
//! makes of them, one JSON line each. The schema conformance test drives it with
//! payloads generated from the official OCA schemas.
//!
//! In:  `{"version":"ocpp1.6","action":"Heartbeat","kind":"request","payload":{}}`
//! Out: `{"ok":true,"payload":{...re-encoded...}}` or
//!      `{"ok":false,"code":"FormationViolation","description":"..."}`

use ocpp_protocol::messages::{v16, v201};
use ocpp_protocol::{OcppVersion, PayloadError};
use serde_json::{json, Value};
use std::io::{BufRead, Write};

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let answer = answer(&line?);
        writeln!(out, "{answer}")?;
    }
    Ok(())
}

fn answer(line: &str) -> Value {
    let input: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return json!({"ok": false, "code": "BadInput", "description": e.to_string()}),
    };
    let version = match input["version"].as_str().map(str::parse::<OcppVersion>) {
        Some(Ok(v)) => v,
        _ => return json!({"ok": false, "code": "BadInput", "description": "version"}),
    };
    let action = input["action"].as_str().unwrap_or_default();
    let payload = &input["payload"];
    let result: Result<Value, PayloadError> = match (version, input["kind"].as_str()) {
        (OcppVersion::V16, Some("request")) => {
            v16::Request::decode(action, payload).map(|m| m.to_payload())
        }
        (OcppVersion::V16, _) => v16::Response::decode(action, payload).map(|m| m.to_payload()),
        (OcppVersion::V201, Some("request")) => {
            v201::Request::decode(action, payload).map(|m| m.to_payload())
        }
        (OcppVersion::V201, _) => v201::Response::decode(action, payload).map(|m| m.to_payload()),
    };
    match result {
        Ok(payload) => json!({"ok": true, "payload": payload}),
        Err(e) => {
            json!({"ok": false, "code": e.code.as_str(version), "description": e.description})
        }
    }
}
