//! The embedded GRIP gateway: turns a client WebSocket into
//! WebSocket-over-HTTP POSTs to the routed component, as Pushpin does.
//!
//! One POST is in flight per socket; client messages that arrive meanwhile are
//! queued and sent together in the next POST, in order.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::{FutureExt, SinkExt, StreamExt};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use wasmtime_wasi_http::WasiBody;

use super::events::{self, WsEvent};
use super::grip_sig;
use super::publish::Outgoing;
use super::Gateway;
use crate::routes::RouteMatch;
use crate::runtime::{text_response, App};
use crate::server::dispatch_logged;

/// Whether a request asks for a WebSocket upgrade.
pub fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    let has_token = |name: http::header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .map(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
                .unwrap_or(false)
        })
    };
    has_token(http::header::CONNECTION, "upgrade") && has_token(http::header::UPGRADE, "websocket")
}

/// Handshake headers that belong to the client<->gateway hop only.
const HOP_HEADERS: &[&str] = &[
    "connection",
    "upgrade",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-extensions",
    "content-length",
    "transfer-encoding",
    "content-type",
    "keep-alive",
];

/// Headers only the gateway may set: a client must not be able to forge a
/// `Grip-Sig`, `Meta-*` values or another socket's `Connection-Id`.
fn is_gateway_owned(name: &str) -> bool {
    name.starts_with("grip-") || name.starts_with("meta-") || name == "connection-id"
}

/// State of one socket's conversation with the backend.
struct Session {
    gateway: Arc<Gateway>,
    app: Arc<App>,
    route: RouteMatch,
    client: SocketAddr,
    base_url: String,
    path_and_query: String,
    conn_id: String,
    handshake_headers: HeaderMap,
    /// `Meta-*` values set by the backend with `Set-Meta-*`.
    meta: BTreeMap<String, String>,
    /// Texts must start with this to be delivered (`m:` unless the backend
    /// negotiated `message-prefix=""`).
    message_prefix: String,
    /// Set by the backend's `Keep-Alive-Interval`: after this long without a request the
    /// gateway sends one with no events, as Pushpin does.
    keep_alive: Option<Duration>,
}

/// Pushpin raises a shorter `Keep-Alive-Interval` to this.
const KEEP_ALIVE_FLOOR_SECONDS: u64 = 20;

/// Pushpin's reading of `Keep-Alive-Interval`: a positive number of seconds (at least
/// [`KEEP_ALIVE_FLOOR_SECONDS`]) turns keep-alives on, any other value turns them off.
fn parse_keep_alive(value: &str) -> Option<Duration> {
    match value.trim().parse::<i64>() {
        Ok(seconds) if seconds > 0 => Some(Duration::from_secs(
            u64::try_from(seconds)
                .unwrap_or(u64::MAX)
                .max(KEEP_ALIVE_FLOOR_SECONDS),
        )),
        _ => None,
    }
}

/// What the backend answered.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Session {
    fn build_request(&self, events: &[WsEvent]) -> http::Request<WasiBody> {
        let body = Full::new(Bytes::from(events::encode(events)))
            .map_err(|never| match never {})
            .boxed_unsync();
        let mut req = http::Request::new(body);
        *req.method_mut() = http::Method::POST;
        if let Ok(uri) = self.path_and_query.parse() {
            *req.uri_mut() = uri;
        }
        let h = req.headers_mut();
        for (name, value) in &self.handshake_headers {
            h.append(name, value.clone());
        }
        h.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/websocket-events"),
        );
        if let Ok(v) = HeaderValue::from_str(&self.conn_id) {
            h.insert("connection-id", v);
        }
        h.insert("sec-websocket-extensions", HeaderValue::from_static("grip"));
        if let Some(key) = &self.gateway.grip_sig_key {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            match grip_sig::sign(key, now) {
                Ok(token) => {
                    if let Ok(v) = HeaderValue::from_str(&token) {
                        h.insert("grip-sig", v);
                    }
                }
                Err(e) => tracing::error!("cannot sign Grip-Sig: {e}"),
            }
        }
        for (name, value) in &self.meta {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(format!("meta-{name}").as_bytes()),
                HeaderValue::from_str(value),
            ) {
                h.insert(n, v);
            }
        }
        req
    }

    async fn post(&mut self, events: &[WsEvent]) -> Reply {
        let req = self.build_request(events);
        // Boxed: the request's future (the component call and all it awaits) is several
        // KiB, and inlined it would make every idle socket's task that large.
        let resp = Box::pin(dispatch_logged(
            &self.app,
            &self.route,
            req,
            self.client,
            &self.base_url,
        ))
        .await;
        let (parts, body) = resp.into_parts();
        let body = match body.collect().await {
            Ok(c) => c.to_bytes(),
            Err(e) => {
                tracing::warn!(conn = %self.conn_id, "reading backend response: {e}");
                return Reply {
                    status: StatusCode::BAD_GATEWAY,
                    headers: HeaderMap::new(),
                    body: Bytes::new(),
                };
            }
        };
        self.absorb_headers(&parts.headers);
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// `Set-Meta-*` and the grip extension's `message-prefix` carry over to
    /// later requests of the same socket.
    fn absorb_headers(&mut self, headers: &HeaderMap) {
        for (name, value) in headers {
            if let Some(meta) = name.as_str().strip_prefix("set-meta-") {
                let value = value.to_str().unwrap_or("").to_string();
                if value.is_empty() {
                    self.meta.remove(meta);
                } else {
                    self.meta.insert(meta.to_string(), value);
                }
            }
        }
        if let Some(value) = headers.get("keep-alive-interval") {
            self.keep_alive = value.to_str().ok().and_then(parse_keep_alive);
        }
        for value in headers.get_all("sec-websocket-extensions") {
            if let Some(prefix) = value.to_str().ok().and_then(parse_message_prefix) {
                self.message_prefix = prefix;
            }
        }
    }

    /// Applies the backend's reply events; returns false when the socket must end.
    fn apply(&self, events: Vec<WsEvent>, out: &mpsc::UnboundedSender<Outgoing>) -> bool {
        for ev in events {
            match ev {
                WsEvent::Open => {}
                WsEvent::Text(payload) => {
                    let text = String::from_utf8_lossy(&payload).to_string();
                    if let Some(control) = text.strip_prefix("c:") {
                        self.control(control, out);
                    } else if let Some(msg) = text.strip_prefix(self.message_prefix.as_str()) {
                        let _ = out.send(Outgoing::Text(msg.to_string()));
                    } else {
                        tracing::debug!(conn = %self.conn_id, "dropping TEXT without message prefix");
                    }
                }
                WsEvent::Binary(payload) => {
                    let prefix = self.message_prefix.as_bytes();
                    if let Some(msg) = payload.strip_prefix(prefix) {
                        let _ = out.send(Outgoing::Binary(Bytes::copy_from_slice(msg)));
                    }
                }
                WsEvent::Ping(p) => {
                    let _ = out.send(Outgoing::Ping(p));
                }
                WsEvent::Pong(p) => {
                    let _ = out.send(Outgoing::Pong(p));
                }
                WsEvent::Close(p) => {
                    let code = if p.len() >= 2 {
                        u16::from_be_bytes([p[0], p[1]])
                    } else {
                        1000
                    };
                    let reason = String::from_utf8_lossy(p.get(2..).unwrap_or(&[])).to_string();
                    let _ = out.send(Outgoing::Close(Some((code, reason))));
                    return false;
                }
                WsEvent::Disconnect => {
                    let _ = out.send(Outgoing::Close(None));
                    return false;
                }
            }
        }
        true
    }

    fn control(&self, json: &str, out: &mpsc::UnboundedSender<Outgoing>) {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(json) else {
            tracing::warn!(conn = %self.conn_id, "invalid control message: {json}");
            return;
        };
        let channel = value["channel"].as_str().unwrap_or("");
        match value["type"].as_str() {
            Some("subscribe") if !channel.is_empty() => {
                self.gateway
                    .subscriptions
                    .subscribe(channel, &self.conn_id, out.clone());
            }
            Some("unsubscribe") if !channel.is_empty() => {
                self.gateway
                    .subscriptions
                    .unsubscribe(channel, &self.conn_id);
            }
            other => {
                tracing::debug!(conn = %self.conn_id, "ignoring control message type {other:?}")
            }
        }
    }
}

/// Parses `grip; message-prefix="..."` from a `Sec-WebSocket-Extensions` value.
pub fn parse_message_prefix(value: &str) -> Option<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|ext| ext.split(';').next().map(str::trim) == Some("grip"))
        .flat_map(|ext| ext.split(';').skip(1))
        .find_map(|param| {
            let (k, v) = param.split_once('=')?;
            (k.trim() == "message-prefix").then(|| v.trim().trim_matches('"').to_string())
        })
}

/// Buffers sized for OCPP frames (a few KiB) rather than tungstenite's 128 KiB
/// default read buffer, which made every idle charge point cost ~150 KiB.
fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
}

/// Handles a WebSocket upgrade on a routed path.
pub async fn handle_upgrade(
    gateway: Arc<Gateway>,
    app: Arc<App>,
    route: RouteMatch,
    mut req: hyper::Request<Incoming>,
    client: SocketAddr,
    base_url: String,
) -> http::Response<WasiBody> {
    let Some(key) = req.headers().get("sec-websocket-key").cloned() else {
        return text_response(StatusCode::BAD_REQUEST, "missing Sec-WebSocket-Key\n");
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    let mut handshake_headers = HeaderMap::new();
    for (name, value) in req.headers() {
        if !HOP_HEADERS.contains(&name.as_str()) && !is_gateway_owned(name.as_str()) {
            handshake_headers.append(name, value.clone());
        }
    }
    let mut session = Session {
        gateway: gateway.clone(),
        app,
        route,
        client,
        base_url,
        path_and_query: req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into()),
        conn_id: uuid::Uuid::new_v4().to_string(),
        handshake_headers,
        meta: BTreeMap::new(),
        message_prefix: "m:".into(),
        keep_alive: None,
    };

    let reply = session.post(&[WsEvent::Open]).await;
    if !reply.status.is_success() {
        // The client's handshake fails with the backend's status.
        let body = Full::new(reply.body)
            .map_err(|never| match never {})
            .boxed_unsync();
        let mut resp = http::Response::new(body);
        *resp.status_mut() = reply.status;
        if let Some(ct) = reply.headers.get(http::header::CONTENT_TYPE) {
            resp.headers_mut()
                .insert(http::header::CONTENT_TYPE, ct.clone());
        }
        return resp;
    }
    let events = match events::decode(&reply.body) {
        Ok(ev) if ev.first() == Some(&WsEvent::Open) => ev,
        Ok(_) => {
            tracing::warn!(conn = %session.conn_id, "backend did not answer OPEN; rejecting socket");
            return text_response(
                StatusCode::BAD_GATEWAY,
                "backend did not accept the WebSocket\n",
            );
        }
        Err(e) => {
            tracing::warn!(conn = %session.conn_id, "invalid websocket-events from backend: {e}");
            return text_response(StatusCode::BAD_GATEWAY, "invalid response from backend\n");
        }
    };

    let mut resp = text_response(StatusCode::SWITCHING_PROTOCOLS, "");
    let h = resp.headers_mut();
    h.remove(http::header::CONTENT_TYPE);
    h.insert(
        http::header::CONNECTION,
        HeaderValue::from_static("Upgrade"),
    );
    h.insert(http::header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(v) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
        h.insert("sec-websocket-accept", v);
    }
    if let Some(proto) = reply.headers.get("sec-websocket-protocol") {
        h.insert("sec-websocket-protocol", proto.clone());
    }

    let socket = async move {
        let upgraded = match on_upgrade.await {
            Ok(u) => u,
            Err(e) => {
                tracing::warn!(conn = %session.conn_id, "upgrade failed: {e}");
                return;
            }
        };
        let ws = WebSocketStream::from_raw_socket(
            TokioIo::new(upgraded),
            Role::Server,
            Some(socket_config()),
        )
        .await;
        run_socket(session, ws, events).await;
    };
    tokio::spawn(socket);
    resp
}

type ClientSocket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// One task per socket: it reads the client's frames, posts them to the backend (one POST
/// in flight; frames that arrive meanwhile go together in the next one, in order) and
/// writes what the backend and publishers send. A task and a channel less per socket than
/// a reader and a writer of their own: idle sockets are what a CSMS holds most of.
async fn run_socket(mut session: Session, mut ws: ClientSocket, open_events: Vec<WsEvent>) {
    // Everything sent to the client goes through one channel so that replies and
    // published messages keep their order.
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Outgoing>();
    let conn_id = session.conn_id.clone();
    let mut client = ClientFrames::default();
    let mut open = session.apply(open_events, &out_tx);
    while open {
        if !write_pending(&mut ws, &mut out_rx).await {
            client.end();
        }
        // Idle: wait for a client frame, a message to write, or the keep-alive (which
        // posts no events, as Pushpin does).
        if client.queued.is_empty() && !client.ended {
            let keep_alive = session
                .keep_alive
                .map(|interval| tokio::time::Instant::now() + interval);
            loop {
                tokio::select! {
                    biased;
                    Some(msg) = out_rx.recv() => {
                        if !write(&mut ws, msg).await {
                            client.end();
                            break;
                        }
                    }
                    frame = ws.next() => {
                        client.take(frame);
                        client.take_ready(&mut ws);
                        break;
                    }
                    () = sleep_until(keep_alive) => break,
                }
            }
        }
        let batch = std::mem::take(&mut client.queued);
        let ending = client.ended;
        let reply = {
            let post = session.post(&batch);
            tokio::pin!(post);
            loop {
                tokio::select! {
                    biased;
                    reply = &mut post => break reply,
                    Some(msg) = out_rx.recv() => {
                        if !write(&mut ws, msg).await {
                            client.end();
                        }
                    }
                    frame = ws.next(), if !client.ended => client.take(frame),
                }
            }
        };
        if !reply.status.is_success() {
            tracing::warn!(conn = %conn_id, status = %reply.status, "backend refused events; closing socket");
            let _ = out_tx.send(Outgoing::Close(Some((1011, String::new()))));
            break;
        }
        match events::decode(&reply.body) {
            Ok(events) => open = session.apply(events, &out_tx),
            Err(e) => {
                tracing::warn!(conn = %conn_id, "invalid websocket-events from backend: {e}");
                let _ = out_tx.send(Outgoing::Close(Some((1011, String::new()))));
                break;
            }
        }
        if ending {
            let _ = out_tx.send(Outgoing::Close(None));
            break;
        }
    }
    session.gateway.subscriptions.remove_connection(&conn_id);
    drop(out_tx);
    // What was queued before the end goes out, up to its close frame.
    write_pending(&mut ws, &mut out_rx).await;
    // The sink's close, not `WebSocketStream::close` (a close frame, refused once the
    // client closed): it flushes the reply to a client's close that tungstenite queued.
    let _ = SinkExt::close(&mut ws).await;
}

/// What the client sent that is not posted yet.
#[derive(Default)]
struct ClientFrames {
    queued: Vec<WsEvent>,
    /// The client closed or the socket broke: nothing more will be read.
    ended: bool,
}

impl ClientFrames {
    fn take(&mut self, frame: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>) {
        let event = match frame {
            Some(Ok(Message::Text(t))) => WsEvent::Text(Bytes::from(t.as_str().to_string())),
            Some(Ok(Message::Binary(b))) => WsEvent::Binary(b),
            Some(Ok(Message::Ping(p))) => WsEvent::Ping(p),
            Some(Ok(Message::Pong(p))) => WsEvent::Pong(p),
            Some(Ok(Message::Close(frame))) => {
                let mut payload = Vec::new();
                if let Some(f) = frame {
                    payload.extend_from_slice(&u16::from(f.code).to_be_bytes());
                    payload.extend_from_slice(f.reason.as_bytes());
                }
                self.ended = true;
                WsEvent::Close(Bytes::from(payload))
            }
            Some(Ok(Message::Frame(_))) => return,
            Some(Err(_)) | None => {
                self.ended = true;
                WsEvent::Disconnect
            }
        };
        self.queued.push(event);
    }

    /// The socket can no longer be written: the backend hears of its end as of a broken one.
    fn end(&mut self) {
        if !self.ended {
            self.take(None);
        }
    }

    /// Frames already received go in the same POST as the one that woke the socket.
    fn take_ready(&mut self, ws: &mut ClientSocket) {
        while !self.ended {
            match ws.next().now_or_never() {
                Some(frame) => self.take(frame),
                None => break,
            }
        }
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Writes one message; false when the socket is done (a close was sent, or it broke).
async fn write(ws: &mut ClientSocket, msg: Outgoing) -> bool {
    let (frame, last) = match msg {
        Outgoing::Text(t) => (Message::Text(t.into()), false),
        Outgoing::Binary(b) => (Message::Binary(b), false),
        Outgoing::Ping(p) => (Message::Ping(p), false),
        Outgoing::Pong(p) => (Message::Pong(p), false),
        Outgoing::Close(Some((code, reason))) => (
            Message::Close(Some(CloseFrame {
                code: CloseCode::from(code),
                reason: reason.into(),
            })),
            true,
        ),
        Outgoing::Close(None) => (Message::Close(None), true),
    };
    ws.send(frame).await.is_ok() && !last
}

/// Writes what is queued for the client; false when the socket is done.
async fn write_pending(
    ws: &mut ClientSocket,
    out_rx: &mut mpsc::UnboundedReceiver<Outgoing>,
) -> bool {
    while let Ok(msg) = out_rx.try_recv() {
        if !write(ws, msg).await {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_alive_interval_is_read_as_pushpin_reads_it() {
        assert_eq!(parse_keep_alive("45"), Some(Duration::from_secs(45)));
        assert_eq!(parse_keep_alive(" 1 "), Some(Duration::from_secs(20)));
        for off in ["0", "-5", "soon", ""] {
            assert_eq!(parse_keep_alive(off), None, "{off:?}");
        }
    }

    #[test]
    fn message_prefix_is_read_from_grip_extension() {
        assert_eq!(
            parse_message_prefix(r#"grip; message-prefix="""#),
            Some(String::new())
        );
        assert_eq!(
            parse_message_prefix(r#"permessage-deflate, grip; message-prefix="x:""#),
            Some("x:".into())
        );
        assert_eq!(parse_message_prefix("grip"), None);
    }

    #[test]
    fn detects_upgrade_requests() {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        h.insert(http::header::UPGRADE, HeaderValue::from_static("websocket"));
        assert!(is_websocket_upgrade(&h));
        h.remove(http::header::UPGRADE);
        assert!(!is_websocket_upgrade(&h));
    }
}
