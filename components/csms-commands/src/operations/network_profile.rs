//! SetNetworkProfile (2.0.1 B09, A05 "Upgrade Charging Station Security Profile"): a station
//! that accepts a connection profile with a higher security profile is expected to come back
//! with it. The registry keeps the higher profile as pending; the first connection that meets
//! it makes it the station's profile, after which the old one is refused (A05.FR.07). Until
//! then the station may still connect as before, so one that never switches is not locked out.

use csms_store::Sql;
use serde_json::Value;

use crate::store::Command;
use crate::CommandError;

/// OCPP's profiles are 0 to 3, and a station moved to profile 2 must have a password to
/// present with it: refused up front rather than locking the station out once it switches.
pub(super) fn check(
    sql: &impl Sql,
    charge_point_id: &str,
    payload: &Value,
) -> Result<Result<(), String>, CommandError> {
    let Some(profile) = payload.pointer("/connectionData/securityProfile") else {
        return Ok(Ok(()));
    };
    let profile = match profile.as_i64() {
        Some(p) if (0..=3).contains(&p) => p,
        _ => {
            return Ok(Err(format!(
                "invalid SetNetworkProfile request: securityProfile {profile} is not an OCPP security profile (0 to 3)"
            )))
        }
    };
    if profile == 2 {
        let rows = sql.execute(
            "SELECT password_hash FROM charge_points WHERE id = ?",
            &[charge_point_id.into()],
        )?;
        let has_password = match rows.first() {
            Some(row) => row.opt_text(0, "charge_points.password_hash")?.is_some(),
            None => false,
        };
        if !has_password {
            return Ok(Err(format!(
                "security profile 2 needs the station's password and {charge_point_id:?} has none: set one (PUT /api/v1/charge-points/{{id}}) first"
            )));
        }
    }
    Ok(Ok(()))
}

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
        .filter(|p| (1..=3).contains(p))
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
        let answer = |profile: i64, status: &str| {
            answered_as(
                &db,
                OcppVersion::V201,
                "SetNetworkProfile",
                request(profile),
                json!({ "status": status }),
                now,
            );
            pending(&db)
        };
        assert_eq!(answer(1, "Accepted"), None);
        assert_eq!(answer(3, "Rejected"), None);
        assert_eq!(answer(3, "Accepted"), Some(3));
    }

    #[test]
    fn only_real_profiles_are_sent_and_two_only_to_a_station_with_a_password() {
        let db = db();
        db.sql
            .execute(
                "INSERT INTO charge_points (id, created_at, updated_at) VALUES ('CP1', 't', 't')",
                &[],
            )
            .unwrap();
        let check = |profile: i64| super::check(&db.sql, "CP1", &request(profile)).unwrap();
        assert!(check(3).is_ok());
        assert!(check(7).unwrap_err().contains("0 to 3"));
        assert!(check(2).unwrap_err().contains("has none"));
        db.sql
            .execute(
                "UPDATE charge_points SET password_hash = 'h' WHERE id = 'CP1'",
                &[],
            )
            .unwrap();
        assert!(check(2).is_ok());
    }
}
