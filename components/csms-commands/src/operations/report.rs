//! GetBaseReport and GetReport: the station answers Accepted and then sends the report in
//! NotifyReport parts carrying the request's `requestId` (stored by the connection component
//! in `device_model_reports`). A command's [`progress`] is that report as received so far.

use csms_store::Sql;
use serde::Serialize;
use serde_json::Value;

use crate::store::Command;
use crate::CommandError;

/// A report as received so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub request_id: i64,
    /// Parts received.
    pub parts: i64,
    /// Attributes received in all parts.
    pub entries: i64,
    /// The part with `tbc = false` arrived.
    pub complete: bool,
}

/// The report a GetBaseReport / GetReport command asked for, once parts of it arrived.
pub fn progress(sql: &impl Sql, command: &Command) -> Result<Option<Progress>, CommandError> {
    if super::of(command).map(|o| o.unit) != Some(super::Unit::Report) {
        return Ok(None);
    }
    let Some(request_id) = command.request.get("requestId").and_then(Value::as_i64) else {
        return Ok(None);
    };
    let rows = sql.execute(
        "SELECT parts, entries, complete FROM device_model_reports \
         WHERE charge_point_id = ? AND request_id = ?",
        &[command.charge_point_id.as_str().into(), request_id.into()],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    const CTX: &str = "device_model_reports";
    Ok(Some(Progress {
        request_id,
        parts: row.i64(0, CTX)?,
        entries: row.i64(1, CTX)?,
        complete: row.i64(2, CTX)? != 0,
    }))
}
