//! DataTransfer from a charge point (the same message in 1.6 and 2.0.1). No vendor extensions
//! are implemented, so every vendor id is answered UnknownVendorId; the message is still kept.

use crate::dispatch::Incoming;
use crate::session::Env;
use crate::{station_events, HandlerError};
use csms_store::{KeyValue, Sql};
use serde_json::{json, Value};

pub fn handle<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    incoming: &Incoming<'_>,
) -> Result<Value, HandlerError> {
    station_events::keep_and_answer(env, incoming, json!({"status": "UnknownVendorId"}))
}
