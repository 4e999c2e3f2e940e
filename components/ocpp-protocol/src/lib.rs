//! The OCPP-J protocol layer every component shares.
//!
//! - [`Frame`]: parse and write CALL / CALLRESULT / CALLERROR; a malformed
//!   frame yields a [`FrameError`] with the code and message id to answer with.
//! - [`messages`]: typed payloads of every OCPP 1.6J (including the security
//!   extension) and 2.0.1 message, from the `ocpp-types` crate, decoded with
//!   validation that maps each failure to its OCPP error code ([`PayloadError`]).
//! - [`ErrorCode`]: one meaning per code, spelled the way the negotiated
//!   version spells it (`FormationViolation` in 1.6, `FormatViolation` in 2.0.1).
//! - [`OcppVersion`]: subprotocol negotiation.
//! - [`timestamp`]: RFC 3339 in, UTC with `Z` out.
//!
//! Builds natively and for `wasm32-wasip2`; no I/O, no clock reads.

mod error_code;
mod frame;
pub mod messages;
mod payload;
pub mod timestamp;
mod version;

pub use error_code::ErrorCode;
pub use frame::{
    Call, CallError, CallResult, Frame, FrameError, MAX_ERROR_DESCRIPTION_LEN, MAX_MESSAGE_ID_LEN,
    UNKNOWN_MESSAGE_ID,
};
pub use messages::{action_info, actions, check_supported, ActionInfo, Initiator};
pub use ocpp_types;
pub use payload::PayloadError;
pub use version::{OcppVersion, UnknownSubprotocol};
