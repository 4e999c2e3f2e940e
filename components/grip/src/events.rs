//! The GRIP WebSocket-over-HTTP event codec (`application/websocket-events`).
//!
//! Each event is `NAME\r\n` or `NAME <hex length>\r\n<payload>\r\n`.

use bytes::Bytes;

/// One WebSocket event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsEvent {
    Open,
    Text(Bytes),
    Binary(Bytes),
    Ping(Bytes),
    Pong(Bytes),
    /// Payload: 2-byte big-endian close code followed by the reason.
    Close(Bytes),
    Disconnect,
}

/// Malformed event stream.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EventsError {
    #[error("event line is not terminated by CRLF")]
    UnterminatedLine,
    #[error("invalid event length '{0}'")]
    BadLength(String),
    #[error("event payload shorter than its declared length")]
    Truncated,
    #[error("event payload not followed by CRLF")]
    MissingPayloadCrlf,
    #[error("unknown event type '{0}'")]
    UnknownEvent(String),
}

impl WsEvent {
    fn name(&self) -> &'static str {
        match self {
            WsEvent::Open => "OPEN",
            WsEvent::Text(_) => "TEXT",
            WsEvent::Binary(_) => "BINARY",
            WsEvent::Ping(_) => "PING",
            WsEvent::Pong(_) => "PONG",
            WsEvent::Close(_) => "CLOSE",
            WsEvent::Disconnect => "DISCONNECT",
        }
    }

    fn payload(&self) -> Option<&Bytes> {
        match self {
            WsEvent::Text(b)
            | WsEvent::Binary(b)
            | WsEvent::Ping(b)
            | WsEvent::Pong(b)
            | WsEvent::Close(b) => Some(b),
            WsEvent::Open | WsEvent::Disconnect => None,
        }
    }

    /// A CLOSE event carrying `code` (and no reason).
    pub fn close_with_code(code: u16) -> Self {
        WsEvent::Close(Bytes::copy_from_slice(&code.to_be_bytes()))
    }
}

/// Encodes events into a request body. Empty PING/PONG/CLOSE payloads are
/// written without a length, as Pushpin does.
pub fn encode(events: &[WsEvent]) -> Vec<u8> {
    let mut out = Vec::new();
    for ev in events {
        out.extend_from_slice(ev.name().as_bytes());
        match ev.payload() {
            Some(p) if !p.is_empty() || matches!(ev, WsEvent::Text(_) | WsEvent::Binary(_)) => {
                out.extend_from_slice(format!(" {:x}\r\n", p.len()).as_bytes());
                out.extend_from_slice(p);
                out.extend_from_slice(b"\r\n");
            }
            _ => out.extend_from_slice(b"\r\n"),
        }
    }
    out
}

/// Decodes a body of events.
pub fn decode(mut input: &[u8]) -> Result<Vec<WsEvent>, EventsError> {
    let mut events = Vec::new();
    while !input.is_empty() {
        let line_end = find_crlf(input).ok_or(EventsError::UnterminatedLine)?;
        let line = String::from_utf8_lossy(&input[..line_end]).to_string();
        input = &input[line_end + 2..];
        let (name, payload) = match line.split_once(' ') {
            Some((name, len)) => {
                let len = usize::from_str_radix(len.trim(), 16)
                    .map_err(|_| EventsError::BadLength(len.to_string()))?;
                if input.len() < len {
                    return Err(EventsError::Truncated);
                }
                let payload = Bytes::copy_from_slice(&input[..len]);
                input = &input[len..];
                if !input.starts_with(b"\r\n") {
                    return Err(EventsError::MissingPayloadCrlf);
                }
                input = &input[2..];
                (name.to_string(), payload)
            }
            None => (line.clone(), Bytes::new()),
        };
        let ev = match name.as_str() {
            "OPEN" => WsEvent::Open,
            "TEXT" => WsEvent::Text(payload),
            "BINARY" => WsEvent::Binary(payload),
            "PING" => WsEvent::Ping(payload),
            "PONG" => WsEvent::Pong(payload),
            "CLOSE" => WsEvent::Close(payload),
            "DISCONNECT" => WsEvent::Disconnect,
            other => return Err(EventsError::UnknownEvent(other.to_string())),
        };
        events.push(ev);
    }
    Ok(events)
}

fn find_crlf(input: &[u8]) -> Option<usize> {
    input.windows(2).position(|w| w == b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_with_hex_lengths() {
        let body = encode(&[
            WsEvent::Open,
            WsEvent::Text(Bytes::from_static(b"hello world, 16b")),
            WsEvent::close_with_code(1000),
            WsEvent::Disconnect,
        ]);
        assert_eq!(
            body,
            b"OPEN\r\nTEXT 10\r\nhello world, 16b\r\nCLOSE 2\r\n\x03\xe8\r\nDISCONNECT\r\n"
                .to_vec()
        );
    }

    #[test]
    fn round_trips_payloads_containing_crlf() -> Result<(), EventsError> {
        let events = vec![
            WsEvent::Text(Bytes::from_static(b"a\r\nb")),
            WsEvent::Binary(Bytes::from_static(&[0, 1, 2])),
            WsEvent::Text(Bytes::new()),
            WsEvent::Ping(Bytes::new()),
        ];
        assert_eq!(decode(&encode(&events))?, events);
        Ok(())
    }

    #[test]
    fn rejects_truncated_and_unknown_events() {
        assert_eq!(decode(b"TEXT 5\r\nab"), Err(EventsError::Truncated));
        assert_eq!(
            decode(b"FOO\r\n"),
            Err(EventsError::UnknownEvent("FOO".into()))
        );
        assert_eq!(decode(b"OPEN"), Err(EventsError::UnterminatedLine));
        assert_eq!(
            decode(b"TEXT zz\r\n"),
            Err(EventsError::BadLength("zz".into()))
        );
    }
}
