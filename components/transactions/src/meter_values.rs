//! `MeterValues`: every sampled value stored, linked to its transaction when we know it.
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
use csms_store::{Sql, SqlValue};
use ocpp_protocol::ocpp_types::v16::common::SampledValueItem;
use ocpp_protocol::ocpp_types::v16::MeterValuesRequest;
use ocpp_protocol::ocpp_types::OcppTimestamp;
use ocpp_protocol::timestamp::{format_utc, to_utc};
use serde_json::{json, Value};

use crate::sampled_value::Sample;
use crate::{Env, TxError};

pub const ACTION: &str = "MeterValues";

/// Where sampled values go: the charge point's connector and, when known, the transaction.
pub(crate) struct Destination<'a> {
    pub charge_point_id: &'a str,
    pub connector_id: i64,
    pub transaction_id: Option<i64>,
    /// The transactionId the charge point sent when it is not one of ours.
    pub reported_transaction_id: Option<i64>,
    /// `MeterValues` or `StopTransaction`.
    pub source: &'static str,
    pub received_at: &'a str,
}

/// Stores the sampled values of each `(timestamp, sampledValue)` group.
pub(crate) fn store_samples<'s>(
    sql: &impl Sql,
    to: &Destination<'_>,
    groups: impl IntoIterator<Item = (&'s OcppTimestamp, &'s [SampledValueItem])>,
) -> Result<usize, TxError> {
    let mut stored = 0;
    for (timestamp, items) in groups {
        let sampled_at = format_utc(to_utc(*timestamp));
        for item in items {
            let s = Sample::from_ocpp(item);
            sql.execute(
                "INSERT INTO meter_values (charge_point_id, connector_id, transaction_id, reported_transaction_id, \
                 source, sampled_at, value, value_wh, measurand, phase, unit, context, location, format, received_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                &[
                    to.charge_point_id.into(),
                    to.connector_id.into(),
                    to.transaction_id.into(),
                    to.reported_transaction_id.into(),
                    to.source.into(),
                    sampled_at.as_str().into(),
                    s.value.into(),
                    s.value_wh.into(),
                    s.measurand.into(),
                    s.phase.into(),
                    s.unit.into(),
                    s.context.into(),
                    s.location.into(),
                    s.format.into(),
                    to.received_at.into(),
                ],
            )?;
            stored += 1;
        }
    }
    Ok(stored)
}

/// Whether `transaction_id` is a transaction of `charge_point_id`.
pub(crate) fn is_known_transaction(
    sql: &impl Sql,
    charge_point_id: &str,
    transaction_id: i64,
) -> Result<bool, TxError> {
    let rows = sql.execute(
        "SELECT 1 FROM transactions WHERE id = ? AND charge_point_id = ?",
        &[SqlValue::Integer(transaction_id), charge_point_id.into()],
    )?;
    Ok(!rows.is_empty())
}

/// The one open transaction on the connector that started at or before `earliest`, if
/// exactly one is open there.
fn implied_transaction(
    sql: &impl Sql,
    charge_point_id: &str,
    connector_id: i64,
    earliest: Option<&OcppTimestamp>,
) -> Result<Option<i64>, TxError> {
    let Some(earliest) = earliest else {
        return Ok(None);
    };
    if connector_id <= 0 {
        return Ok(None);
    }
    let rows = sql.execute(
        "SELECT id, julianday(started_at) <= julianday(?) FROM transactions \
         WHERE charge_point_id = ? AND connector_id = ? AND stopped_at IS NULL LIMIT 2",
        &[
            format_utc(to_utc(*earliest)).into(),
            charge_point_id.into(),
            connector_id.into(),
        ],
    )?;
    match rows.as_slice() {
        [only] if only.i64(1, "started before the samples")? == 1 => {
            Ok(Some(only.i64(0, "transactions.id")?))
        }
        _ => Ok(None),
    }
}

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
                let earliest = request.meter_value.iter().map(|m| &m.timestamp).min();
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
            request
                .meter_value
                .iter()
                .map(|m| (&m.timestamp, m.sampled_value.as_slice())),
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
