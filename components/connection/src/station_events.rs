//! Notifications that only need to be kept (1.6 DiagnosticsStatusNotification, both
//! versions' FirmwareStatusNotification and SecurityEventNotification, 2.0.1
//! LogStatusNotification, NotifyEvent, the smart-charging and display notifications, ...):
//! stored verbatim in `station_events` and answered with what the version prescribes.

use crate::dispatch::Incoming;
use crate::session::Env;
use crate::HandlerError;
use csms_store::processed_messages;
use csms_store::{KeyValue, Sql, StoreError};
use ocpp_protocol::timestamp::format_utc;
use serde_json::{json, Value};

pub fn insert(
    sql: &impl Sql,
    charge_point_id: &str,
    action: &str,
    payload: &Value,
    now: &str,
) -> Result<(), StoreError> {
    // The 2.0.1 notifications that answer a command carry its `requestId`.
    let request_id = payload.get("requestId").and_then(Value::as_i64);
    sql.execute(
        "INSERT INTO station_events (charge_point_id, action, payload, received_at, request_id) \
         VALUES (?, ?, ?, ?, ?)",
        &[
            charge_point_id.into(),
            action.into(),
            payload.to_string().into(),
            now.into(),
            request_id.into(),
        ],
    )?;
    Ok(())
}

/// Keeps the message and answers `{}`.
pub fn handle<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    incoming: &Incoming<'_>,
) -> Result<Value, HandlerError> {
    keep_and_answer(env, incoming, json!({}))
}

/// Keeps the message and answers `response`.
pub fn keep_and_answer<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    incoming: &Incoming<'_>,
    response: Value,
) -> Result<Value, HandlerError> {
    keep_and_answer_with(env, incoming, response, |_, _| Ok(()))
}

/// Keeps the message, records what else it changes (`effect`, given the store and the time)
/// in the same transaction, and answers `response`.
pub fn keep_and_answer_with<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    incoming: &Incoming<'_>,
    response: Value,
    effect: impl Fn(&S, &str) -> Result<(), HandlerError>,
) -> Result<Value, HandlerError> {
    let now = format_utc(env.now);
    env.sql.transaction(|sql| {
        effect(sql, &now)?;
        insert(
            sql,
            incoming.charge_point_id,
            incoming.action,
            incoming.payload,
            &now,
        )?;
        processed_messages::record(
            sql,
            incoming.charge_point_id,
            incoming.message_id,
            incoming.action,
            incoming.payload,
            &response,
            &now,
        )?;
        Ok(response.clone())
    })
}
