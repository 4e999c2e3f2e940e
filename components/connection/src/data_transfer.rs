//! DataTransfer from a charge point. No vendor extensions are implemented, so
//! every vendor id is answered UnknownVendorId; the message is still kept.

use crate::session::Env;
use crate::{station_events, HandlerError};
use csms_store::processed_messages;
use csms_store::{KeyValue, Sql};
use ocpp_protocol::timestamp::format_utc;
use serde_json::{json, Value};

pub fn handle<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    charge_point_id: &str,
    message_id: &str,
    payload: &Value,
) -> Result<Value, HandlerError> {
    let now = format_utc(env.now);
    env.sql.transaction(|sql| {
        station_events::insert(sql, charge_point_id, "DataTransfer", payload, &now)?;
        let response = json!({"status": "UnknownVendorId"});
        processed_messages::record(
            sql,
            charge_point_id,
            message_id,
            "DataTransfer",
            payload,
            &response,
            &now,
        )?;
        Ok(response)
    })
}
