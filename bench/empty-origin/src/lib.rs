//! Answers what loadgen's charge points send without reading or writing anything, so
//! that a benchmark behind it measures the gateway and the host, not the CSMS.

use grip::events::{self, WsEvent};
use serde_json::{json, Value};

/// The CALLRESULT payload loadgen accepts for each action it sends.
fn answer(action: &str) -> Value {
    let now = "2026-01-01T00:00:00Z";
    let accepted = json!({"idTagInfo": {"status": "Accepted"}});
    match action {
        "BootNotification" => json!({"status": "Accepted", "currentTime": now, "interval": 300}),
        "Heartbeat" => json!({"currentTime": now}),
        "Authorize" | "StopTransaction" => accepted,
        "StartTransaction" => json!({"transactionId": 1, "idTagInfo": {"status": "Accepted"}}),
        _ => json!({}),
    }
}

/// The events to send back for `incoming`, and whether a socket was opened.
pub fn respond(incoming: &[u8]) -> Result<(Vec<u8>, bool), events::EventsError> {
    let mut out = Vec::new();
    let mut opened = false;
    for event in events::decode(incoming)? {
        match event {
            WsEvent::Open => {
                opened = true;
                out.push(WsEvent::Open);
            }
            WsEvent::Text(text) => {
                let call: Value = serde_json::from_slice(&text).unwrap_or(Value::Null);
                let (Some(id), Some(action)) = (call.get(1), call.get(2).and_then(Value::as_str))
                else {
                    continue;
                };
                out.push(WsEvent::Text(
                    json!([3, id, answer(action)]).to_string().into(),
                ));
            }
            WsEvent::Close(payload) => out.push(WsEvent::Close(payload)),
            WsEvent::Ping(payload) => out.push(WsEvent::Pong(payload)),
            WsEvent::Binary(_) | WsEvent::Pong(_) | WsEvent::Disconnect => {}
        }
    }
    Ok((events::encode(&out), opened))
}

// The Spin SDK's export macro expands to unsafe code.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod spin_component {
    use spin_sdk::http::{IntoResponse, Request, Response};
    use spin_sdk::http_component;

    #[http_component]
    fn handle_request(req: Request) -> impl IntoResponse {
        let Ok((body, opened)) = super::respond(req.body()) else {
            return Response::builder().status(400).body("bad events").build();
        };
        let mut response = Response::builder();
        response.status(200);
        response.header("content-type", "application/websocket-events");
        // Texts go out as they are (no `m:` prefix), as the connection component has them.
        response.header("sec-websocket-extensions", "grip; message-prefix=\"\"");
        if opened {
            response.header("sec-websocket-protocol", "ocpp1.6");
        }
        response.body(body).build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_gets_a_callresult_with_its_id() {
        let request = events::encode(&[
            WsEvent::Open,
            WsEvent::Text(r#"[2,"m1","StartTransaction",{}]"#.into()),
        ]);
        let (body, opened) = respond(&request).unwrap_or_default();
        assert!(opened);
        let out = events::decode(&body).unwrap_or_default();
        assert_eq!(out[0], WsEvent::Open);
        let WsEvent::Text(text) = &out[1] else {
            panic!("expected TEXT, got {out:?}");
        };
        let result: Value = serde_json::from_slice(text).unwrap_or(Value::Null);
        assert_eq!(result[1], "m1");
        assert_eq!(result[2]["transactionId"], 1);
    }
}
