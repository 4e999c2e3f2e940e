//! The status of each connector, whatever the version reported it: the current status per
//! (EVSE, connector on it) and every report kept as history. A 1.6 connector N is EVSE N,
//! connector 1; its connector 0 (the station itself) is EVSE 0, connector 0.

use crate::session::Env;
use crate::HandlerError;
use csms_store::processed_messages;
use csms_store::{KeyValue, Sql, SqlValue, StoreError};
use ocpp_protocol::timestamp::{format_utc, parse_utc};
use serde_json::{json, Value};

/// How far ahead of ours a charge point's clock may run before its times are not trusted
/// for ordering.
const CLOCK_SKEW_SECONDS: i64 = 300;

/// One status report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusReport {
    pub evse_id: i64,
    pub connector_id: i64,
    /// 1.6 `status`, 2.0.1 `connectorStatus` (or an `AvailabilityState` event's value).
    pub status: String,
    /// 1.6 `errorCode`; 2.0.1 has none and reports faults as events ("").
    pub error_code: String,
    pub info: Option<String>,
    pub vendor_id: Option<String>,
    pub vendor_error_code: Option<String>,
    /// The station's own time of the change, when it gave one.
    pub reported_at: Option<String>,
}

/// Stores `report`; the current status only moves forward in time.
pub fn store(
    sql: &impl Sql,
    charge_point_id: &str,
    report: &StatusReport,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    let received_at = format_utc(now);
    // It may have been queued while offline, so arrival time would be wrong.
    let reported_at = report.reported_at.as_deref().and_then(parse_utc);
    let status_at = reported_at
        .map(format_utc)
        .unwrap_or_else(|| received_at.clone());
    // A time well ahead of ours (a charger writing local time with `Z` is a common firmware
    // bug) would make every correct report look older until real time caught up with it, so
    // the current status is then ordered by arrival. History keeps the time as reported.
    let current_at = reported_at
        .filter(|at| *at <= now + chrono::Duration::seconds(CLOCK_SKEW_SECONDS))
        .map(format_utc)
        .unwrap_or_else(|| received_at.clone());
    let row = |at: &str| -> Vec<SqlValue> {
        vec![
            charge_point_id.into(),
            report.evse_id.into(),
            report.connector_id.into(),
            report.status.as_str().into(),
            report.error_code.as_str().into(),
            report.info.clone().into(),
            report.vendor_id.clone().into(),
            report.vendor_error_code.clone().into(),
            at.into(),
        ]
    };
    let mut history = row(&status_at);
    history.push(received_at.as_str().into());
    sql.execute(
        "INSERT INTO connector_status_history (charge_point_id, connector_id, evse_connector_id, status, \
         error_code, info, vendor_id, vendor_error_code, status_at, received_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &history,
    )?;
    // An older report arriving late must not overwrite a newer status.
    sql.execute(
        "INSERT INTO connectors (charge_point_id, connector_id, evse_connector_id, status, error_code, info, \
         vendor_id, vendor_error_code, status_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT(charge_point_id, connector_id, evse_connector_id) DO UPDATE SET status = excluded.status, \
         error_code = excluded.error_code, info = excluded.info, vendor_id = excluded.vendor_id, \
         vendor_error_code = excluded.vendor_error_code, status_at = excluded.status_at \
         WHERE julianday(excluded.status_at) >= julianday(connectors.status_at)",
        &row(&current_at),
    )?;
    Ok(())
}

/// A StatusNotification of either version: stored, recorded, answered `{}`.
pub fn handle<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    incoming: &crate::dispatch::Incoming<'_>,
    report: &StatusReport,
) -> Result<Value, HandlerError> {
    let now = format_utc(env.now);
    env.sql.transaction(|sql| {
        store(sql, incoming.charge_point_id, report, env.now)?;
        let response = json!({});
        processed_messages::record(
            sql,
            incoming.charge_point_id,
            incoming.message_id,
            incoming.action,
            incoming.payload,
            &response,
            &now,
        )?;
        Ok(response)
    })
}
