//! ChangeConfiguration: an Accepted (or RebootRequired) answer means the charge point now has
//! the requested value, so the stored configuration takes it.

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

#[cfg(test)]
mod tests {
    use crate::answer::on_result;
    use crate::delivery::claim_next;
    use crate::effects::{stored, StoredKey};
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
