//! SendLocalList: an `Accepted` answer means the charge point now holds the list the request
//! carried (built by the central system or given by the operator), so its version and entries
//! are recorded. Failed and NotSupported change nothing on the charge point; VersionMismatch
//! proves the record wrong, so it is cleared ([`crate::local_list::mismatched`]).

use csms_store::Sql;
use serde_json::Value;

use crate::local_list::{accepted, mismatched};
use crate::store::Command;
use crate::CommandError;

pub(super) fn apply(
    sql: &impl Sql,
    command: &Command,
    response: &Value,
    now: &str,
) -> Result<(), CommandError> {
    match response.get("status").and_then(Value::as_str) {
        Some("Accepted") => {}
        Some("VersionMismatch") => return mismatched(sql, &command.charge_point_id),
        _ => return Ok(()),
    }
    accepted(
        sql,
        &command.charge_point_id,
        command.id,
        &command.request,
        now,
    )
}
