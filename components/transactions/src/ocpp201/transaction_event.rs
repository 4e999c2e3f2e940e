//! OCPP 2.0.1 `TransactionEvent` (Started / Updated / Ended) onto the version-neutral
//! transaction: one row per (station, `transactionId`), every event kept by `seqNo`.
//!
//! - The CSMS cannot refuse a TransactionEvent: whatever arrives, in whatever order (queued
//!   `offline` events come late and out of order), is stored and answered. An event of a
//!   transaction not seen yet creates it, whichever event it is.
//! - `idTokenInfo` is answered exactly when the request carries an `idToken`. The first token
//!   of a transaction (in Started, or in a later event of a transaction that started with no
//!   token: CablePluggedIn, EVDetected) is its start authorization, decided as a start (it
//!   counts the token's open transactions); a token that is not Accepted flags the transaction,
//!   which is kept all the same, as in 1.6. A later token is decided as a stop.
//! - Every sampled value is stored; the start register is the `Transaction.Begin` reading (else
//!   the earliest one until a Begin arrives), the stop register the `Transaction.End` reading
//!   of the Ended event (else the highest reading).
//! - `chargingState` changes are kept as a timeline: idle (parking) time in the CDR starts
//!   when the station last left `Charging`.
//! - On Ended the session is finished ([`crate::finish`]): energy checked, priced through the
//!   tariff component, the CDR written, and `totalCost` answered from it (including VAT).
//!   An event that arrives after Ended and changes the start (a late Started) re-prices the
//!   record in place.
//! - A retransmission (same message id and payload) gets the answer it got the first time.

use chrono::{DateTime, Utc};
use csms_contracts::authorization::{AuthorizationStatus, TokenDecision};
use csms_store::processed_messages;
use csms_store::Sql;
use ocpp_protocol::timestamp::{format_utc, parse_utc};
use serde_json::{Map, Value};

use crate::charge_detail_record::ChargingEnd;
use crate::finish::{finish, load, StopFacts};
use crate::sampled_value::DEFAULT_MEASURAND;
use crate::samples::{store_samples, Destination, SampleGroup};
use crate::{flag, Authorizer, Env, Pricing, StartAsked, TxError};

pub const ACTION: &str = "TransactionEvent";
/// The version a transaction is reported in (`transactions.ocpp_version`).
pub const OCPP_VERSION: &str = "ocpp2.0.1";
/// 2.0.1: `stoppedReason` is optional, and its absence means a local stop.
pub const DEFAULT_STOPPED_REASON: &str = "Local";
/// `start_auth_status` of a transaction no token has authorized (yet).
pub const NO_TOKEN: &str = "NoToken";
/// The token type that carries no token (`idToken` is "").
const NO_AUTHORIZATION: &str = "NoAuthorization";

/// The fields of a TransactionEvent this adapter uses (the payload is schema-validated).
struct Event<'a> {
    event_type: &'a str,
    at: DateTime<Utc>,
    trigger_reason: &'a str,
    seq_no: i64,
    offline: bool,
    transaction_id: &'a str,
    charging_state: Option<&'a str>,
    stopped_reason: Option<&'a str>,
    token: Option<(&'a str, &'a str)>,
    evse: Option<(i64, Option<i64>)>,
    reservation_id: Option<i64>,
    remote_start_id: Option<i64>,
}

impl<'a> Event<'a> {
    fn read(payload: &'a Value, now: DateTime<Utc>) -> Result<Self, TxError> {
        let text = |v: &'a Value| v.as_str();
        let info = &payload["transactionInfo"];
        let transaction_id = text(&info["transactionId"]).ok_or_else(|| {
            TxError::BadRequest("transactionInfo.transactionId is missing".into())
        })?;
        let event_type = text(&payload["eventType"])
            .ok_or_else(|| TxError::BadRequest("eventType is missing".into()))?;
        Ok(Event {
            event_type,
            // A time that is not RFC 3339 (the schema only says date-time) is taken as arrival.
            at: text(&payload["timestamp"])
                .and_then(parse_utc)
                .unwrap_or(now),
            trigger_reason: text(&payload["triggerReason"]).unwrap_or_default(),
            seq_no: payload["seqNo"].as_i64().unwrap_or_default(),
            offline: payload["offline"].as_bool().unwrap_or(false),
            transaction_id,
            charging_state: text(&info["chargingState"]),
            stopped_reason: text(&info["stoppedReason"]),
            token: payload.get("idToken").map(|t| {
                (
                    text(&t["idToken"]).unwrap_or_default(),
                    text(&t["type"]).unwrap_or_default(),
                )
            }),
            evse: payload
                .get("evse")
                .and_then(|e| Some((e["id"].as_i64()?, e["connectorId"].as_i64()))),
            reservation_id: payload["reservationId"].as_i64(),
            remote_start_id: info["remoteStartId"].as_i64(),
        })
    }

    fn is_ended(&self) -> bool {
        self.event_type == "Ended"
    }
}

/// What the registry said of the event's token, asked before the SQL transaction so that no
/// write lock is held across a call to another component.
enum TokenAnswer {
    /// The transaction's first token: its start authorization.
    Start {
        decision: TokenDecision,
        refusal: Option<String>,
    },
    /// A token of a transaction that already has one.
    Later {
        decision: TokenDecision,
        may_stop: bool,
    },
}

impl TokenAnswer {
    fn decision(&self) -> &TokenDecision {
        match self {
            TokenAnswer::Start { decision, .. } | TokenAnswer::Later { decision, .. } => decision,
        }
    }
}

/// The transaction as stored, for deciding what an event changes.
struct Stored {
    id: i64,
    id_tag: String,
    evse_id: i64,
    /// Finished by the station's own Ended (not an operator's estimate).
    ended: bool,
    meter_start_wh: i64,
    started_at: String,
}

fn find(
    sql: &impl Sql,
    charge_point_id: &str,
    station_id: &str,
) -> Result<Option<Stored>, TxError> {
    let rows = sql.execute(
        "SELECT id, id_tag, connector_id, stopped_at IS NOT NULL AND closed_by IS NULL, meter_start_wh, \
         started_at FROM transactions WHERE charge_point_id = ? AND station_transaction_id = ?",
        &[charge_point_id.into(), station_id.into()],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    Ok(Some(Stored {
        id: row.i64(0, "transactions.id")?,
        id_tag: row.text(1, "transactions.id_tag")?,
        evse_id: row.i64(2, "transactions.connector_id")?,
        ended: row.i64(3, "transactions ended")? != 0,
        meter_start_wh: row.i64(4, "transactions.meter_start_wh")?,
        started_at: row.text(5, "transactions.started_at")?,
    }))
}

/// Applies one `TransactionEventRequest` (once per message id) and returns the response.
pub fn handle<S: Sql, A: Authorizer, P: Pricing>(
    env: &Env<'_, S, A, P>,
    charge_point_id: &str,
    message_id: &str,
    payload: &Value,
) -> Result<Value, TxError> {
    if let Some(previous) =
        processed_messages::lookup(env.sql, charge_point_id, message_id, ACTION, payload)?
    {
        return Ok(previous);
    }
    let event = Event::read(payload, env.now)?;
    let existing = find(env.sql, charge_point_id, event.transaction_id)?;
    let token_answer = ask_about_token(env, charge_point_id, &event, existing.as_ref())?;
    let now = format_utc(env.now);
    env.sql.transaction(|sql| {
        if let Some(previous) =
            processed_messages::lookup(sql, charge_point_id, message_id, ACTION, payload)?
        {
            return Ok(previous);
        }
        let tx = match find(sql, charge_point_id, event.transaction_id)? {
            Some(tx) => tx,
            None => {
                insert(sql, charge_point_id, &event, &now)?;
                find(sql, charge_point_id, event.transaction_id)?.ok_or_else(|| {
                    TxError::Conflict(format!(
                        "transaction {:?} of {charge_point_id} vanished after it was inserted",
                        event.transaction_id
                    ))
                })?
            }
        };
        apply_event(
            sql,
            charge_point_id,
            &tx,
            &event,
            token_answer.as_ref(),
            env.now,
        )?;
        let groups = SampleGroup::from_ocpp201(payload.get("meterValue"), &format_utc(event.at));
        store_samples(
            sql,
            &Destination {
                charge_point_id,
                connector_id: event.evse.map_or(tx.evse_id, |(id, _)| id),
                transaction_id: Some(tx.id),
                reported_transaction_id: None,
                source: ACTION,
                received_at: &now,
            },
            &groups,
        )?;
        let meter_start_wh = refresh_meter_start(sql, tx.id)?;
        let start_changed =
            meter_start_wh != tx.meter_start_wh || started_at(sql, tx.id)? != tx.started_at;
        if (event.is_ended() && !tx.ended) || (tx.ended && start_changed) {
            end(
                sql,
                env.pricing,
                env.now,
                charge_point_id,
                tx.id,
                &event,
                token_answer.as_ref(),
                tx.ended,
            )?;
        }
        // Queued events report the past: the running cost is for the station's live messages.
        if let Some(every) = env.cost_updated_every.filter(|_| !event.offline) {
            if !event.is_ended() && !tx.ended {
                if let Some(command_id) = crate::cost_updates::queue_if_due(
                    sql,
                    env.pricing,
                    charge_point_id,
                    tx.id,
                    event.transaction_id,
                    every,
                    env.now,
                )? {
                    env.queued_commands.borrow_mut().push(command_id);
                }
            }
        }
        let mut response = Map::new();
        if let Some(answer) = &token_answer {
            response.insert("idTokenInfo".into(), answer.decision().to_ocpp201());
        }
        if event.is_ended() {
            if let Some(total) = total_cost(sql, tx.id)? {
                response.insert("totalCost".into(), total);
            }
        }
        let response = Value::Object(response);
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

fn ask_about_token<S: Sql, A: Authorizer, P>(
    env: &Env<'_, S, A, P>,
    charge_point_id: &str,
    event: &Event<'_>,
    existing: Option<&Stored>,
) -> Result<Option<TokenAnswer>, TxError> {
    let Some((token, token_type)) = event.token else {
        return Ok(None);
    };
    let first_token = existing.is_none_or(|tx| tx.id_tag.is_empty());
    if token_type == NO_AUTHORIZATION {
        // No token to decide on: the station lets anyone charge there.
        let decision = TokenDecision::status(AuthorizationStatus::Accepted);
        return Ok(Some(if first_token {
            TokenAnswer::Start {
                decision,
                refusal: None,
            }
        } else {
            TokenAnswer::Later {
                decision,
                may_stop: true,
            }
        }));
    }
    let token_type = (!token_type.is_empty()).then_some(token_type);
    Ok(Some(match existing {
        Some(tx) if !first_token => {
            let answer = env
                .authorizer
                .authorize_stop(charge_point_id, token, token_type, tx.id)
                .map_err(TxError::Authorization)?;
            TokenAnswer::Later {
                decision: answer.decision,
                may_stop: answer.may_stop,
            }
        }
        _ => {
            let answer = env
                .authorizer
                .authorize_start(&StartAsked {
                    charge_point_id,
                    id_tag: token,
                    token_type,
                    connector_id: event
                        .evse
                        .map(|(id, _)| id)
                        .or(existing.map(|tx| tx.evse_id))
                        .unwrap_or_default(),
                    reservation_id: event.reservation_id,
                })
                .map_err(TxError::Authorization)?;
            TokenAnswer::Start {
                decision: answer.decision,
                refusal: answer.refusal,
            }
        }
    }))
}

fn insert(
    sql: &impl Sql,
    charge_point_id: &str,
    event: &Event<'_>,
    now: &str,
) -> Result<(), TxError> {
    let (evse_id, connector_id) = event.evse.unwrap_or((0, None));
    sql.execute(
        "INSERT INTO transactions (charge_point_id, connector_id, evse_connector_id, id_tag, start_auth_status, \
         meter_start_wh, meter_start_pending, started_at, reservation_id, created_at, ocpp_version, \
         station_transaction_id) VALUES (?, ?, ?, '', ?, 0, 1, ?, ?, ?, ?, ?)",
        &[
            charge_point_id.into(),
            evse_id.into(),
            connector_id.into(),
            NO_TOKEN.into(),
            format_utc(event.at).into(),
            event.reservation_id.into(),
            now.into(),
            OCPP_VERSION.into(),
            event.transaction_id.into(),
        ],
    )?;
    Ok(())
}

/// Records the event and what it says of the transaction: its token, EVSE, start time and
/// charging state.
fn apply_event(
    sql: &impl Sql,
    charge_point_id: &str,
    tx: &Stored,
    event: &Event<'_>,
    token: Option<&TokenAnswer>,
    now_utc: DateTime<Utc>,
) -> Result<(), TxError> {
    let now = format_utc(now_utc);
    sql.execute(
        "INSERT INTO transaction_events (transaction_id, seq_no, event_type, trigger_reason, event_at, \
         charging_state, offline, id_token, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            tx.id.into(),
            event.seq_no.into(),
            event.event_type.into(),
            event.trigger_reason.into(),
            format_utc(event.at).into(),
            event.charging_state.map(str::to_owned).into(),
            event.offline.into(),
            event.token.map(|(t, _)| t.to_owned()).into(),
            now.as_str().into(),
        ],
    )?;
    if let (Some(TokenAnswer::Start { decision, refusal }), Some((id_tag, _))) =
        (token, event.token)
    {
        let status = decision.status.as_str();
        let reason = (!decision.is_accepted()).then(|| match refusal {
            Some(why) => format!("idToken {id_tag} was {status} at start: {why}"),
            None => format!("idToken {id_tag} was {status} at start"),
        });
        sql.execute(
            &format!(
                "UPDATE transactions SET id_tag = ?1, start_auth_status = ?2, {} WHERE id = ?4",
                flag::assignments(3)
            ),
            &[id_tag.into(), status.into(), reason.into(), tx.id.into()],
        )?;
    }
    if let Some(remote_start_id) = event.remote_start_id {
        crate::remote_start_link::link_remote_start_id(sql, tx.id, remote_start_id)?;
    }
    if let Some((evse_id, connector_id)) = event.evse {
        sql.execute(
            "UPDATE transactions SET connector_id = ?, evse_connector_id = COALESCE(?, evse_connector_id) \
             WHERE id = ?",
            &[evse_id.into(), connector_id.into(), tx.id.into()],
        )?;
    }
    // The token that starts the transaction uses its reservation, as a 1.6 StartTransaction does.
    if let (Some(TokenAnswer::Start { decision, .. }), Some((id_tag, _))) = (token, event.token) {
        crate::reservation_use::end(
            sql,
            &crate::reservation_use::Start {
                charge_point_id,
                connector_id: event.evse.map_or(tx.evse_id, |(id, _)| id),
                id_tag,
                parent_id_tag: decision.group_id.as_deref(),
                reservation_id: event.reservation_id,
                accepted: decision.is_accepted(),
                transaction_id: tx.id,
            },
            now_utc,
        )?;
    }
    // The start is the Started event's time; before it arrives, the earliest event's.
    sql.execute(
        "UPDATE transactions SET started_at = ?1 WHERE id = ?2 AND (?3 = 'Started' OR julianday(?1) < julianday(started_at))",
        &[format_utc(event.at).into(), tx.id.into(), event.event_type.into()],
    )?;
    // The current charging state is that of the highest seqNo that reported one.
    sql.execute(
        "UPDATE transactions SET charging_state = (SELECT charging_state FROM transaction_events \
         WHERE transaction_id = ?1 AND charging_state IS NOT NULL ORDER BY seq_no DESC, id DESC LIMIT 1) \
         WHERE id = ?1",
        &[tx.id.into()],
    )?;
    Ok(())
}

/// The register readings of a transaction that count as its energy: the total import
/// register at the outlet.
const REGISTER_READINGS: &str = "FROM meter_values WHERE transaction_id = ? AND measurand = ? \
     AND value_wh IS NOT NULL AND phase IS NULL AND (location IS NULL OR location = 'Outlet')";

/// Takes the start register from the `Transaction.Begin` reading, else the earliest one while
/// no Begin reading arrived (it stays pending then); returns the start register.
fn refresh_meter_start(sql: &impl Sql, id: i64) -> Result<i64, TxError> {
    sql.execute(
        &format!(
            "UPDATE transactions SET \
             meter_start_wh = COALESCE((SELECT value_wh {REGISTER_READINGS} \
               ORDER BY CASE WHEN context = 'Transaction.Begin' THEN 0 ELSE 1 END, julianday(sampled_at), id LIMIT 1), meter_start_wh), \
             meter_start_pending = CASE WHEN EXISTS (SELECT 1 {REGISTER_READINGS} AND context = 'Transaction.Begin') \
             THEN 0 ELSE 1 END \
             WHERE id = ? AND meter_start_pending = 1"
        ),
        &[id.into(), DEFAULT_MEASURAND.into(), id.into(), DEFAULT_MEASURAND.into(), id.into()],
    )?;
    let rows = sql.execute(
        "SELECT meter_start_wh FROM transactions WHERE id = ?",
        &[id.into()],
    )?;
    match rows.first() {
        Some(row) => Ok(row.i64(0, "transactions.meter_start_wh")?),
        None => Ok(0),
    }
}

fn started_at(sql: &impl Sql, id: i64) -> Result<String, TxError> {
    let rows = sql.execute(
        "SELECT started_at FROM transactions WHERE id = ?",
        &[id.into()],
    )?;
    match rows.first() {
        Some(row) => Ok(row.text(0, "transactions.started_at")?),
        None => Ok(String::new()),
    }
}

/// The stop register: the Ended event's `Transaction.End` reading, else the highest reading,
/// else the start (nothing measured).
fn meter_stop(sql: &impl Sql, id: i64, meter_start_wh: i64) -> Result<i64, TxError> {
    let rows = sql.execute(
        &format!(
            "SELECT value_wh {REGISTER_READINGS} ORDER BY CASE WHEN context = 'Transaction.End' THEN 0 ELSE 1 END, \
             CASE WHEN context = 'Transaction.End' THEN julianday(sampled_at) ELSE value_wh END DESC, id DESC LIMIT 1"
        ),
        &[id.into(), DEFAULT_MEASURAND.into()],
    )?;
    match rows.first() {
        Some(row) => Ok(row.i64(0, "meter_values.value_wh")?),
        None => Ok(meter_start_wh),
    }
}

/// When the station last left `Charging`, from its events in seqNo order; `Inferred` when it
/// never said it was charging.
fn charging_end(sql: &impl Sql, id: i64) -> Result<ChargingEnd, TxError> {
    let rows = sql.execute(
        "SELECT charging_state, event_at FROM transaction_events WHERE transaction_id = ? \
         AND charging_state IS NOT NULL ORDER BY seq_no, id",
        &[id.into()],
    )?;
    let mut charged = false;
    let mut left_at: Option<DateTime<Utc>> = None;
    for row in rows {
        let state = row.text(0, "transaction_events.charging_state")?;
        if state == "Charging" {
            charged = true;
            left_at = None;
        } else if charged && left_at.is_none() {
            left_at = parse_utc(&row.text(1, "transaction_events.event_at")?);
        }
    }
    Ok(if charged {
        ChargingEnd::Reported(left_at)
    } else {
        ChargingEnd::Inferred
    })
}

#[allow(clippy::too_many_arguments)]
fn end(
    sql: &impl Sql,
    pricing: &impl Pricing,
    now: DateTime<Utc>,
    charge_point_id: &str,
    id: i64,
    event: &Event<'_>,
    token: Option<&TokenAnswer>,
    already_ended: bool,
) -> Result<(), TxError> {
    let Some(tx) = load(sql, charge_point_id, id)? else {
        return Ok(());
    };
    let meter_stop_wh = meter_stop(sql, id, tx.meter_start_wh)?;
    // A late event revising an earlier end keeps that end's time, reason and token.
    let (stopped_at, reason, stop_tag) = if !already_ended {
        (
            event.at,
            event
                .stopped_reason
                .unwrap_or(DEFAULT_STOPPED_REASON)
                .to_owned(),
            event
                .token
                .map(|(t, _)| t.to_owned())
                .filter(|t| !t.is_empty()),
        )
    } else {
        let rows = sql.execute(
            "SELECT stopped_at, stop_reason, stop_id_tag FROM transactions WHERE id = ?",
            &[id.into()],
        )?;
        let Some(row) = rows.first() else {
            return Ok(());
        };
        let Some(at) = row
            .opt_text(0, "transactions.stopped_at")?
            .and_then(|t| parse_utc(&t))
        else {
            return Ok(());
        };
        let reason = row
            .opt_text(1, "transactions.stop_reason")?
            .unwrap_or_else(|| DEFAULT_STOPPED_REASON.to_owned());
        let tag = row.opt_text(2, "transactions.stop_id_tag")?;
        return finish(
            sql,
            pricing,
            now,
            charge_point_id,
            id,
            &tx,
            &StopFacts {
                meter_stop_wh,
                stopped_at: at,
                reason,
                stop_id_tag: tag.as_deref(),
                foreign_stop_tag: None,
                charging_end: charging_end(sql, id)?,
                revises_own_stop: true,
            },
        );
    };
    let foreign = match token {
        Some(TokenAnswer::Later {
            may_stop: false, ..
        }) => stop_tag.clone(),
        _ => None,
    };
    // A stop authorized in an Updated (StopAuthorized) before the Ended that carries none.
    let stop_tag = match stop_tag {
        Some(tag) => Some(tag),
        None => stopping_token(sql, id)?,
    };
    finish(
        sql,
        pricing,
        now,
        charge_point_id,
        id,
        &tx,
        &StopFacts {
            meter_stop_wh,
            stopped_at,
            reason,
            stop_id_tag: stop_tag.as_deref(),
            foreign_stop_tag: foreign.as_deref(),
            charging_end: charging_end(sql, id)?,
            revises_own_stop: false,
        },
    )
}

/// The token of the newest event that carried one after the transaction's first token: the
/// token that stopped it, when the Ended itself carries none.
fn stopping_token(sql: &impl Sql, id: i64) -> Result<Option<String>, TxError> {
    let rows = sql.execute(
        "SELECT id_token FROM transaction_events WHERE transaction_id = ?1 AND id_token IS NOT NULL \
         AND id_token <> '' AND seq_no > (SELECT MIN(seq_no) FROM transaction_events \
         WHERE transaction_id = ?1 AND id_token IS NOT NULL) ORDER BY seq_no DESC, id DESC LIMIT 1",
        &[id.into()],
    )?;
    match rows.first() {
        Some(row) => Ok(row.opt_text(0, "transaction_events.id_token")?),
        None => Ok(None),
    }
}

/// The CDR's total including VAT, as the JSON number `totalCost` is; none when the session
/// could not be priced (no tariff, a pricing error).
fn total_cost(sql: &impl Sql, id: i64) -> Result<Option<Value>, TxError> {
    let rows = sql.execute(
        "SELECT total_incl_vat FROM charge_detail_records WHERE transaction_id = ?",
        &[id.into()],
    )?;
    let Some(text) = rows
        .first()
        .map(|row| row.opt_text(0, "charge_detail_records.total_incl_vat"))
        .transpose()?
        .flatten()
    else {
        return Ok(None);
    };
    Ok(csms_contracts::transactions::total_cost(&text))
}
