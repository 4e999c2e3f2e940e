//! End-to-end tests of the embedded GRIP gateway with a real WebSocket client.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use support::{request, start, Host};

const MANIFEST: &str = r#"
spin_manifest_version = 2
[application]
name = "gw"
[[trigger.http]]
route = "/ocpp/..."
component = "conn"
[component.conn]
source = "{probe}"
"#;

fn host_with_key(key: Option<&str>) -> Host {
    let key = key.map(str::to_string);
    start(MANIFEST, move |a| a.grip_sig_key = key)
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(
    host: &Host,
    protocols: &str,
    auth: bool,
) -> Result<(Ws, Option<String>), WsError> {
    let mut req = format!("ws://{}/ocpp/ws", host.http)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("sec-websocket-protocol", protocols.parse().unwrap());
    if auth {
        req.headers_mut()
            .insert("authorization", "Basic Q1AwMDE6cGFzcw==".parse().unwrap());
    }
    let (ws, resp) = tokio_tungstenite::connect_async(req).await?;
    let proto = resp
        .headers()
        .get("sec-websocket-protocol")
        .map(|v| v.to_str().unwrap().to_string());
    Ok((ws, proto))
}

async fn next_text(ws: &mut Ws) -> String {
    next_text_within(ws, Duration::from_secs(20)).await
}

async fn next_text_within(ws: &mut Ws, limit: Duration) -> String {
    loop {
        let msg = tokio::time::timeout(limit, ws.next())
            .await
            .expect("timed out waiting for a message")
            .expect("socket ended")
            .expect("socket error");
        match msg {
            Message::Text(t) => return t.to_string(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected message {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn component_chooses_the_subprotocol() {
    let host = host_with_key(None);
    let (mut ws, proto) = connect(&host, "ocpp2.0.1, ocpp1.6", true).await.unwrap();
    assert_eq!(proto.as_deref(), Some("ocpp1.6"));
    ws.send(Message::Text("hello".into())).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "echo:hello");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_handshake_fails_with_component_status() {
    let host = host_with_key(None);
    match connect(&host, "ocpp1.6", false).await {
        Err(WsError::Http(resp)) => assert_eq!(resp.status().as_u16(), 401),
        Err(other) => panic!("expected HTTP 401, got {other:?}"),
        Ok(_) => panic!("handshake without credentials must fail"),
    }
    match connect(&host, "ocpp2.0.1", true).await {
        Err(WsError::Http(resp)) => assert_eq!(resp.status().as_u16(), 400),
        Err(other) => panic!("expected HTTP 400, got {other:?}"),
        Ok(_) => panic!("handshake with no supported subprotocol must fail"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_texts_arrive_in_order() {
    let host = host_with_key(None);
    let (mut ws, _) = connect(&host, "ocpp1.6", true).await.unwrap();
    let n = 25;
    for i in 0..n {
        ws.send(Message::Text(format!("m{i}").into()))
            .await
            .unwrap();
    }
    for i in 0..n {
        assert_eq!(next_text(&mut ws).await, format!("echo:m{i}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meta_set_on_open_comes_back_on_later_requests() {
    let host = host_with_key(None);
    let (mut ws, _) = connect(&host, "ocpp1.6", true).await.unwrap();
    ws.send(Message::Text("meta".into())).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "meta=alice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_then_publish_reaches_the_socket() {
    let host = host_with_key(None);
    let (mut ws, _) = connect(&host, "ocpp1.6", true).await.unwrap();
    ws.send(Message::Text("subscribe:cp-42".into()))
        .await
        .unwrap();
    // Requests are answered in order, so once this echo arrives the
    // subscription from the previous reply is in place.
    ws.send(Message::Text("sync".into())).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "echo:sync");

    let publish = host.publish.expect("publish listener");
    let body = r#"{"items":[{"channel":"cp-42","formats":{"ws-message":{"content":"[2,\"1\",\"Reset\",{}]"}}}]}"#;
    let addr = publish;
    let r = tokio::task::spawn_blocking(move || request(addr, "POST", "/publish/", body))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(next_text(&mut ws).await, r#"[2,"1","Reset",{}]"#);

    // Another channel does not reach this socket.
    let other = r#"{"items":[{"channel":"cp-7","formats":{"ws-message":{"content":"nope"}}}]}"#;
    tokio::task::spawn_blocking(move || request(addr, "POST", "/publish/", other))
        .await
        .unwrap();
    ws.send(Message::Text("after".into())).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "echo:after");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grip_sig_is_signed_with_the_configured_key() {
    let host = host_with_key(Some("gateway-secret"));
    let (mut ws, _) = connect(&host, "ocpp1.6", true).await.unwrap();
    ws.send(Message::Text("grip-sig".into())).await.unwrap();
    let reply = next_text(&mut ws).await;
    let token = reply.strip_prefix("grip-sig=").unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(
        devhost::gateway::grip_sig::verify(b"gateway-secret", token, now),
        Ok(())
    );
    assert!(devhost::gateway::grip_sig::verify(b"other", token, now).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_mode_passes_upgrades_to_the_component() {
    let host = start(MANIFEST, |a| a.no_gateway = true);
    assert!(host.publish.is_none());
    // Without the gateway the component sees an ordinary request: no OPEN
    // event, so the probe answers 200 with an empty event body and no 101.
    match connect(&host, "ocpp1.6", true).await {
        Err(WsError::Http(resp)) => assert_eq!(resp.status().as_u16(), 200),
        Err(other) => panic!("expected a plain HTTP answer, got {other:?}"),
        Ok(_) => panic!("plain HTTP mode must not upgrade"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_sent_during_a_request_are_batched_into_the_next() {
    let host = host_with_key(None);
    let (mut ws, _) = connect(&host, "ocpp1.6", true).await.unwrap();
    // "slow" keeps the component busy for 400 ms; the five "count" messages
    // arrive meanwhile and must travel together in the next POST, where the
    // probe answers each with the number of TEXT events in its request body.
    ws.send(Message::Text("slow".into())).await.unwrap();
    for _ in 0..5 {
        ws.send(Message::Text("count".into())).await.unwrap();
    }
    let first = next_text(&mut ws).await;
    assert!(first == "slept", "{first}");
    let mut counts = Vec::new();
    for _ in 0..5 {
        counts.push(next_text(&mut ws).await);
    }
    let n: Vec<usize> = counts
        .iter()
        .map(|c| c.strip_prefix("count:").unwrap().parse().unwrap())
        .collect();
    assert!(n.iter().all(|&k| k >= 5), "not batched: {counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_interval_brings_one_request_with_no_events_after_20_s() {
    let host = host_with_key(None);
    let (mut ws, _) = connect(&host, "ocpp1.6", true).await.unwrap();
    ws.send(Message::Text("keepalive".into())).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "keepalive:on");
    let asked = std::time::Instant::now();
    // Pushpin's floor is 20 s, so the wait must be allowed to run past it.
    let kept = next_text_within(&mut ws, Duration::from_secs(30)).await;
    assert_eq!(kept, "kept-alive");
    // The component asked for 1 s; Pushpin waits at least 20.
    let waited = asked.elapsed();
    assert!(waited >= Duration::from_secs(19), "after {waited:?}");
    // The socket carries on as before.
    ws.send(Message::Text("ping".into())).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "echo:ping");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_cannot_forge_gateway_headers() {
    let host = host_with_key(None);
    let mut req = format!("ws://{}/ocpp/ws", host.http)
        .into_client_request()
        .unwrap();
    let h = req.headers_mut();
    h.insert("sec-websocket-protocol", "ocpp1.6".parse().unwrap());
    h.insert("authorization", "Basic Q1AwMDE6cGFzcw==".parse().unwrap());
    h.insert("grip-sig", "forged".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    ws.send(Message::Text("grip-sig".into())).await.unwrap();
    // No key is configured, so the component must see no Grip-Sig at all.
    assert_eq!(next_text(&mut ws).await, "grip-sig=");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_close_is_sent_as_close_event_and_answered() {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;

    let host = host_with_key(None);
    let (mut ws, _) = connect(&host, "ocpp1.6", true).await.unwrap();
    ws.send(Message::Close(Some(CloseFrame {
        code: CloseCode::Away,
        reason: "bye".into(),
    })))
    .await
    .unwrap();
    // The probe echoes the CLOSE event; the gateway turns it into a close frame.
    let msg = tokio::time::timeout(Duration::from_secs(20), ws.next())
        .await
        .expect("timed out")
        .expect("socket ended without a close frame")
        .expect("socket error");
    match msg {
        Message::Close(Some(frame)) => {
            assert_eq!(frame.code, CloseCode::Away);
            assert_eq!(frame.reason.as_str(), "bye");
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
}
