//! GetLocalListVersion: the version the charge point reports is recorded; a Differential
//! SendLocalList is only built when it matches the version last accepted.

use csms_store::Sql;
use serde_json::Value;

use crate::local_list::reported;
use crate::store::Command;
use crate::CommandError;

pub(super) fn apply(
    sql: &impl Sql,
    command: &Command,
    response: &Value,
    now: &str,
) -> Result<(), CommandError> {
    // 1.6 calls it listVersion, 2.0.1 versionNumber.
    let version = response
        .get("listVersion")
        .or_else(|| response.get("versionNumber"));
    match version.and_then(Value::as_i64) {
        Some(version) => reported(sql, &command.charge_point_id, version, now),
        None => Ok(()),
    }
}
