//! `StartTransaction`: a transaction id from SQLite, the idTag decision from the authorization
//! component, and a start that is never dropped.
//!
//! - A retransmitted CALL (same message id) gets the stored answer ([`csms_store::processed_messages`]).
//! - A start repeated under a new message id (same charge point, connector, idTag, timestamp
//!   and meterStart, the `UNIQUE` key of `transactions`) is the same transaction: it gets the
//!   same transaction id and the idTagInfo first given, and the authorization component is not
//!   asked again (it would count the transaction itself and answer ConcurrentTx).
//! - A start whose idTag is not Accepted is stored all the same, flagged with the reason, and
//!   answered with the real idTagInfo: the charge point may have begun charging offline, and
//!   the energy must be accounted for. The charge point stops it if it so decides.
//! - A new start ends the reservation it uses ([`reservation_use`]) and is linked to the
//!   RemoteStartTransaction that asked for it ([`remote_start_link`]), in the same SQL
//!   transaction.

use csms_store::processed_messages;
use csms_store::{Sql, SqlValue};
use ocpp_protocol::ocpp_types::v16::StartTransactionRequest;
use ocpp_protocol::timestamp::{format_utc, to_utc};
use serde_json::{json, Value};

use crate::{
    remote_start_link, reservation_use, Authorizer, Env, StartAsked, StartDecision, TxError,
};

pub const ACTION: &str = "StartTransaction";

/// The `UNIQUE` key of `transactions`: what makes two starts the same start.
struct StartKey<'a> {
    charge_point_id: &'a str,
    connector_id: i64,
    id_tag: &'a str,
    started_at: String,
    meter_start_wh: i64,
}

impl StartKey<'_> {
    fn existing(&self, sql: &impl Sql) -> Result<Option<i64>, TxError> {
        let rows = sql.execute(
            "SELECT id FROM transactions WHERE charge_point_id = ? AND connector_id = ? AND id_tag = ? \
             AND started_at = ? AND meter_start_wh = ?",
            &self.params(),
        )?;
        match rows.first() {
            Some(row) => Ok(Some(row.i64(0, "transactions.id")?)),
            None => Ok(None),
        }
    }

    fn params(&self) -> Vec<SqlValue> {
        vec![
            self.charge_point_id.into(),
            self.connector_id.into(),
            self.id_tag.into(),
            self.started_at.as_str().into(),
            self.meter_start_wh.into(),
        ]
    }
}

/// Applies one `StartTransaction.req` (once per message id) and returns the
/// `StartTransaction.conf` payload.
pub fn handle<S: Sql, A: Authorizer, P>(
    env: &Env<'_, S, A, P>,
    charge_point_id: &str,
    message_id: &str,
    request: &StartTransactionRequest,
    payload: &Value,
) -> Result<Value, TxError> {
    if let Some(previous) =
        processed_messages::lookup(env.sql, charge_point_id, message_id, ACTION, payload)?
    {
        return Ok(previous);
    }
    let key = StartKey {
        charge_point_id,
        connector_id: request.connector_id,
        id_tag: request.id_tag.as_str(),
        started_at: format_utc(to_utc(request.timestamp)),
        meter_start_wh: request.meter_start,
    };
    // Asked before the SQL transaction: no write lock is held across a call to another
    // component (which reads the same database).
    let decision = match key.existing(env.sql)? {
        Some(_) => None,
        None => Some(
            env.authorizer
                .authorize_start(&StartAsked {
                    charge_point_id,
                    id_tag: key.id_tag,
                    token_type: None,
                    connector_id: key.connector_id,
                    reservation_id: request.reservation_id,
                })
                .map_err(TxError::Authorization)?,
        ),
    };
    let now = format_utc(env.now);
    env.sql.transaction(|sql| {
        if let Some(previous) = processed_messages::lookup(sql, charge_point_id, message_id, ACTION, payload)? {
            return Ok(previous);
        }
        let response = match (key.existing(sql)?, &decision) {
            (Some(id), _) => answer_for_existing(sql, charge_point_id, id)?,
            (None, Some(decision)) => {
                let info = &decision.decision;
                let id = insert(sql, &key, request.reservation_id, decision, &now)?;
                let parent = info.group_id.as_deref();
                reservation_use::end(
                    sql,
                    &reservation_use::Start {
                        charge_point_id,
                        connector_id: key.connector_id,
                        id_tag: key.id_tag,
                        parent_id_tag: parent,
                        reservation_id: request.reservation_id,
                        accepted: info.is_accepted(),
                        transaction_id: id,
                    },
                    env.now,
                )?;
                remote_start_link::link(
                    sql,
                    charge_point_id,
                    key.connector_id,
                    key.id_tag,
                    id,
                    env.now,
                )?;
                json!({ "idTagInfo": info.to_ocpp16(), "transactionId": id })
            }
            (None, None) => {
                return Err(TxError::Conflict(format!(
                    "transaction of {charge_point_id} connector {} started {} disappeared while starting it again",
                    key.connector_id, key.started_at
                )))
            }
        };
        processed_messages::record(sql, charge_point_id, message_id, ACTION, payload, &response, &now)?;
        Ok(response)
    })
}

fn insert(
    sql: &impl Sql,
    key: &StartKey<'_>,
    reservation_id: Option<i64>,
    decision: &StartDecision,
    now: &str,
) -> Result<i64, TxError> {
    let info = &decision.decision;
    let status = info.status.as_ocpp16().to_owned();
    let accepted = info.is_accepted();
    let flag_reason = (!accepted).then(|| match &decision.refusal {
        Some(why) => format!("idTag {} was {status} at start: {why}", key.id_tag),
        None => format!("idTag {} was {status} at start", key.id_tag),
    });
    let mut params = key.params();
    params.extend([
        status.into(),
        (!accepted).into(),
        flag_reason.into(),
        reservation_id.into(),
        now.into(),
    ]);
    let rows = sql.execute(
        "INSERT INTO transactions (charge_point_id, connector_id, id_tag, started_at, meter_start_wh, \
         start_auth_status, flagged, flag_reason, reservation_id, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        &params,
    )?;
    match rows.first() {
        Some(row) => Ok(row.i64(0, "transactions.id")?),
        None => Err(TxError::Store(csms_store::StoreError::Sql(
            "INSERT INTO transactions ... RETURNING id returned no row".into(),
        ))),
    }
}

/// The answer first given for transaction `id`: the stored `StartTransaction.conf` that carried
/// it, else (the record is gone) its id with the status decided at start.
fn answer_for_existing(sql: &impl Sql, charge_point_id: &str, id: i64) -> Result<Value, TxError> {
    let rows = sql.execute(
        "SELECT response FROM processed_messages WHERE charge_point_id = ? AND action = ? \
         AND CAST(json_extract(response, '$.transactionId') AS INTEGER) = ? ORDER BY julianday(processed_at) LIMIT 1",
        &[charge_point_id.into(), ACTION.into(), id.into()],
    )?;
    if let Some(row) = rows.first() {
        if let Ok(answer) =
            serde_json::from_str::<Value>(&row.text(0, "processed_messages.response")?)
        {
            return Ok(answer);
        }
    }
    let rows = sql.execute(
        "SELECT start_auth_status FROM transactions WHERE id = ?",
        &[id.into()],
    )?;
    let status = match rows.first() {
        Some(row) => row.text(0, "transactions.start_auth_status")?,
        None => "Invalid".to_owned(),
    };
    Ok(json!({ "idTagInfo": { "status": status }, "transactionId": id }))
}
