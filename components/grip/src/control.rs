//! GRIP control messages a backend puts in TEXT events of its answer.

/// The TEXT payload that subscribes the answering socket to `channel`, so
/// that publishing to the channel reaches this socket.
pub fn subscribe(channel: &str) -> String {
    format!(
        "c:{}",
        serde_json::json!({"type": "subscribe", "channel": channel})
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn subscribe_message_matches_the_grip_format() {
        assert_eq!(
            super::subscribe("cp:CP 1"),
            r#"c:{"channel":"cp:CP 1","type":"subscribe"}"#
        );
    }
}
