//! 2.0.1 Authorize: the decision for `idToken` of its `type`, written as `IdTokenInfoType`.

use crate::dispatch::Incoming;
use crate::session::Env;
use crate::{forward, HandlerError};
use csms_store::{KeyValue, Sql};
use serde_json::{json, Value};

pub fn handle<S: Sql, K: KeyValue, C: forward::Chain>(
    env: &Env<'_, S, K, C>,
    incoming: &Incoming<'_>,
) -> Result<Value, HandlerError> {
    let token = &incoming.payload["idToken"];
    let id_token = token["idToken"].as_str().unwrap_or_default();
    let token_type = token["type"].as_str().filter(|t| !t.is_empty());
    let decision = forward::authorize(env.chain, incoming.charge_point_id, id_token, token_type)?;
    Ok(json!({"idTokenInfo": decision.to_ocpp201()}))
}
