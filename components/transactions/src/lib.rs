//! The transactions component: OCPP 1.6 `StartTransaction`, `StopTransaction` and
//! `MeterValues` and OCPP 2.0.1 `TransactionEvent` and `MeterValues` ([`ocpp201`]), applied
//! exactly once onto one version-neutral transaction, with every sampled value stored and each
//! finished session priced into a charge detail record ([`finish`]).
//!
//! The connection component forwards these messages to private routes ([`http`]) by Spin
//! service chaining, with the charge point id and the OCPP message id. Each message is applied
//! in one SQL transaction that first checks `processed_messages`, so a retransmitted CALL gets
//! the answer it got the first time and nothing is applied twice ([`csms_store::processed_messages`]).
//!
//! - [`ocpp16`]: one adapter per 1.6 action. [`ocpp16::start_transaction`]: a transaction id
//!   from SQLite and the idTag decision from the authorization component ([`Authorizer`]); a
//!   start with a refused idTag is still stored, flagged. [`ocpp16::meter_values`] and
//!   [`ocpp16::stop_transaction`] (transactionData, meterStop).
//! - [`ocpp201`]: one adapter per 2.0.1 action: [`ocpp201::transaction_event`] (Started /
//!   Updated / Ended by seqNo, out of order included) and [`ocpp201::meter_values`].
//! - Shared by both: [`samples`] (every sampled value stored, energy normalised to integer Wh
//!   by [`sampled_value`]; values for transactions we do not know are kept too), [`finish`]
//!   (final energy, a consistency check of the register samples, and a charge detail record
//!   priced by the tariff component: [`Pricing`], [`charge_detail_record`]), [`operator_close`].
//!
//! Domain code receives the store, the authorizer, the pricing and the current instant
//! ([`Env`]), so it is tested natively against SQLite files with a fixed clock. On wasm32,
//! `spin_component` is the thin Spin adapter: the authorization component is reached over
//! `http://authorization.spin.internal`, pricing through the imported WIT interface
//! `ocpp-csms:tariff/pricing` (`wit/tariff.wit`), plugged in by spin.toml dependencies.

pub mod authorizer;
pub mod charge_detail_record;
pub mod cost_updates;
mod error;
pub mod finish;
mod flag;
pub mod http;
pub mod ocpp16;
pub mod ocpp201;
pub mod operator_close;
pub mod pricing;
pub mod remote_start_link;
mod reservation_use;
pub mod running_cost;
pub mod sampled_value;
pub mod samples;

pub use authorizer::{
    Authorizer, PostJson, ServiceAuthorizer, StartAsked, StartDecision, StopAuthorization,
    TokenDecision,
};
pub use error::TxError;
pub use pricing::{parse_decimal, EnergySample, LineItem, PricedSession, Pricing, SessionFacts};

use chrono::{DateTime, Utc};

/// What a handler needs from the outside world.
pub struct Env<'a, S, A, P> {
    pub sql: &'a S,
    pub authorizer: &'a A,
    pub pricing: &'a P,
    /// The instant the message is processed (`received_at`, `created_at` columns).
    pub now: DateTime<Utc>,
    /// How often an ongoing 2.0.1 session gets a CostUpdated (`None`: never;
    /// [`cost_updates`]).
    pub cost_updated_every: Option<chrono::Duration>,
    /// Commands the message queued (committed once it is answered), for the caller to mark
    /// ([`csms_contracts::transactions::ForwardedAnswer::queued_commands`]).
    pub queued_commands: std::cell::RefCell<Vec<i64>>,
}

/// The name OCPP gives a value of one of its enums (`Energy.Active.Import.Register`), which is
/// how the types serialise.
pub(crate) fn wire_name<T: serde::Serialize>(value: &T) -> Option<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => Some(name),
        _ => None,
    }
}

// The Spin SDK's export macro and wit-bindgen's import glue expand to unsafe code.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod spin_component;
