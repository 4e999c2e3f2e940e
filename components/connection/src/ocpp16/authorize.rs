//! 1.6 Authorize: the decision written as an `IdTagInfo` (1.6 has no `Unknown`: `Invalid`).

use crate::dispatch::Incoming;
use crate::session::Env;
use crate::{forward, HandlerError};
use csms_store::{KeyValue, Sql};
use serde_json::{json, Value};

pub fn handle<S: Sql, K: KeyValue, C: forward::Chain>(
    env: &Env<'_, S, K, C>,
    incoming: &Incoming<'_>,
) -> Result<Value, HandlerError> {
    let id_tag = incoming.payload["idTag"].as_str().unwrap_or_default();
    let decision = forward::authorize(env.chain, incoming.charge_point_id, id_tag, None)?;
    Ok(json!({"idTagInfo": decision.to_ocpp16()}))
}
