//! Pushing a CALL to a charge point through the gateway's publish endpoint (GRIP).

use serde_json::{json, Value};

/// The GRIP channel a charge point's socket is subscribed to (the connection component
/// subscribes it on OPEN).
pub fn channel(charge_point_id: &str) -> String {
    format!("ocpp:{charge_point_id}")
}

/// The body of `POST <gateway>/publish/` that sends `content` as one WebSocket text message
/// to every socket subscribed to `channel`.
pub fn body(channel: &str, content: &str) -> Value {
    json!({"items": [{"channel": channel, "formats": {"ws-message": {"content": content}}}]})
}

/// The publish request failed (the gateway did not take it).
#[derive(Debug, thiserror::Error)]
#[error("publishing to the gateway: {0}")]
pub struct PublishError(pub String);

/// Sends one message to a channel; the Spin adapter POSTs [`body`] to `gateway_publish_url`.
pub trait Publish {
    fn publish(&self, channel: &str, content: &str) -> Result<(), PublishError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_a_grip_ws_message_item() {
        assert_eq!(
            body(&channel("CP1"), "[2,\"a\",\"Reset\",{}]"),
            json!({"items":[{"channel":"ocpp:CP1","formats":{"ws-message":{"content":"[2,\"a\",\"Reset\",{}]"}}}]})
        );
    }
}
