//! StatusNotification: the current status of each connector (0 = the whole
//! charge point), and every report kept as history.

use crate::session::Env;
use crate::HandlerError;
use csms_store::processed_messages;
use csms_store::{KeyValue, Sql, SqlValue};
use ocpp_protocol::timestamp::{format_utc, parse_utc};
use serde_json::{json, Value};

/// How far ahead of ours a charge point's clock may run before its times are not trusted
/// for ordering.
const CLOCK_SKEW_SECONDS: i64 = 300;

pub fn handle<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    charge_point_id: &str,
    message_id: &str,
    payload: &Value,
) -> Result<Value, HandlerError> {
    let now = format_utc(env.now);
    let text = |key: &str| payload.get(key).and_then(Value::as_str).map(str::to_owned);
    // The charge point's own time of the change when it gave one; it may have
    // been queued while offline, so arrival time would be wrong.
    let reported_at = text("timestamp").and_then(|t| parse_utc(&t));
    let status_at = reported_at.map(format_utc).unwrap_or_else(|| now.clone());
    // A time well ahead of ours (a charger writing local time with `Z` is a common firmware
    // bug) would make every correct report look older until real time caught up with it, so
    // the current status is then ordered by arrival. History keeps the time as reported.
    let current_at = reported_at
        .filter(|at| *at <= env.now + chrono::Duration::seconds(CLOCK_SKEW_SECONDS))
        .map(format_utc)
        .unwrap_or_else(|| now.clone());
    let connector_id = payload["connectorId"].as_i64().unwrap_or_default();
    let row = |at: &str| -> Vec<SqlValue> {
        vec![
            charge_point_id.into(),
            connector_id.into(),
            text("status").into(),
            text("errorCode").into(),
            text("info").into(),
            text("vendorId").into(),
            text("vendorErrorCode").into(),
            at.into(),
        ]
    };
    let current = row(&current_at);
    env.sql.transaction(|sql| {
        let mut history = row(&status_at);
        history.push(now.as_str().into());
        sql.execute(
            "INSERT INTO connector_status_history (charge_point_id, connector_id, status, error_code, info, \
             vendor_id, vendor_error_code, status_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &history,
        )?;
        // An older report arriving late must not overwrite a newer status.
        sql.execute(
            "INSERT INTO connectors (charge_point_id, connector_id, status, error_code, info, vendor_id, \
             vendor_error_code, status_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT(charge_point_id, connector_id) DO UPDATE SET status = excluded.status, \
             error_code = excluded.error_code, info = excluded.info, vendor_id = excluded.vendor_id, \
             vendor_error_code = excluded.vendor_error_code, status_at = excluded.status_at \
             WHERE julianday(excluded.status_at) >= julianday(connectors.status_at)",
            &current,
        )?;
        let response = json!({});
        processed_messages::record(sql, charge_point_id, message_id, "StatusNotification", payload, &response, &now)?;
        Ok(response)
    })
}
