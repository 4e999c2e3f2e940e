//! The connection component: every WebSocket message of every charge point
//! arrives here, as a GRIP WebSocket-over-HTTP request to `/ocpp/{id}`.
//!
//! One request carries one or more events (OPEN, TEXT, CLOSE, ...); each is
//! answered in order in the response body. This component:
//! - accepts or refuses the socket on OPEN ([`handshake`]): subprotocol
//!   (the station's first choice we speak, or the operator's pin), registry
//!   policy for unknown charge points, HTTP Basic auth;
//! - parses and validates every OCPP-J frame ([`dispatch`]), answering
//!   malformed ones with the CALLERROR the negotiated version prescribes;
//! - routes each CALL through its version's routing table ([`ocpp16`],
//!   [`ocpp201`]: one adapter module per action) onto version-neutral domain
//!   code: [`registration`], [`heartbeat`], [`connector_status`],
//!   [`device_model`], [`data_transfer`], [`station_events`]; what belongs to
//!   other components goes there by service chaining ([`forward`]);
//! - keeps live connection state in the key-value store ([`connection_state`]);
//! - correlates answers to central-system calls and sends the next queued
//!   operator command ([`csms_calls`]).
//!
//! The logic is plain Rust over [`csms_store::Sql`], [`csms_store::KeyValue`]
//! and [`forward::Chain`], tested natively; `spin_component` is the thin Spin
//! adapter.

pub mod charge_point_id;
pub mod config;
pub mod connection_state;
pub mod connector_status;
pub mod csms_calls;
pub mod data_transfer;
pub mod device_model;
pub mod dispatch;
pub mod forward;
pub mod handshake;
pub mod heartbeat;
pub mod ocpp16;
pub mod ocpp201;
pub mod registration;
pub mod registry;
pub mod routing;
pub mod security_profile;
pub mod session;
pub mod sign_certificate;
pub mod station_events;
pub mod transport;

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
    #[error("{0}")]
    Commands(#[from] csms_commands::CommandError),
}
