//! OCPP 2.0.1 `MeterValues`: sampled values of one EVSE outside a transaction's events
//! (2.0.1 sends a transaction's own values in TransactionEvent). Stored like 1.6's; values of
//! an EVSE with exactly one open transaction that started before them are linked to it.

use csms_store::processed_messages;
use csms_store::Sql;
use ocpp_protocol::timestamp::format_utc;
use serde_json::{json, Value};

use crate::samples::{implied_transaction, store_samples, Destination, SampleGroup};
use crate::{Env, TxError};

pub const ACTION: &str = "MeterValues";

/// Applies one `MeterValuesRequest` (once per message id); the answer is `{}`.
pub fn handle<S: Sql, A, P>(
    env: &Env<'_, S, A, P>,
    charge_point_id: &str,
    message_id: &str,
    payload: &Value,
) -> Result<Value, TxError> {
    let now = format_utc(env.now);
    let evse_id = payload["evseId"].as_i64().unwrap_or_default();
    let groups = SampleGroup::from_ocpp201(payload.get("meterValue"), &now);
    env.sql.transaction(|sql| {
        if let Some(previous) =
            processed_messages::lookup(sql, charge_point_id, message_id, ACTION, payload)?
        {
            return Ok(previous);
        }
        let earliest = groups.iter().map(|g| g.sampled_at.clone()).min();
        let transaction_id = implied_transaction(sql, charge_point_id, evse_id, earliest)?;
        store_samples(
            sql,
            &Destination {
                charge_point_id,
                connector_id: evse_id,
                transaction_id,
                reported_transaction_id: None,
                source: ACTION,
                received_at: &now,
            },
            &groups,
        )?;
        let response = json!({});
        processed_messages::record(
            sql,
            charge_point_id,
            message_id,
            ACTION,
            payload,
            &response,
            &now,
        )?;
        Ok(response)
    })
}
