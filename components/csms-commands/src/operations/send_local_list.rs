//! SendLocalList: an `Accepted` answer means the charge point now holds the list the request
//! carried (built by the central system or given by the operator), so its version and entries
//! are recorded. Failed and NotSupported change nothing on the charge point; VersionMismatch
//! proves the record wrong, so it is cleared ([`crate::local_list::mismatched`]).

//!
//! The operator may give only `{"updateType": ...}` (1.6): the list is then built from the
//! registry when the command is sent ([`complete`]). A 2.0.1 list (`versionNumber`, `idToken`
//! objects) is recorded in the same form as a 1.6 one, so both versions share one record.

use csms_store::Sql;
use ocpp_protocol::OcppVersion;
use serde_json::{json, Map, Value};

use super::text_at;
use crate::local_list::{self, accepted, mismatched};
use crate::store::Command;
use crate::CommandError;

pub(super) fn complete(
    sql: &impl Sql,
    command: &Command,
) -> Result<Result<Value, String>, CommandError> {
    if local_list::to_build(&command.request) == Ok(true) {
        return local_list::build(
            sql,
            &command.charge_point_id,
            command.version(),
            &command.request,
        );
    }
    Ok(Ok(command.request.clone()))
}

/// A 2.0.1 SendLocalList request in the 1.6 form the record reads.
fn as_16(request: &Value) -> Value {
    let text = |v: &Value, path: &[&str]| text_at(v, path).map(str::to_owned);
    let items: Vec<Value> = request
        .get("localAuthorizationList")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|item| {
            let mut entry = Map::new();
            entry.insert("idTag".into(), text(item, &["idToken", "idToken"]).into());
            if let Some(info) = item.get("idTokenInfo") {
                let mut tag_info = Map::new();
                tag_info.insert("status".into(), text(info, &["status"]).into());
                if let Some(expiry) = text(info, &["cacheExpiryDateTime"]) {
                    tag_info.insert("expiryDate".into(), expiry.into());
                }
                if let Some(group) = text(info, &["groupIdToken", "idToken"]) {
                    tag_info.insert("parentIdTag".into(), group.into());
                }
                entry.insert("idTagInfo".into(), tag_info.into());
            }
            Value::Object(entry)
        })
        .collect();
    json!({
        "listVersion": request.get("versionNumber"),
        "updateType": request.get("updateType"),
        "localAuthorizationList": items,
    })
}

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
    let request = match command.version() {
        OcppVersion::V16 => command.request.clone(),
        OcppVersion::V201 => as_16(&command.request),
    };
    accepted(sql, &command.charge_point_id, command.id, &request, now)
}
