//! Messages this component does not handle itself go to the authorization
//! and transactions components by Spin service chaining (in-process HTTP to
//! `http://<component>.spin.internal`).

use serde_json::{json, Value};

pub const AUTHORIZATION: &str = "http://authorization.spin.internal";
pub const TRANSACTIONS: &str = "http://transactions.spin.internal";

/// An HTTP POST of JSON to another component of the same app.
pub trait Chain {
    /// Returns the answer's status and JSON body.
    fn post_json(&self, url: &str, body: &Value) -> Result<(u16, Value), ForwardError>;
}

#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
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
    } else {
        Err(ForwardError::Status {
            url,
            status,
            body: answer.to_string(),
        })
    }
}

/// Authorize: the authorization component decides; its idTagInfo is the answer.
pub fn authorize(
    chain: &impl Chain,
    charge_point_id: &str,
    payload: &Value,
) -> Result<Value, ForwardError> {
    let answer = post_ok(
        chain,
        format!("{AUTHORIZATION}/authorize"),
        &json!({"charge_point_id": charge_point_id, "id_tag": payload["idTag"], "purpose": "authorize"}),
    )?;
    Ok(json!({"idTagInfo": answer["idTagInfo"]}))
}

/// StartTransaction, StopTransaction and MeterValues: the transactions
/// component applies them (idempotently, by message id) and answers.
pub fn transaction_message(
    chain: &impl Chain,
    action: &str,
    charge_point_id: &str,
    message_id: &str,
    payload: &Value,
) -> Result<Value, ForwardError> {
    let answer = post_ok(
        chain,
        format!("{TRANSACTIONS}/ocpp16/{action}"),
        &json!({"charge_point_id": charge_point_id, "message_id": message_id, "payload": payload}),
    )?;
    Ok(answer["payload"].clone())
}
