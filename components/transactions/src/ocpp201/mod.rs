//! The OCPP 2.0.1 adapters: each maps one 2.0.1 message onto the version-neutral domain
//! ([`crate::finish`], [`crate::samples`], the authorizer, the CDR) and the result back.

pub mod meter_values;
pub mod transaction_event;
