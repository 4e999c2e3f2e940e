//! 2.0.1 StatusNotification onto [`crate::connector_status`]: per (evseId, connectorId),
//! `connectorStatus` Available / Occupied / Reserved / Unavailable / Faulted, no error code.

use crate::connector_status::{self, StatusReport};
use crate::dispatch::Incoming;
use crate::session::Env;
use crate::HandlerError;
use csms_store::{KeyValue, Sql};
use serde_json::Value;

pub fn handle<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    incoming: &Incoming<'_>,
) -> Result<Value, HandlerError> {
    let p = incoming.payload;
    let report = StatusReport {
        evse_id: p["evseId"].as_i64().unwrap_or_default(),
        connector_id: p["connectorId"].as_i64().unwrap_or_default(),
        status: p["connectorStatus"].as_str().unwrap_or_default().to_owned(),
        reported_at: p["timestamp"].as_str().map(str::to_owned),
        ..StatusReport::default()
    };
    connector_status::handle(env, incoming, &report)
}
