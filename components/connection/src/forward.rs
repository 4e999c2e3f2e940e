//! Messages this component does not handle itself go to the authorization
//! and transactions components by Spin service chaining (in-process HTTP to
//! `http://<component>.spin.internal`).

use crate::session::Env;
use crate::HandlerError;
use csms_contracts::authorization::{self, TokenDecision};
use csms_contracts::registration::{Admission, NOT_ACCEPTED};
use csms_contracts::transactions::{Forwarded, ForwardedAnswer, NOT_ADMITTED_STATUS};
use csms_store::{KeyValue, Sql};
use serde_json::{json, Value};

pub const AUTHORIZATION: &str = authorization::BASE_URL;
pub const TRANSACTIONS: &str = csms_contracts::transactions::BASE_URL;

/// An HTTP POST of JSON to another component of the same app.
pub trait Chain {
    /// Returns the answer's status and JSON body.
    fn post_json(&self, url: &str, body: &Value) -> Result<(u16, Value), ForwardError>;
}

#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// The station's registration does not admit the message.
    #[error("{NOT_ACCEPTED}")]
    NotAdmitted,
    #[error("calling {url}: {message}")]
    Transport { url: String, message: String },
    #[error("{url} answered {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
}

fn post_ok(chain: &impl Chain, url: String, body: &Value) -> Result<Value, ForwardError> {
    let (status, answer) = chain.post_json(&url, body)?;
    if status == 200 {
        Ok(answer)
    } else if status == NOT_ADMITTED_STATUS {
        Err(ForwardError::NotAdmitted)
    } else {
        Err(ForwardError::Status {
            url,
            status,
            body: answer.to_string(),
        })
    }
}

/// Authorize, either version: the authorization component decides, through the contract
/// both ends share; each version's adapter writes the decision its own way.
pub fn authorize(
    chain: &impl Chain,
    charge_point_id: &str,
    id_tag: &str,
    token_type: Option<&str>,
) -> Result<TokenDecision, ForwardError> {
    let url = format!("{AUTHORIZATION}/{}", authorization::AUTHORIZE);
    let answer = post_ok(
        chain,
        url.clone(),
        &json!(authorization::AuthorizeRequest {
            charge_point_id: charge_point_id.to_owned(),
            id_tag: id_tag.to_owned(),
            token_type: token_type.map(str::to_owned),
            purpose: authorization::Purpose::Authorize,
            connector_id: None,
            reservation_id: None,
        }),
    )?;
    serde_json::from_value::<authorization::AuthorizeResponse>(answer.clone())
        .map(|a| a.decision)
        .map_err(|e| ForwardError::Status {
            url,
            status: 200,
            body: format!("no valid decision ({e}): {answer}"),
        })
}

/// The transaction messages of both versions: the transactions component checks the
/// registration gate, applies them (idempotently, by message id) and answers, all in its own
/// database connection; the commands it queued are marked for this request's look.
/// `version_path` is [`csms_contracts::transactions::OCPP16_PATH`] or
/// [`csms_contracts::transactions::OCPP201_PATH`].
pub fn transaction_message<S: Sql, K: KeyValue, C: Chain>(
    env: &Env<'_, S, K, C>,
    version_path: &str,
    incoming: &crate::dispatch::Incoming<'_>,
) -> Result<Value, HandlerError> {
    let url = format!("{TRANSACTIONS}/{version_path}/{}", incoming.action);
    let answer = post_ok(
        env.chain,
        url.clone(),
        &json!(Forwarded {
            charge_point_id: incoming.charge_point_id.to_owned(),
            message_id: incoming.message_id.to_owned(),
            payload: incoming.payload.clone(),
            admission: Some(Admission {
                gate: incoming.gate,
                trigger_window_seconds: env.config.command_timeout_seconds,
            }),
        }),
    )?;
    let answer = serde_json::from_value::<ForwardedAnswer>(answer.clone()).map_err(|e| {
        ForwardError::Status {
            url,
            status: 200,
            body: format!("no CALLRESULT payload ({e}): {answer}"),
        }
    })?;
    for &command_id in &answer.queued_commands {
        crate::csms_calls::mark_queued(env, incoming.charge_point_id, command_id);
    }
    Ok(answer.payload)
}
