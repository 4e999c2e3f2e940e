//! One GRIP request: verify it came through the gateway, then answer each
//! WebSocket event in order.

use crate::handshake::{self, Handshake};
use crate::{charge_point_id, connection_state, csms_calls, dispatch, forward::Chain, Config};
use chrono::{DateTime, Utc};
use csms_store::{KeyValue, Sql};
use grip::events::{self, WsEvent};
use ocpp_protocol::timestamp::format_utc;
use ocpp_protocol::OcppVersion;

/// What the component needs from the HTTP request.
#[derive(Debug, Clone, Default)]
pub struct GripRequest {
    pub path: String,
    /// Header names in any case; looked up case-insensitively.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl GripRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GripResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl GripResponse {
    fn plain(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
            body: message.into().into_bytes(),
        }
    }

    /// The events in the body, for tests and logs.
    pub fn events(&self) -> Vec<WsEvent> {
        events::decode(&self.body).unwrap_or_default()
    }
}

/// Everything a request is handled with: stores, other components, settings,
/// and the time (injected, so tests are deterministic).
pub struct Env<'a, S, K, C> {
    pub sql: &'a S,
    pub kv: &'a K,
    pub chain: &'a C,
    pub config: &'a Config,
    pub now: DateTime<Utc>,
}

/// Seconds after which the gateway asks again on a socket that went quiet right after it
/// opened (Pushpin's `Keep-Alive-Interval`; 20 is its minimum). The operator API leaves a
/// command queued while a socket is younger than Pushpin's asynchronous subscription takes
/// to settle; this request, with no events, sends it to a charge point that stays silent.
pub const KEEP_ALIVE_AFTER_OPEN_SECONDS: u32 = 20;

/// The GRIP channel a charge point's socket is subscribed to; publishing to
/// it reaches the charge point (CSMS-initiated calls).
pub fn channel(charge_point_id: &str) -> String {
    format!("ocpp:{charge_point_id}")
}

pub fn handle<S: Sql, K: KeyValue, C: Chain>(
    req: &GripRequest,
    env: &Env<'_, S, K, C>,
) -> GripResponse {
    if let Some(key) = &env.config.grip_sig_key {
        let now = u64::try_from(env.now.timestamp()).unwrap_or_default();
        let valid = req
            .header("grip-sig")
            .is_some_and(|token| grip::sig::verify(key.as_bytes(), token, now).is_ok());
        if !valid {
            return GripResponse::plain(401, "missing or invalid Grip-Sig");
        }
    }
    let Some(cp_id) = charge_point_id::from_path(&req.path) else {
        return GripResponse::plain(404, "the URL must end with the charge point id");
    };
    let incoming = match events::decode(&req.body) {
        Ok(events) => events,
        Err(e) => return GripResponse::plain(400, format!("malformed websocket-events body: {e}")),
    };
    let connection_id = req.header("connection-id").unwrap_or_default().to_owned();
    let now = format_utc(env.now);
    let mut version: Option<OcppVersion> =
        req.header("meta-ocpp-version").and_then(|v| v.parse().ok());
    let mut headers: Vec<(String, String)> = vec![
        ("content-type".into(), "application/websocket-events".into()),
        (
            "sec-websocket-extensions".into(),
            "grip; message-prefix=\"\"".into(),
        ),
    ];
    let mut out = Vec::new();
    // A request with no events is the gateway's keep-alive on an open socket: it asks for
    // nothing but the queued commands, and once is enough.
    let keep_alive = incoming.is_empty();
    if keep_alive {
        headers.push(("keep-alive-interval".into(), "0".into()));
    }
    // Whether the socket is still open after these events: queued operator commands go out
    // then. Any request but a refused OPEN or the socket's end proves it, a client's PING
    // included (it also restarts the gateway's keep-alive timer, so it may come instead).
    let mut open = true;
    for event in incoming {
        match event {
            WsEvent::Open => match handshake::open(env, req, &cp_id) {
                Ok(Handshake::Accept { version: v }) => {
                    if let Err(e) = connection_state::opened(
                        env.kv,
                        &cp_id,
                        &connection_id,
                        v.subprotocol(),
                        &now,
                    ) {
                        return GripResponse::plain(500, format!("recording the connection: {e}"));
                    }
                    csms_calls::connection_replaced(env, &cp_id);
                    version = Some(v);
                    headers.push(("sec-websocket-protocol".into(), v.subprotocol().into()));
                    headers.push(("set-meta-ocpp-version".into(), v.subprotocol().into()));
                    headers.push((
                        "keep-alive-interval".into(),
                        KEEP_ALIVE_AFTER_OPEN_SECONDS.to_string(),
                    ));
                    out.push(WsEvent::Open);
                    out.push(WsEvent::Text(
                        grip::control::subscribe(&channel(&cp_id)).into(),
                    ));
                }
                Ok(Handshake::NoCommonVersion { reason }) => {
                    eprintln!("connection: closing the socket of {cp_id}: {reason}");
                    out.push(WsEvent::Open);
                    out.push(WsEvent::Close(
                        close_payload(CLOSE_PROTOCOL_ERROR, "no common OCPP version").into(),
                    ));
                    return GripResponse {
                        status: 200,
                        headers,
                        body: events::encode(&out),
                    };
                }
                Ok(Handshake::Refuse { status, reason }) => {
                    return GripResponse::plain(status, reason)
                }
                Err(e) => return GripResponse::plain(500, format!("reading the registry: {e}")),
            },
            WsEvent::Text(bytes) => {
                let v = *version.get_or_insert_with(|| remembered_version(env.kv, &cp_id));
                let text = String::from_utf8_lossy(&bytes);
                if let Some(answer) = dispatch::on_text(env, &cp_id, &connection_id, v, &text) {
                    out.push(WsEvent::Text(answer.into()));
                }
            }
            WsEvent::Close(payload) => {
                open = false;
                csms_calls::connection_lost(env, &cp_id, &connection_id);
                mark_offline(env.kv, &cp_id, &connection_id, &now);
                out.push(WsEvent::Close(payload));
            }
            WsEvent::Disconnect => {
                open = false;
                csms_calls::connection_lost(env, &cp_id, &connection_id);
                mark_offline(env.kv, &cp_id, &connection_id, &now);
            }
            WsEvent::Ping(payload) => out.push(WsEvent::Pong(payload)),
            // OCPP-J is text only; binary frames and pongs carry nothing to answer.
            WsEvent::Binary(_) | WsEvent::Pong(_) => {}
        }
    }
    if open {
        if let Some(call) = csms_calls::next_call(env, &cp_id) {
            out.push(WsEvent::Text(call.into()));
        }
    }
    // Liveness only: a failure here loses no charge point data.
    let _ = connection_state::touch(env.kv, &cp_id, &connection_id, env.now);
    GripResponse {
        status: 200,
        headers,
        body: events::encode(&out),
    }
}

/// RFC 6455 close code 1002: the peer's protocol (here: its subprotocol offer) is not ours.
pub const CLOSE_PROTOCOL_ERROR: u16 = 1002;

fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason.as_bytes());
    payload
}

/// The version negotiated at OPEN, for a gateway that does not echo `Meta-*`.
fn remembered_version(kv: &impl KeyValue, charge_point_id: &str) -> OcppVersion {
    connection_state::load(kv, charge_point_id)
        .ok()
        .flatten()
        .and_then(|s| s.ocpp_version.parse().ok())
        .unwrap_or(OcppVersion::V16)
}

fn mark_offline(kv: &impl KeyValue, charge_point_id: &str, connection_id: &str, now: &str) {
    // Liveness only, as above.
    let _ = connection_state::update_current(kv, charge_point_id, connection_id, |s| {
        s.online = false;
        s.disconnected_at = Some(now.to_owned());
    });
}
