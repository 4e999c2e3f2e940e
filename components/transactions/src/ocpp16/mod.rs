//! The OCPP 1.6 adapters: each maps one 1.6 message onto the version-neutral domain
//! ([`crate::finish`], [`crate::samples`], the authorizer, the CDR) and the result back.

pub mod meter_values;
pub mod start_transaction;
pub mod stop_transaction;
