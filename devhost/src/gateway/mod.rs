//! The embedded GRIP WebSocket gateway (what Pushpin does in production):
//! WebSocket clients on the main listener become WebSocket-over-HTTP POSTs
//! to components, and a Pushpin-compatible publish endpoint pushes messages
//! to subscribed sockets.

// The wire formats are shared with the connection component, which reads what
// this gateway writes.
pub use grip::events;
pub use grip::sig as grip_sig;
pub mod publish;
pub mod websocket;

use std::sync::Arc;

use publish::Subscriptions;

/// Gateway state shared by all sockets and the publish endpoint.
#[derive(Default)]
pub struct Gateway {
    pub(crate) subscriptions: Arc<Subscriptions>,
    /// HS256 key for `Grip-Sig`; no header is sent when unset.
    pub(crate) grip_sig_key: Option<Vec<u8>>,
}

impl Gateway {
    pub fn new(grip_sig_key: Option<Vec<u8>>) -> Self {
        Self {
            subscriptions: Arc::new(Subscriptions::default()),
            grip_sig_key,
        }
    }
}
