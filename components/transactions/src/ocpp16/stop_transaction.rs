//! OCPP 1.6 `StopTransaction`: the 1.6 adapter over [`crate::finish`].
//!
//! - Unknown transaction (not ours, or another charge point's): answered (idTagInfo when an
//!   idTag is given, else `{}`) and the whole payload kept in `unknown_transaction_stops`.
//! - Known and open: transactionData stored as meter values, then finished with meterStop,
//!   the stop reason (default `Local`) and the stopping idTag, which flags the transaction
//!   when it may not stop it.
//! - Closed by an operator before the charge point's own stop arrived (it was offline): the
//!   charge point's stop is the better evidence, so it replaces the operator's estimate once.
//! - Otherwise already stopped: nothing changes (a stop repeated under a new message id);
//!   answered alike.

use chrono::{DateTime, Utc};
use csms_store::processed_messages;
use csms_store::Sql;
use ocpp_protocol::ocpp_types::v16::StopTransactionRequest;
use ocpp_protocol::timestamp::{format_utc, to_utc};
use serde_json::{json, Value};

use crate::charge_detail_record::ChargingEnd;
use crate::finish::{finish, load, OpenTransaction, StopFacts};
use crate::samples::{store_samples, Destination, SampleGroup};
use crate::{wire_name, Authorizer, Env, Pricing, StopAuthorization, TxError};

pub const ACTION: &str = "StopTransaction";
/// OCPP 1.6: "reason ... Local when absent".
pub const DEFAULT_REASON: &str = "Local";

/// Applies one `StopTransaction.req` (once per message id) and returns the
/// `StopTransaction.conf` payload. `payload` is the request as received, kept verbatim when
/// the transaction is unknown.
pub fn handle<S: Sql, A: Authorizer, P: Pricing>(
    env: &Env<'_, S, A, P>,
    charge_point_id: &str,
    message_id: &str,
    request: &StopTransactionRequest,
    payload: &Value,
) -> Result<Value, TxError> {
    if let Some(previous) =
        processed_messages::lookup(env.sql, charge_point_id, message_id, ACTION, payload)?
    {
        return Ok(previous);
    }
    // Asked before the SQL transaction, so that no write lock is held across the call.
    let authorization = match &request.id_tag {
        Some(tag) => Some(
            env.authorizer
                .authorize_stop(charge_point_id, tag.as_str(), None, request.transaction_id)
                .map_err(TxError::Authorization)?,
        ),
        None => None,
    };
    let now = format_utc(env.now);
    env.sql.transaction(|sql| {
        if let Some(previous) =
            processed_messages::lookup(sql, charge_point_id, message_id, ACTION, payload)?
        {
            return Ok(previous);
        }
        match load(sql, charge_point_id, request.transaction_id)? {
            None => record_unknown(sql, charge_point_id, request.transaction_id, payload, &now)?,
            Some(tx) if tx.stop.as_ref().is_some_and(|s| !s.is_operator_estimate()) => {}
            Some(tx) => close(
                sql,
                env.pricing,
                env.now,
                charge_point_id,
                &tx,
                request,
                authorization.as_ref(),
            )?,
        }
        let response = match &authorization {
            Some(a) => json!({ "idTagInfo": a.decision.to_ocpp16() }),
            None => json!({}),
        };
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

fn record_unknown(
    sql: &impl Sql,
    charge_point_id: &str,
    transaction_id: i64,
    payload: &Value,
    now: &str,
) -> Result<(), TxError> {
    sql.execute(
        "INSERT INTO unknown_transaction_stops (charge_point_id, transaction_id, payload, received_at) \
         VALUES (?, ?, ?, ?)",
        &[
            charge_point_id.into(),
            transaction_id.into(),
            payload.to_string().into(),
            now.into(),
        ],
    )?;
    Ok(())
}

fn close(
    sql: &impl Sql,
    pricing: &impl Pricing,
    now: DateTime<Utc>,
    charge_point_id: &str,
    tx: &OpenTransaction,
    request: &StopTransactionRequest,
    authorization: Option<&StopAuthorization>,
) -> Result<(), TxError> {
    let id = request.transaction_id;
    let received_at = format_utc(now);
    if let Some(data) = &request.transaction_data {
        store_samples(
            sql,
            &Destination {
                charge_point_id,
                connector_id: tx.connector_id,
                transaction_id: Some(id),
                reported_transaction_id: None,
                source: ACTION,
                received_at: &received_at,
            },
            &SampleGroup::from_ocpp16(
                data.iter()
                    .map(|d| (&d.timestamp, d.sampled_value.as_slice())),
            ),
        )?;
    }
    let stop_tag = request.id_tag.as_ref().map(|t| t.as_str());
    let foreign = match (authorization, stop_tag) {
        (Some(a), Some(tag)) if !a.may_stop => Some(tag),
        _ => None,
    };
    let reason = request
        .reason
        .as_ref()
        .and_then(wire_name)
        .unwrap_or_else(|| DEFAULT_REASON.to_owned());
    finish(
        sql,
        pricing,
        now,
        charge_point_id,
        id,
        tx,
        &StopFacts {
            meter_stop_wh: request.meter_stop,
            stopped_at: to_utc(request.timestamp),
            reason,
            stop_id_tag: stop_tag,
            foreign_stop_tag: foreign,
            charging_end: ChargingEnd::Inferred,
            revises_own_stop: false,
        },
    )
}
