//! SetNetworkProfile (2.0.1 B09, A05 "Upgrade Charging Station Security Profile"): a station
//! that accepts a connection profile with a higher security profile is expected to come back
//! with it. The registry keeps the higher profile as pending; the first connection that meets
//! it makes it the station's profile, after which the old one is refused (A05.FR.07). Until
//! then the station may still connect as before, so one that never switches is not locked out.

use csms_store::Sql;
use serde_json::Value;

use crate::store::Command;
use crate::CommandError;

pub(super) fn apply(
    sql: &impl Sql,
    command: &Command,
    response: &Value,
) -> Result<(), CommandError> {
    if response.get("status").and_then(Value::as_str) != Some("Accepted") {
        return Ok(());
    }
    let Some(profile) = command
        .request
        .pointer("/connectionData/securityProfile")
        .and_then(Value::as_i64)
    else {
        return Ok(());
    };
    sql.execute(
        "UPDATE charge_points SET pending_security_profile = ? \
         WHERE id = ? AND security_profile < ?",
        &[
            profile.into(),
            command.charge_point_id.as_str().into(),
            profile.into(),
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::operations::answered_as;
    use crate::test_support::{at, db};
    use csms_store::Sql as _;
    use ocpp_protocol::OcppVersion;
    use serde_json::json;

    fn request(profile: i64) -> serde_json::Value {
        json!({"configurationSlot": 2, "connectionData": {
            "ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": "wss://csms.example.com/ocpp",
            "messageTimeout": 30, "securityProfile": profile, "ocppInterface": "Wired0"}})
    }

    fn pending(db: &crate::test_support::Db) -> Option<i64> {
        db.sql
            .execute(
                "SELECT pending_security_profile FROM charge_points WHERE id = 'CP1'",
                &[],
            )
            .unwrap()[0]
            .opt_i64(0, "pending")
            .unwrap()
    }

    #[test]
    fn an_accepted_higher_profile_is_pending_a_lower_or_rejected_one_is_not() {
        let db = db();
        db.sql
            .execute(
                "INSERT INTO charge_points (id, security_profile, created_at, updated_at) VALUES ('CP1', 2, 't', 't')",
                &[],
            )
            .unwrap();
        let now = at("2026-12-02T20:00:00Z");
        let v = OcppVersion::V201;
        answered_as(
            &db,
            v,
            "SetNetworkProfile",
            request(1),
            json!({"status": "Accepted"}),
            now,
        );
        assert_eq!(pending(&db), None);
        answered_as(
            &db,
            v,
            "SetNetworkProfile",
            request(3),
            json!({"status": "Rejected"}),
            now,
        );
        assert_eq!(pending(&db), None);
        answered_as(
            &db,
            v,
            "SetNetworkProfile",
            request(3),
            json!({"status": "Accepted"}),
            now,
        );
        assert_eq!(pending(&db), Some(3));
    }
}
