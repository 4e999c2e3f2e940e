//! Notifications that only need to be kept: DiagnosticsStatusNotification,
//! FirmwareStatusNotification and SecurityEventNotification, stored verbatim
//! in `station_events` and answered with an empty confirmation.

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
    sql.execute(
        "INSERT INTO station_events (charge_point_id, action, payload, received_at) VALUES (?, ?, ?, ?)",
        &[charge_point_id.into(), action.into(), payload.to_string().into(), now.into()],
    )?;
    Ok(())
}

pub fn handle<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    charge_point_id: &str,
    message_id: &str,
    action: &str,
    payload: &Value,
) -> Result<Value, HandlerError> {
    let now = format_utc(env.now);
    env.sql.transaction(|sql| {
        insert(sql, charge_point_id, action, payload, &now)?;
        let response = json!({});
        processed_messages::record(
            sql,
            charge_point_id,
            message_id,
            action,
            payload,
            &response,
            &now,
        )?;
        Ok(response)
    })
}
