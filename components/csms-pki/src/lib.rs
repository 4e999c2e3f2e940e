//! The CSMS's part of OCPP's public-key infrastructure, in plain Rust that builds for
//! wasm32-wasip2 (RustCrypto: `x509-cert`, `p256`, `p384`; no C).
//!
//! - [`facts`]: what a certificate says (subject, serial, validity) and its OCPP
//!   `CertificateHashData`, for the station certificate inventory.
//! - [`csr`]: a station's certificate signing request checked as A02/A03 and the 1.6 security
//!   whitepaper ask (PEM PKCS#10, its own signature, key type and size, subject CN = the charge
//!   point id, O = the operator's organisation when one is configured).
//! - [`authority`]: the charging-station CA that signs what passed.
//! - [`verify`]: whether a certificate was issued by a trusted CA (security profile 3).

pub mod authority;
pub mod csr;
pub mod facts;
mod signature;
pub mod verify;

pub use authority::Authority;
pub use csr::CheckedCsr;
pub use facts::{CertificateFacts, HashData};

/// Why a certificate, key or request cannot be used; the text is what the operator sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PkiError(pub String);

impl PkiError {
    pub(crate) fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }
}
