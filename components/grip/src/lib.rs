//! GRIP "WebSocket-over-HTTP", the protocol Pushpin, Fastly Fanout and devhost's
//! embedded gateway use to carry a WebSocket as HTTP requests.
//!
//! - [`events`]: the `application/websocket-events` body codec (OPEN, TEXT,
//!   CLOSE, ... with hex lengths), used both to read requests and write answers.
//! - [`sig`]: the `Grip-Sig` HS256 token proving a request came through the
//!   gateway.
//! - [`control`]: the `c:` control messages (channel subscribe) a backend sends.

pub mod control;
pub mod events;
pub mod sig;
