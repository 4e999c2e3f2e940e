//! OCPP 1.6 `MeterValues`: every sampled value stored, linked to its transaction when we know it.
//!
//! Values naming a transaction we do not know (on this charge point) are stored too, with
//! `transaction_id` NULL and the id the charge point sent in `reported_transaction_id`: a
//! meter reading is evidence and is never dropped.
//!
//! Values without a transactionId (optional in 1.6, and some chargers leave it out of periodic
//! samples) on a connector with exactly one open transaction, sampled no earlier than its
//! start, are linked to that transaction: the energy check and an operator's close rely on
//! the transaction's register samples, and would otherwise see none.

use csms_store::processed_messages;
use csms_store::Sql;
use ocpp_protocol::ocpp_types::v16::MeterValuesRequest;
use ocpp_protocol::timestamp::{format_utc, to_utc};
use serde_json::{json, Value};

use crate::samples::{
    implied_transaction, is_known_transaction, store_samples, Destination, SampleGroup,
};
use crate::{Env, TxError};

pub const ACTION: &str = "MeterValues";

/// Applies one `MeterValues.req` (once per message id) and returns the `MeterValues.conf`
/// payload, `{}`.
pub fn handle<S: Sql, A, P>(
    env: &Env<'_, S, A, P>,
    charge_point_id: &str,
    message_id: &str,
    request: &MeterValuesRequest,
    payload: &Value,
) -> Result<Value, TxError> {
    let now = format_utc(env.now);
    env.sql.transaction(|sql| {
        if let Some(previous) =
            processed_messages::lookup(sql, charge_point_id, message_id, ACTION, payload)?
        {
            return Ok(previous);
        }
        let (transaction_id, reported_transaction_id) = match request.transaction_id {
            Some(id) if is_known_transaction(sql, charge_point_id, id)? => (Some(id), None),
            Some(id) => (None, Some(id)),
            None => {
                let earliest = request
                    .meter_value
                    .iter()
                    .map(|m| m.timestamp)
                    .min()
                    .map(|t| format_utc(to_utc(t)));
                let implied =
                    implied_transaction(sql, charge_point_id, request.connector_id, earliest)?;
                (implied, None)
            }
        };
        store_samples(
            sql,
            &Destination {
                charge_point_id,
                connector_id: request.connector_id,
                transaction_id,
                reported_transaction_id,
                source: ACTION,
                received_at: &now,
            },
            &SampleGroup::from_ocpp16(
                request
                    .meter_value
                    .iter()
                    .map(|m| (&m.timestamp, m.sampled_value.as_slice())),
            ),
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
