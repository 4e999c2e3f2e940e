//! Read a station's configuration: GetConfiguration (1.6) and GetVariables (2.0.1), one
//! operation. Either name may be used for either version for the standard keys that exist in
//! both ([`crate::configuration::KEYS_IN_201`]). Every reported key is stored with its value
//! and readonly flag (1.6), every accepted variable in the device model (2.0.1).

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
            let keys = payload
                .get("key")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            if keys.is_empty() {
                return Err(
                    "GetConfiguration without keys has no 2.0.1 counterpart; send GetBaseReport"
                        .into(),
                );
            }
            let mut data = Vec::new();
            for key in keys {
                let key = key.as_str().unwrap_or_default();
                let (component, variable) = key_in_201(key).ok_or_else(|| {
                    format!("{key:?} has no 2.0.1 counterpart; send GetVariables")
                })?;
                data.push(
                    json!({"component": {"name": component}, "variable": {"name": variable}}),
                );
            }
            Ok(vec![json!({ "getVariableData": data })])
        }
        (OcppVersion::V201, OcppVersion::V16) => {
            let entries = payload
                .get("getVariableData")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let mut keys = Vec::new();
            for entry in entries {
                keys.push(key_of_entry(entry, "GetConfiguration")?);
            }
            Ok(vec![json!({ "key": keys })])
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
    if command.version() == OcppVersion::V201 {
        return get_variables(sql, command, response, now);
    }
    let keys = response
        .get("configurationKey")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for entry in keys {
        let Some(key) = entry.get("key").and_then(Value::as_str) else {
            continue;
        };
        store_key(
            sql,
            &command.charge_point_id,
            key,
            entry.get("value").and_then(Value::as_str),
            entry.get("readonly").and_then(Value::as_bool),
            now,
        )?;
    }
    Ok(())
}

/// Each `getVariableResult` the station answered Accepted is stored with its value.
fn get_variables(
    sql: &impl Sql,
    command: &Command,
    response: &Value,
    now: &str,
) -> Result<(), CommandError> {
    let results = response
        .get("getVariableResult")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for result in results {
        if result.get("attributeStatus").and_then(Value::as_str) != Some("Accepted") {
            continue;
        }
        let attribute_type = result.get("attributeType").and_then(Value::as_str);
        let mut attribute =
            Attribute::named(&result["component"], &result["variable"], attribute_type);
        attribute.value = result
            .get("attributeValue")
            .and_then(Value::as_str)
            .map(str::to_owned);
        device_model::store(
            sql,
            &command.charge_point_id,
            &attribute,
            "GetVariables",
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

    #[test]
    fn reported_keys_are_stored_with_value_and_readonly() {
        let db = db();
        let now = at("2026-11-23T20:00:00Z");
        insert(
            &db.sql,
            "CP1",
            ocpp_protocol::OcppVersion::V16,
            "GetConfiguration",
            &json!({}),
            now,
        )
        .unwrap();
        let call = claim_next(&db.sql, "CP1", now).unwrap().unwrap();
        let result = CallResult {
            message_id: call.message_id,
            payload: json!({
                "configurationKey": [
                    {"key": "HeartbeatInterval", "readonly": false, "value": "300"},
                    {"key": "NumberOfConnectors", "readonly": true, "value": "2"},
                    {"key": "Secret", "readonly": true}
                ],
                "unknownKey": ["Nope"]
            }),
        };
        on_result(&db.sql, "CP1", &result, now).unwrap();
        let key = |k: &str, v: Option<&str>, r| StoredKey {
            key: k.into(),
            value: v.map(Into::into),
            readonly: Some(r),
        };
        assert_eq!(
            stored(&db.sql, "CP1"),
            vec![
                key("HeartbeatInterval", Some("300"), false),
                key("NumberOfConnectors", Some("2"), true),
                key("Secret", None, true),
            ]
        );
    }
}

#[cfg(test)]
mod get_variables_tests {
    use crate::operations::{answered_as, prepare, resolve};
    use crate::test_support::{at, db};
    use csms_store::Sql;
    use ocpp_protocol::OcppVersion;
    use serde_json::json;

    #[test]
    fn accepted_results_are_stored_in_the_device_model_with_their_place() {
        let db = db();
        answered_as(
            &db,
            OcppVersion::V201,
            "GetVariables",
            json!({"getVariableData": [{"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"}, "attributeType": "MaxSet"}]}),
            json!({"getVariableResult": [
                {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"},
                 "attributeType": "MaxSet", "attributeStatus": "Accepted", "attributeValue": "22000"},
                {"component": {"name": "Nope"}, "variable": {"name": "X"}, "attributeStatus": "UnknownComponent"}]}),
            at("2026-11-23T20:00:00Z"),
        );
        let rows = db
            .sql
            .execute(
                "SELECT component, evse_id, variable, attribute_type, value FROM device_model",
                &[],
            )
            .unwrap();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(
            (
                row.text(0, "").unwrap(),
                row.i64(1, "").unwrap(),
                row.text(2, "").unwrap(),
                row.text(3, "").unwrap(),
                row.text(4, "").unwrap()
            ),
            (
                "EVSE".into(),
                1,
                "Power".into(),
                "MaxSet".into(),
                "22000".into()
            )
        );
    }

    #[test]
    fn get_configuration_keys_become_get_variables_for_a_201_station_and_back() {
        let db = db();
        let to_201 = resolve(OcppVersion::V201, "GetConfiguration").unwrap();
        let prepared = prepare(
            &db.sql,
            "CP1",
            &to_201,
            json!({"key": ["HeartbeatInterval"]}),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            prepared.requests,
            vec![
                json!({"getVariableData": [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]})
            ]
        );
        let unknown = prepare(&db.sql, "CP1", &to_201, json!({"key": ["VendorKey"]}))
            .unwrap()
            .unwrap_err();
        assert!(unknown.contains("VendorKey"), "{unknown}");
        let to_16 = resolve(OcppVersion::V16, "GetVariables").unwrap();
        let prepared = prepare(
            &db.sql,
            "CP1",
            &to_16,
            json!({"getVariableData": [{"component": {"name": "SampledDataCtrlr"}, "variable": {"name": "TxUpdatedInterval"}}]}),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            prepared.requests,
            vec![json!({"key": ["MeterValueSampleInterval"]})]
        );
    }
}

#[cfg(test)]
mod split_tests {
    use crate::device_model::{store, Attribute};
    use crate::operations::{prepare, resolve};
    use crate::test_support::db;
    use ocpp_protocol::OcppVersion;
    use serde_json::json;

    #[test]
    fn a_get_variables_beyond_the_stations_items_per_message_is_split() {
        let db = db();
        let entry =
            |n: i64| json!({"component": {"name": "C"}, "variable": {"name": format!("V{n}")}});
        let request = json!({"getVariableData": (0..5).map(entry).collect::<Vec<_>>()});
        let resolved = resolve(OcppVersion::V201, "GetVariables").unwrap();
        let whole = prepare(&db.sql, "CP1", &resolved, request.clone())
            .unwrap()
            .unwrap();
        assert_eq!(whole.requests.len(), 1, "no limit reported: one request");
        let mut limit = Attribute::named(
            &json!({"name": "DeviceDataCtrlr"}),
            &json!({"name": "ItemsPerMessage", "instance": "GetVariables"}),
            None,
        );
        limit.value = Some("2".into());
        store(
            &db.sql,
            "CP1",
            &limit,
            "NotifyReport",
            "2026-11-23T20:00:00Z",
        )
        .unwrap();
        let split = prepare(&db.sql, "CP1", &resolved, request)
            .unwrap()
            .unwrap();
        let sizes: Vec<usize> = split
            .requests
            .iter()
            .map(|r| r["getVariableData"].as_array().unwrap().len())
            .collect();
        assert_eq!(sizes, vec![2, 2, 1]);
        assert_eq!(split.requests[2]["getVariableData"][0], entry(4));
    }
}
