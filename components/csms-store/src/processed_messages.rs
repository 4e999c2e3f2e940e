//! Retransmitted CALLs (same message id from the same charge point) get the answer they got
//! the first time, and nothing is applied twice.
//!
//! The answer is recorded in `processed_messages` inside the SQL transaction that applies the
//! message, so "applied" and "answered" can never disagree. A message id reused for another
//! action is a new message (ids are only unique per action in practice when counters wrap).

use crate::{Sql, StoreError};
use serde_json::Value;

/// The answer already given to this message, if it was processed.
pub fn lookup(
    sql: &impl Sql,
    charge_point_id: &str,
    message_id: &str,
    action: &str,
) -> Result<Option<Value>, StoreError> {
    let rows = sql.execute(
        "SELECT action, response FROM processed_messages WHERE charge_point_id = ? AND message_id = ?",
        &[charge_point_id.into(), message_id.into()],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    if row.text(0, "processed_messages.action")? != action {
        return Ok(None);
    }
    let response = row.text(1, "processed_messages.response")?;
    serde_json::from_str(&response).map(Some).map_err(|e| {
        StoreError::Sql(format!(
            "processed_messages.response of {message_id:?} is not JSON: {e}"
        ))
    })
}

/// Records the answer to a message; call inside the transaction that applies it.
pub fn record(
    sql: &impl Sql,
    charge_point_id: &str,
    message_id: &str,
    action: &str,
    response: &Value,
    now: &str,
) -> Result<(), StoreError> {
    sql.execute(
        "INSERT INTO processed_messages (charge_point_id, message_id, action, response, processed_at) \
         VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT(charge_point_id, message_id) DO UPDATE SET action = excluded.action, \
         response = excluded.response, processed_at = excluded.processed_at",
        &[
            charge_point_id.into(),
            message_id.into(),
            action.into(),
            response.to_string().into(),
            now.into(),
        ],
    )?;
    Ok(())
}
