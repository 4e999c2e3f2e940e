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

/// The publish request failed.
#[derive(Debug, thiserror::Error)]
#[error("publishing to the gateway: {reason}")]
pub struct PublishError {
    pub reason: String,
    /// Whether the gateway may have taken the message all the same (the connection broke or
    /// timed out after the request went out). Such a call is not sent again: a second CALL
    /// would run a RemoteStart or a Reset twice; the timeout settles it if it was lost.
    pub maybe_delivered: bool,
}

impl PublishError {
    /// The gateway did not take the message: refused, unreachable, or not even asked.
    pub fn refused(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            maybe_delivered: false,
        }
    }

    /// The request may have reached the gateway.
    pub fn unclear(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            maybe_delivered: true,
        }
    }
}

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
