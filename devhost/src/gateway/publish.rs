//! Channel subscriptions and the Pushpin-compatible publish endpoint
//! (`POST /publish/` with `{"items":[{"channel":..,"formats":{"ws-message":{..}}}]}`).

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine as _;
use bytes::Bytes;
use serde::Deserialize;
use tokio::sync::mpsc::UnboundedSender;

/// What the gateway sends to a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    Text(String),
    Binary(Bytes),
    Ping(Bytes),
    Pong(Bytes),
    /// Close with a code and reason.
    Close(Option<(u16, String)>),
}

/// Which sockets listen on which channel.
#[derive(Default)]
pub struct Subscriptions {
    channels: Mutex<HashMap<String, HashMap<String, UnboundedSender<Outgoing>>>>,
}

impl Subscriptions {
    pub fn subscribe(&self, channel: &str, conn_id: &str, tx: UnboundedSender<Outgoing>) {
        if let Ok(mut ch) = self.channels.lock() {
            ch.entry(channel.to_string())
                .or_default()
                .insert(conn_id.to_string(), tx);
        }
    }

    pub fn unsubscribe(&self, channel: &str, conn_id: &str) {
        if let Ok(mut ch) = self.channels.lock() {
            if let Some(subs) = ch.get_mut(channel) {
                subs.remove(conn_id);
                if subs.is_empty() {
                    ch.remove(channel);
                }
            }
        }
    }

    /// Drops every subscription of a closed connection.
    pub fn remove_connection(&self, conn_id: &str) {
        if let Ok(mut ch) = self.channels.lock() {
            ch.retain(|_, subs| {
                subs.remove(conn_id);
                !subs.is_empty()
            });
        }
    }

    /// Sends `msg` to every subscriber of `channel`; returns how many got it.
    pub fn publish(&self, channel: &str, msg: &Outgoing) -> usize {
        let Ok(ch) = self.channels.lock() else {
            return 0;
        };
        ch.get(channel)
            .map(|subs| {
                subs.values()
                    .filter(|tx| tx.send(msg.clone()).is_ok())
                    .count()
            })
            .unwrap_or(0)
    }
}

/// A malformed publish request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PublishError {
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("item for channel '{0}' has no usable ws-message format")]
    NoWsMessage(String),
    #[error("content-bin of channel '{0}' is not valid base64")]
    BadBase64(String),
}

#[derive(Deserialize)]
struct PublishBody {
    items: Vec<PublishItem>,
}

#[derive(Deserialize)]
struct PublishItem {
    channel: String,
    #[serde(default)]
    formats: HashMap<String, serde_json::Value>,
}

/// Parses a publish body into (channel, message) pairs, in order.
/// Items without a `ws-message` format (e.g. only `http-stream`) are skipped.
pub fn parse_publish(body: &[u8]) -> Result<Vec<(String, Outgoing)>, PublishError> {
    let parsed: PublishBody =
        serde_json::from_slice(body).map_err(|e| PublishError::Json(e.to_string()))?;
    let mut out = Vec::new();
    for item in parsed.items {
        let Some(ws) = item.formats.get("ws-message") else {
            continue;
        };
        let msg = if let Some(text) = ws.get("content").and_then(|c| c.as_str()) {
            Outgoing::Text(text.to_string())
        } else if let Some(b64) = ws.get("content-bin").and_then(|c| c.as_str()) {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| PublishError::BadBase64(item.channel.clone()))?;
            Outgoing::Binary(Bytes::from(bytes))
        } else if ws.get("action").and_then(|a| a.as_str()) == Some("close") {
            let code = ws.get("code").and_then(|c| c.as_u64()).unwrap_or(1000) as u16;
            Outgoing::Close(Some((code, String::new())))
        } else {
            return Err(PublishError::NoWsMessage(item.channel));
        };
        out.push((item.channel, msg));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_text_binary_and_skips_other_formats() -> Result<(), PublishError> {
        let body = br#"{"items":[
            {"channel":"cp1","formats":{"ws-message":{"content":"hi"}}},
            {"channel":"cp2","formats":{"ws-message":{"content-bin":"AAEC"}}},
            {"channel":"cp3","formats":{"http-stream":{"content":"x"}}}
        ]}"#;
        let items = parse_publish(body)?;
        assert_eq!(
            items,
            vec![
                ("cp1".to_string(), Outgoing::Text("hi".into())),
                (
                    "cp2".to_string(),
                    Outgoing::Binary(Bytes::from_static(&[0, 1, 2]))
                ),
            ]
        );
        assert!(matches!(parse_publish(b"{"), Err(PublishError::Json(_))));
        Ok(())
    }

    #[test]
    fn publish_reaches_only_subscribers_until_they_leave() {
        let subs = Subscriptions::default();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        subs.subscribe("cp1", "conn-a", tx);
        assert_eq!(subs.publish("cp1", &Outgoing::Text("one".into())), 1);
        assert_eq!(subs.publish("cp2", &Outgoing::Text("no".into())), 0);
        assert_eq!(rx.try_recv().ok(), Some(Outgoing::Text("one".into())));
        subs.remove_connection("conn-a");
        assert_eq!(subs.publish("cp1", &Outgoing::Text("two".into())), 0);
    }
}
