//! SendLocalList: an `Accepted` answer means the charge point now holds the list the request
//! carried (built by the central system or given by the operator), so its version and entries
//! are recorded. Failed, NotSupported and VersionMismatch change nothing on the charge point.

use csms_store::Sql;
use serde_json::Value;

use crate::local_list::accepted;
use crate::store::Command;
use crate::CommandError;

pub(super) fn apply(
    sql: &impl Sql,
    command: &Command,
    response: &Value,
    now: &str,
) -> Result<(), CommandError> {
    if response.get("status").and_then(Value::as_str) != Some("Accepted") {
        return Ok(());
    }
    accepted(
        sql,
        &command.charge_point_id,
        command.id,
        &command.request,
        now,
    )
}
