//! The connection component: every WebSocket message of every charge point
//! arrives here, as a GRIP WebSocket-over-HTTP request to `/ocpp/{id}`.
//!
//! One request carries one or more events (OPEN, TEXT, CLOSE, ...); each is
//! answered in order in the response body. This component:
//! - accepts or refuses the socket on OPEN ([`handshake`]): subprotocol,
//!   registry policy for unknown charge points, HTTP Basic auth;
//! - parses and validates every OCPP-J frame ([`dispatch`]), answering
//!   malformed ones with the CALLERROR the negotiated version prescribes;
//! - handles the station-level messages itself ([`boot_notification`],
//!   [`heartbeat`], [`status_notification`], [`data_transfer`],
//!   [`station_events`]) and forwards the rest by service chaining
//!   ([`forward`]) to the authorization and transactions components;
//! - keeps live connection state in the key-value store ([`connection_state`]);
//! - correlates answers to central-system calls and sends the next queued
//!   operator command ([`csms_calls`]).
//!
//! The logic is plain Rust over [`csms_store::Sql`], [`csms_store::KeyValue`]
//! and [`forward::Chain`], tested natively; `spin_component` is the thin Spin
//! adapter.

pub mod boot_notification;
pub mod charge_point_id;
pub mod config;
pub mod connection_state;
pub mod csms_calls;
pub mod data_transfer;
pub mod dispatch;
pub mod forward;
pub mod handshake;
pub mod heartbeat;
pub mod registry;
pub mod session;
pub mod station_events;
pub mod status_notification;

// The Spin SDK's export macro expands to unsafe code.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod spin_component;

pub use config::{Config, UnknownChargePoints};
pub use session::{handle, Env, GripRequest, GripResponse};

/// What went wrong while applying a message; answered as an InternalError
/// CALLERROR so the charge point retries, because nothing was committed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("storage: {0}")]
    Store(#[from] csms_store::StoreError),
    #[error("{0}")]
    Forward(#[from] forward::ForwardError),
    #[error("encoding: {0}")]
    Json(#[from] serde_json::Error),
}
