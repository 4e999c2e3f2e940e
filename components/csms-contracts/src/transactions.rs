//! The transactions component's contract: the station messages the connection component
//! forwards, and the operator's close the api component asks for.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::registration::Admission;

/// Where the transactions component answers (service chaining).
pub const BASE_URL: &str = "http://transactions.spin.internal";
/// `POST {BASE_URL}/{version path}/{Action}`, one path segment per OCPP version.
pub const OCPP16_PATH: &str = "ocpp16";
pub const OCPP201_PATH: &str = "ocpp201";
/// `POST {BASE_URL}/operator/close`.
pub const OPERATOR_CLOSE: &str = "/operator/close";
/// `POST {BASE_URL}/operator/running-cost` with a [`RunningCostRequest`].
pub const OPERATOR_RUNNING_COST: &str = "/operator/running-cost";

/// The body of a forwarded station message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forwarded {
    pub charge_point_id: String,
    /// The OCPP-J message id: with the charge point, what makes a retransmission.
    pub message_id: String,
    /// The CALL payload, validated against the action's schema of its version.
    pub payload: Value,
    /// The registration states that may send it, checked by the transactions component in
    /// its own database connection, so that the connection component opens none for it.
    /// Refused: `403` with [`crate::registration::NOT_ACCEPTED`]. `None`: not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admission: Option<Admission>,
}

/// The answer to a forwarded message once its effect is committed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForwardedAnswer {
    /// The CALLRESULT payload.
    pub payload: Value,
    /// Commands the message queued for the station (a 2.0.1 CostUpdated), committed with it:
    /// the connection component marks them (`csms_commands::queue_marker`) and sends the
    /// first in the same GRIP answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queued_commands: Vec<i64>,
}

/// The status of a forwarded message its station's registration does not admit.
pub const NOT_ADMITTED_STATUS: u16 = 403;

/// The body of `POST /operator/close`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseRequest {
    pub transaction_id: i64,
    pub closed_by: String,
}

/// The body of `POST /operator/running-cost`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunningCostRequest {
    pub transaction_id: i64,
}

/// The running cost of an open transaction: priced as if it ended at its newest energy
/// register sample (`as_of`); `pricing_error` instead of a total when it cannot be priced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunningCost {
    pub transaction_id: i64,
    pub as_of: String,
    pub energy_wh: i64,
    pub currency: Option<String>,
    /// A decimal, as text.
    pub total_incl_vat: Option<String>,
    pub pricing_error: Option<String>,
}

/// A priced total (a decimal, as text) as the JSON number OCPP 2.0.1's `totalCost` is; `None`
/// when the text is not a number.
pub fn total_cost(total: &str) -> Option<Value> {
    // A decimal with a few places: its shortest f64 form prints the same digits.
    total.parse::<f64>().ok().map(Value::from)
}
