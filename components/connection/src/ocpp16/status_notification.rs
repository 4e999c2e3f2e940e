//! 1.6 StatusNotification onto [`crate::connector_status`]: connector N is EVSE N,
//! connector 1; connector 0 is the station (EVSE 0, connector 0).

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
    let text = |key: &str| p.get(key).and_then(Value::as_str).map(str::to_owned);
    let connector = p["connectorId"].as_i64().unwrap_or_default();
    let report = StatusReport {
        evse_id: connector,
        connector_id: i64::from(connector > 0),
        status: text("status").unwrap_or_default(),
        error_code: text("errorCode").unwrap_or_default(),
        info: text("info"),
        vendor_id: text("vendorId"),
        vendor_error_code: text("vendorErrorCode"),
        reported_at: text("timestamp"),
    };
    connector_status::handle(env, incoming, &report)
}
