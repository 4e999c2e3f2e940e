//! The contracts between the components, defined once.
//!
//! Components reach each other by Spin service chaining with JSON bodies; both ends use these
//! types, so a field cannot be spelt one way by the caller and another by the callee.
//!
//! - [`authorization`]: `POST /authorize` and `POST /authorize-stop` of the authorization
//!   component, asked by the connection component (Authorize) and the transactions component
//!   (starts and stops of both OCPP versions). The decision is version-neutral
//!   ([`authorization::TokenDecision`]); [`authorization::TokenDecision::to_ocpp16`] and
//!   [`authorization::TokenDecision::to_ocpp201`] write it the way each version does.
//! - [`transactions`]: the station messages the connection component forwards to the
//!   transactions component (both versions), and the api component's operator close.
//! - [`registration`]: which registration states may send an action, checked by the
//!   component that opens the database for the message.

pub mod authorization;
pub mod registration;
pub mod transactions;
