//! Retransmitted CALLs (same message id from the same charge point) get the
//! answer they got the first time, and nothing is applied twice.
//!
//! The answer is recorded in the same SQL transaction as the message's
//! effect, so "applied" and "recorded" can never disagree.

use csms_store::{Sql, StoreError};
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
    // A different action under a reused id is a new message, not a retry.
    if row.text(0, "processed_messages.action")? != action {
        return Ok(None);
    }
    Ok(serde_json::from_str(&row.text(1, "processed_messages.response")?).ok())
}

/// Records the answer to a message; call inside the transaction applying it.
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
