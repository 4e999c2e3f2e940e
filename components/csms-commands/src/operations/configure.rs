//! Configure a station: ChangeConfiguration (1.6) and SetVariables (2.0.1), one operation.
//!
//! - Either name may be used for either version for the standard keys that exist in both
//!   ([`crate::configuration::KEYS_IN_201`]): one ChangeConfiguration key becomes one
//!   SetVariables entry, and a SetVariables of one such entry becomes a ChangeConfiguration.
//! - An Accepted (or RebootRequired) answer means the station now has the requested value, so
//!   the stored configuration (1.6 keys) or device model (2.0.1 variables) takes it; the
//!   answer, RebootRequired included, stays on the command. A password is the exception
//!   ([`crate::password`]): it is never stored in either.

use csms_store::Sql;
use ocpp_protocol::OcppVersion;
use serde_json::{json, Value};

use super::Resolved;
use crate::configuration::{key_in_201, key_of_entry, store as store_key};
use crate::device_model::{self, Attribute};
use crate::store::Command;
use crate::CommandError;

pub(super) fn prepare(resolved: &Resolved, payload: Value) -> Result<Vec<Value>, String> {
    match (resolved.written_for, resolved.version) {
        (OcppVersion::V16, OcppVersion::V201) => {
            let key = payload
                .get("key")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let value = payload.get("value").and_then(Value::as_str);
            let (Some((component, variable)), Some(value)) = (key_in_201(key), value) else {
                return Err(format!(
                    "ChangeConfiguration for a 2.0.1 station needs a string value and a standard key \
                     with a 2.0.1 counterpart ({key:?} has none); send SetVariables"
                ));
            };
            Ok(vec![json!({"setVariableData": [{
                "component": {"name": component},
                "variable": {"name": variable},
                "attributeValue": value,
            }]})])
        }
        (OcppVersion::V201, OcppVersion::V16) => {
            let entries = payload
                .get("setVariableData")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let [entry] = entries else {
                return Err(
                    "SetVariables for a 1.6 station takes exactly one setVariableData entry".into(),
                );
            };
            let key = key_of_entry(entry, "ChangeConfiguration")?;
            Ok(vec![json!({"key": key, "value": entry["attributeValue"]})])
        }
        _ => Ok(vec![payload]),
    }
}

pub(super) fn apply(
    sql: &impl Sql,
    command: &Command,
    response: &Value,
    now: &str,
) -> Result<(), CommandError> {
    crate::password::answered(sql, command, response)?;
    if command.version() == OcppVersion::V201 {
        return set_variables(sql, command, response, now);
    }
    if crate::password::sets_password(OcppVersion::V16, &command.request) {
        return Ok(());
    }
    let status = response.get("status").and_then(Value::as_str);
    if !matches!(status, Some("Accepted" | "RebootRequired")) {
        return Ok(());
    }
    let (Some(key), Some(value)) = (
        command.request.get("key").and_then(Value::as_str),
        command.request.get("value").and_then(Value::as_str),
    ) else {
        return Ok(());
    };
    store_key(sql, &command.charge_point_id, key, Some(value), None, now)
}

/// Each accepted `setVariableResult` gives its variable the value the request set.
fn set_variables(
    sql: &impl Sql,
    command: &Command,
    response: &Value,
    now: &str,
) -> Result<(), CommandError> {
    let list = |v: &Value, key: &str| {
        v.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let requested = list(&command.request, "setVariableData");
    for result in list(response, "setVariableResult") {
        let status = result.get("attributeStatus").and_then(Value::as_str);
        if !matches!(status, Some("Accepted" | "RebootRequired")) {
            continue;
        }
        let attribute_type = result.get("attributeType").and_then(Value::as_str);
        let mut attribute =
            Attribute::named(&result["component"], &result["variable"], attribute_type);
        // Both are bare names (no value yet), so equal means the same attribute.
        let asked = requested.iter().find(|r| {
            let attribute_type = r.get("attributeType").and_then(Value::as_str);
            Attribute::named(&r["component"], &r["variable"], attribute_type) == attribute
        });
        let Some(asked) = asked else {
            continue;
        };
        // A password is write-only: the device model never holds it.
        let entry = json!({"setVariableData": [asked]});
        if crate::password::sets_password(OcppVersion::V201, &entry) {
            continue;
        }
        let Some(value) = asked["attributeValue"].as_str() else {
            continue;
        };
        attribute.value = Some(value.to_owned());
        device_model::store(
            sql,
            &command.charge_point_id,
            &attribute,
            "SetVariables",
            now,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::answer::on_result;
    use crate::delivery::claim_next;
    use crate::operations::{stored, StoredKey};
    use crate::store::insert;
    use crate::test_support::{at, db};
    use ocpp_protocol::CallResult;
    use serde_json::json;

    fn change(status: &str, value: &str) -> Vec<StoredKey> {
        let db = db();
        let now = at("2026-11-23T20:00:00Z");
        for (value, status) in [("60", "Accepted"), (value, status)] {
            insert(
                &db.sql,
                "CP1",
                ocpp_protocol::OcppVersion::V16,
                "ChangeConfiguration",
                &json!({"key":"HeartbeatInterval","value":value}),
                now,
            )
            .unwrap();
            let call = claim_next(&db.sql, "CP1", now).unwrap().unwrap();
            let result = CallResult {
                message_id: call.message_id,
                payload: json!({ "status": status }),
            };
            on_result(&db.sql, "CP1", &result, now).unwrap();
        }
        stored(&db.sql, "CP1")
    }

    #[test]
    fn accepted_or_reboot_required_updates_the_stored_value() {
        for status in ["Accepted", "RebootRequired"] {
            assert_eq!(
                change(status, "900"),
                vec![StoredKey {
                    key: "HeartbeatInterval".into(),
                    value: Some("900".into()),
                    readonly: None
                }]
            );
        }
    }

    #[test]
    fn rejected_or_not_supported_leaves_it() {
        for status in ["Rejected", "NotSupported"] {
            assert_eq!(change(status, "900")[0].value.as_deref(), Some("60"));
        }
    }
}

#[cfg(test)]
mod set_variables_tests {
    use crate::operations::answered_as;
    use crate::test_support::{at, db};
    use csms_store::Sql;
    use ocpp_protocol::OcppVersion;
    use serde_json::json;

    #[test]
    fn accepted_and_reboot_required_variables_take_the_value_and_rejected_ones_do_not() {
        let db = db();
        let entry = |variable: &str, value: &str| json!({"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": variable}, "attributeValue": value});
        let result = |variable: &str, status: &str| json!({"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": variable}, "attributeStatus": status});
        answered_as(
            &db,
            OcppVersion::V201,
            "SetVariables",
            json!({"setVariableData": [entry("HeartbeatInterval", "120"), entry("ResetRetries", "3"),
                                       entry("WebSocketPingInterval", "5")]}),
            json!({"setVariableResult": [result("HeartbeatInterval", "Accepted"),
                                         result("ResetRetries", "RebootRequired"),
                                         result("WebSocketPingInterval", "Rejected")]}),
            at("2026-11-23T20:00:00Z"),
        );
        let rows = db
            .sql
            .execute(
                "SELECT variable, value, source FROM device_model WHERE charge_point_id = 'CP1' ORDER BY variable",
                &[],
            )
            .unwrap();
        let stored: Vec<(String, String, String)> = rows
            .iter()
            .map(|r| {
                (
                    r.text(0, "").unwrap(),
                    r.text(1, "").unwrap(),
                    r.text(2, "").unwrap(),
                )
            })
            .collect();
        assert_eq!(
            stored,
            vec![
                (
                    "HeartbeatInterval".into(),
                    "120".into(),
                    "SetVariables".into()
                ),
                ("ResetRetries".into(), "3".into(), "SetVariables".into()),
            ]
        );
    }
}
