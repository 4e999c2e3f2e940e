//! Stop a session remotely: RemoteStopTransaction (1.6) and RequestStopTransaction (2.0.1),
//! one operation. Either name may be used for either version, and the transaction may be
//! named by the API's transaction id (a JSON number, as a 1.6 `transactionId` is) or by the
//! station's own id (a JSON string, as a 2.0.1 `transactionId` is). A 1.6 station's own id is
//! the API's, so a number to a 1.6 station goes as it is.

use csms_store::Sql;
use ocpp_protocol::OcppVersion;
use serde_json::{json, Value};

use super::Resolved;
use crate::CommandError;

pub(super) fn prepare(
    sql: &impl Sql,
    charge_point_id: &str,
    resolved: &Resolved,
    payload: Value,
) -> Result<Result<Vec<Value>, String>, CommandError> {
    let named = &payload["transactionId"];
    let request = match (resolved.version, named) {
        (OcppVersion::V16, Value::String(own)) => match own.parse::<i64>() {
            Ok(id) => json!({ "transactionId": id }),
            Err(_) => {
                return Ok(Err(format!(
                    "transactionId {own:?}: a 1.6 station's transaction ids are integers"
                )))
            }
        },
        (OcppVersion::V201, Value::Number(number)) => {
            let Some(id) = number.as_i64() else {
                return Ok(Err(format!(
                    "transactionId {number} is not a transaction id"
                )));
            };
            let rows = sql.execute(
                "SELECT station_transaction_id FROM transactions WHERE id = ? AND charge_point_id = ?",
                &[id.into(), charge_point_id.into()],
            )?;
            let own = match rows.first() {
                Some(row) => row.opt_text(0, "transactions.station_transaction_id")?,
                None => None,
            };
            match own {
                Some(own) => json!({ "transactionId": own }),
                None => {
                    return Ok(Err(format!(
                        "charge point {charge_point_id:?} has no transaction {id}"
                    )))
                }
            }
        }
        _ => payload,
    };
    Ok(Ok(vec![request]))
}
