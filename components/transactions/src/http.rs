//! The private HTTP contract, reached by Spin service chaining from the connection component
//! (`http://transactions.spin.internal/...`). All bodies are JSON.
//!
//! `POST /ocpp16/StartTransaction`, `/ocpp16/StopTransaction`, `/ocpp16/MeterValues`,
//! `/ocpp201/TransactionEvent`, `/ocpp201/MeterValues` with
//! `{"charge_point_id": "...", "message_id": "...", "payload": <the CALL payload>}`
//! -> 200 `{"payload": <the CALLRESULT payload>}` once the effect is committed. Otherwise
//! `{"error": "..."}` with 400 (not JSON, or a payload that does not fit the action's schema),
//! 403 (the station's registration does not admit it, by the `admission` the caller sent),
//! 404 (unknown path), 405 (not POST), 500 (store), 502 (authorization component unavailable)
//! or 503 (retry); nothing is committed then, and the charge point's retry is safe. The answer
//! lists the commands the message queued (`queued_commands`).
//!
//! `POST /operator/close` with `{"transaction_id": 7, "closed_by": "operator"}`, from the api
//! component: closes a transaction the charge point never stopped ([`operator_close`]) -> 200
//! with what was decided, 404 (no such transaction), 409 (already stopped).

use csms_store::Sql;
use ocpp_protocol::messages::decode_request;
use ocpp_protocol::ocpp_types::{self, validate::Validate};
use ocpp_protocol::OcppVersion;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use crate::ocpp16::{meter_values, start_transaction, stop_transaction};
use crate::{ocpp201, operator_close, running_cost, Authorizer, Env, Pricing, TxError};

/// The OCPP 1.6 actions this component applies: the 1.6 routing table.
pub const ACTIONS_16: &[&str] = &[
    start_transaction::ACTION,
    stop_transaction::ACTION,
    meter_values::ACTION,
];

/// The OCPP 2.0.1 actions this component applies: the 2.0.1 routing table.
pub const ACTIONS_201: &[&str] = &[
    ocpp201::transaction_event::ACTION,
    ocpp201::meter_values::ACTION,
];

/// Each version's path segment and routing table.
const VERSIONS: &[(&str, &[&str])] = &[(OCPP16_PATH, ACTIONS_16), (OCPP201_PATH, ACTIONS_201)];

/// An HTTP answer: status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    fn error(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({ "error": message.into() }),
        }
    }
}

use csms_commands::registration_gate;
use csms_contracts::registration::NOT_ACCEPTED;
use csms_contracts::transactions::{
    CloseRequest, Forwarded, ForwardedAnswer, RunningCostRequest, NOT_ADMITTED_STATUS, OCPP16_PATH,
    OCPP201_PATH,
};
pub use csms_contracts::transactions::{OPERATOR_CLOSE, OPERATOR_RUNNING_COST};
use csms_store::processed_messages;

/// Routes one request: `path` ends in `/ocpp16/<Action>` or is [`OPERATOR_CLOSE`].
pub fn handle<S: Sql, A: Authorizer, P: Pricing>(
    env: &Env<'_, S, A, P>,
    method: &str,
    path: &str,
    body: &[u8],
) -> Answer {
    if path.trim_end_matches('/').ends_with(OPERATOR_CLOSE) {
        return close(env, method, body);
    }
    if path.trim_end_matches('/').ends_with(OPERATOR_RUNNING_COST) {
        return running_cost(env, method, body);
    }
    let mut segments = path.trim_end_matches('/').rsplit('/');
    let action = segments.next().unwrap_or("");
    let version = segments.next().unwrap_or("");
    let routed = VERSIONS
        .iter()
        .any(|(segment, actions)| *segment == version && actions.contains(&action));
    if !routed {
        return Answer::error(
            404,
            format!(
                "no endpoint {path}; use POST /ocpp16/<{}> or /ocpp201/<{}>",
                ACTIONS_16.join("|"),
                ACTIONS_201.join("|")
            ),
        );
    }
    if !method.eq_ignore_ascii_case("POST") {
        return Answer::error(405, format!("{method} {path}: only POST is allowed"));
    }
    let forwarded: Forwarded = match serde_json::from_slice(body) {
        Ok(f) => f,
        Err(e) => {
            return Answer::error(
                400,
                format!("invalid JSON body for /{version}/{action}: {e}"),
            )
        }
    };
    if forwarded.charge_point_id.is_empty() || forwarded.message_id.is_empty() {
        return Answer::error(
            400,
            format!("/{version}/{action}: charge_point_id and message_id must not be empty"),
        );
    }
    let context = format!(
        "{action} message {:?} of charge point {:?}",
        forwarded.message_id, forwarded.charge_point_id
    );
    if let Some(refused) = not_admitted(env, action, &forwarded) {
        return refused;
    }
    let applied = if version == OCPP201_PATH {
        apply_201(env, action, &forwarded)
    } else {
        apply_16(env, action, &forwarded)
    };
    match applied {
        Ok(payload) => Answer {
            status: 200,
            body: json!(ForwardedAnswer {
                payload,
                queued_commands: env.queued_commands.take(),
            }),
        },
        Err(e) => Answer::error(e.status(), format!("{context}: {e}")),
    }
}

/// The answer to a message its station's registration does not admit: the recorded answer
/// when it is a retransmission of one applied before, else a refusal.
fn not_admitted<S: Sql, A, P>(
    env: &Env<'_, S, A, P>,
    action: &str,
    f: &Forwarded,
) -> Option<Answer> {
    let admission = f.admission?;
    let cp = f.charge_point_id.as_str();
    let admitted = registration_gate::admits(
        env.sql,
        cp,
        action,
        admission.gate,
        env.now,
        admission.trigger_window_seconds,
    );
    match admitted {
        Ok(true) => None,
        Ok(false) => Some(
            match processed_messages::lookup(env.sql, cp, &f.message_id, action, &f.payload) {
                Ok(Some(payload)) => Answer {
                    status: 200,
                    body: json!(ForwardedAnswer {
                        payload,
                        queued_commands: Vec::new(),
                    }),
                },
                Ok(None) => Answer::error(NOT_ADMITTED_STATUS, NOT_ACCEPTED),
                Err(e) => Answer::error(500, format!("checking for a retransmission: {e}")),
            },
        ),
        Err(e) => Some(Answer::error(500, format!("reading the registry: {e}"))),
    }
}

/// The JSON body of a `POST` to one of the operator endpoints; the answer refusing it
/// otherwise.
fn operator_request<T: DeserializeOwned>(
    endpoint: &str,
    method: &str,
    body: &[u8],
) -> Result<T, Answer> {
    if !method.eq_ignore_ascii_case("POST") {
        return Err(Answer::error(
            405,
            format!("{method} {endpoint}: only POST is allowed"),
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| Answer::error(400, format!("invalid JSON body for {endpoint}: {e}")))
}

fn close<S: Sql, A: Authorizer, P: Pricing>(
    env: &Env<'_, S, A, P>,
    method: &str,
    body: &[u8],
) -> Answer {
    let request: CloseRequest = match operator_request(OPERATOR_CLOSE, method, body) {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    if request.closed_by.trim().is_empty() {
        return Answer::error(400, "closed_by must name who closes the transaction");
    }
    match operator_close::close(
        env.sql,
        env.pricing,
        request.transaction_id,
        &request.closed_by,
        env.now,
    ) {
        Ok(closed) => Answer {
            status: 200,
            body: json!(closed),
        },
        Err(e) => Answer::error(
            e.status(),
            format!("closing transaction {}: {e}", request.transaction_id),
        ),
    }
}

fn running_cost<S: Sql, A: Authorizer, P: Pricing>(
    env: &Env<'_, S, A, P>,
    method: &str,
    body: &[u8],
) -> Answer {
    let request: RunningCostRequest = match operator_request(OPERATOR_RUNNING_COST, method, body) {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    match running_cost::quote(env.sql, env.pricing, request.transaction_id) {
        Ok(cost) => Answer {
            status: 200,
            body: json!(cost),
        },
        Err(e) => Answer::error(
            e.status(),
            format!(
                "the running cost of transaction {}: {e}",
                request.transaction_id
            ),
        ),
    }
}

/// Decodes and validates one action's payload; only the decoders of the actions routed
/// here are linked into the component.
fn decoded<T>(version: OcppVersion, payload: &Value) -> Result<T, TxError>
where
    T: ocpp_types::Action + DeserializeOwned + Serialize + Validate,
{
    decode_request::<T>(version, payload).map_err(|e| TxError::BadRequest(format!("payload: {e}")))
}

fn apply_16<S: Sql, A: Authorizer, P: Pricing>(
    env: &Env<'_, S, A, P>,
    action: &str,
    f: &Forwarded,
) -> Result<Value, TxError> {
    use ocpp_types::v16;
    let (cp, id, p) = (
        f.charge_point_id.as_str(),
        f.message_id.as_str(),
        &f.payload,
    );
    let v = OcppVersion::V16;
    match action {
        start_transaction::ACTION => {
            let r: v16::StartTransactionRequest = decoded(v, p)?;
            start_transaction::handle(env, cp, id, &r, p)
        }
        stop_transaction::ACTION => {
            let r: v16::StopTransactionRequest = decoded(v, p)?;
            stop_transaction::handle(env, cp, id, &r, p)
        }
        meter_values::ACTION => {
            let r: v16::MeterValuesRequest = decoded(v, p)?;
            meter_values::handle(env, cp, id, &r, p)
        }
        other => Err(TxError::BadRequest(format!("{other} is not applied here"))),
    }
}

fn apply_201<S: Sql, A: Authorizer, P: Pricing>(
    env: &Env<'_, S, A, P>,
    action: &str,
    f: &Forwarded,
) -> Result<Value, TxError> {
    use ocpp_types::v201;
    type Custom = v201::common::CustomData;
    let (cp, id, p) = (
        f.charge_point_id.as_str(),
        f.message_id.as_str(),
        &f.payload,
    );
    let v = OcppVersion::V201;
    match action {
        ocpp201::transaction_event::ACTION => {
            decoded::<v201::TransactionEventRequest<Custom>>(v, p)?;
            ocpp201::transaction_event::handle(env, cp, id, p)
        }
        ocpp201::meter_values::ACTION => {
            decoded::<v201::MeterValuesRequest<Custom>>(v, p)?;
            ocpp201::meter_values::handle(env, cp, id, p)
        }
        other => Err(TxError::BadRequest(format!(
            "2.0.1 {other} is not applied here"
        ))),
    }
}
