//! Heartbeat: the CSMS's time, and a liveness mark in the connection state.

use crate::session::Env;
use crate::{connection_state, HandlerError};
use csms_store::{KeyValue, Sql};
use ocpp_protocol::timestamp::format_utc;
use serde_json::{json, Value};

pub fn handle<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    charge_point_id: &str,
    connection_id: &str,
) -> Result<Value, HandlerError> {
    let now = format_utc(env.now);
    connection_state::update_current(env.kv, charge_point_id, connection_id, |state| {
        state.last_heartbeat_at = Some(now.clone());
    })?;
    Ok(json!({"currentTime": now}))
}
