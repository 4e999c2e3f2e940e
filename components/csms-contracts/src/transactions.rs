//! The transactions component's contract: the station messages the connection component
//! forwards, and the operator's close the api component asks for.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where the transactions component answers (service chaining).
pub const BASE_URL: &str = "http://transactions.spin.internal";
/// `POST {BASE_URL}/{version path}/{Action}`, one path segment per OCPP version.
pub const OCPP16_PATH: &str = "ocpp16";
pub const OCPP201_PATH: &str = "ocpp201";
/// `POST {BASE_URL}/operator/close`.
pub const OPERATOR_CLOSE: &str = "/operator/close";

/// The body of a forwarded station message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forwarded {
    pub charge_point_id: String,
    /// The OCPP-J message id: with the charge point, what makes a retransmission.
    pub message_id: String,
    /// The CALL payload, validated against the action's schema of its version.
    pub payload: Value,
}

/// The answer to a forwarded message once its effect is committed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForwardedAnswer {
    /// The CALLRESULT payload.
    pub payload: Value,
}

/// The body of `POST /operator/close`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseRequest {
    pub transaction_id: i64,
    pub closed_by: String,
}
