//! GetConfiguration: every reported key is stored with its value and readonly flag.

use csms_store::Sql;
use serde_json::Value;

use crate::configuration::store as store_key;
use crate::store::Command;
use crate::CommandError;

pub(super) fn apply(
    sql: &impl Sql,
    command: &Command,
    response: &Value,
    now: &str,
) -> Result<(), CommandError> {
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

#[cfg(test)]
mod tests {
    use crate::answer::on_result;
    use crate::delivery::claim_next;
    use crate::effects::{stored, StoredKey};
    use crate::store::insert;
    use crate::test_support::{at, db};
    use ocpp_protocol::CallResult;
    use serde_json::json;

    #[test]
    fn reported_keys_are_stored_with_value_and_readonly() {
        let db = db();
        let now = at("2026-11-23T20:00:00Z");
        insert(&db.sql, "CP1", "GetConfiguration", &json!({}), now).unwrap();
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
