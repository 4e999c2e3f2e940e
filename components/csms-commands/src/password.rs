//! Password rotation (security profile 1, both versions).
//!
//! A new password goes to the station as a ChangeConfiguration `AuthorizationKey` (1.6) or a
//! SetVariables `SecurityCtrlr.BasicAuthPassword` (2.0.1), both the Configure operation. Until
//! the station connects with it, the old password stays valid next to the new one
//! (`charge_points.pending_password_hash`), so a station that never got the change, or
//! rejected it, is not locked out: the handshake promotes the pending password the first time
//! it is used ([`accepts`]).
//!
//! The plaintext is in the stored command only until the station answers (it must be sent,
//! and sent again if the publish fails); views never show it.

use csms_store::credentials::verify_password;
use csms_store::{Sql, StoreError};
use ocpp_protocol::OcppVersion;
use serde_json::{json, Value};

use crate::store::Command;
use crate::CommandError;

const KEY_16: &str = "AuthorizationKey";
const COMPONENT_201: &str = "SecurityCtrlr";
const VARIABLE_201: &str = "BasicAuthPassword";
/// What views show in place of a password.
pub const REDACTED: &str = "********";

/// The ChangeConfiguration payload (1.6 names; the Configure operation translates it for a
/// 2.0.1 station) that gives the station `password`.
pub fn change_configuration(password: &str) -> Value {
    json!({"key": KEY_16, "value": password})
}

/// Whether a 2.0.1 setVariableData entry (or the matching result) is the Basic auth password.
fn is_password_entry(entry: &Value) -> bool {
    let name = |part: &str| entry.get(part).and_then(|p| p.get("name")?.as_str());
    name("component") == Some(COMPONENT_201) && name("variable") == Some(VARIABLE_201)
}

fn is_password_key(request: &Value) -> bool {
    request
        .get("key")
        .and_then(Value::as_str)
        .is_some_and(|k| k.eq_ignore_ascii_case(KEY_16))
}

/// Whether a Configure request (in `version`) sets the station's password.
pub fn sets_password(version: OcppVersion, request: &Value) -> bool {
    password_in(version, request).is_some()
}

fn entries(request: &Value) -> &[Value] {
    request
        .get("setVariableData")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The password a Configure request sets, if it sets one.
fn password_in(version: OcppVersion, request: &Value) -> Option<&str> {
    match version {
        OcppVersion::V16 if is_password_key(request) => request.get("value")?.as_str(),
        OcppVersion::V16 => None,
        OcppVersion::V201 => entries(request)
            .iter()
            .find(|e| is_password_entry(e))?
            .get("attributeValue")?
            .as_str(),
    }
}

/// `request` with any password it sets replaced by [`REDACTED`].
pub fn redacted(version: OcppVersion, action: &str, request: &Value) -> Value {
    let mut out = request.clone();
    if !matches!(action, "ChangeConfiguration" | "SetVariables") {
        return out;
    }
    match version {
        OcppVersion::V16 if is_password_key(&out) => out["value"] = json!(REDACTED),
        OcppVersion::V16 => {}
        OcppVersion::V201 => {
            if let Some(entries) = out.get_mut("setVariableData").and_then(Value::as_array_mut) {
                for entry in entries.iter_mut().filter(|e| is_password_entry(e)) {
                    entry["attributeValue"] = json!(REDACTED);
                }
            }
        }
    }
    out
}

/// Records `hash` as the password the station may use next to its current one; called just
/// before the command that sends it is queued.
pub fn begin(
    sql: &impl Sql,
    charge_point_id: &str,
    hash: &str,
    now: &str,
) -> Result<(), StoreError> {
    sql.execute(
        "UPDATE charge_points SET pending_password_hash = ?, updated_at = ? WHERE id = ?",
        &[hash.into(), now.into(), charge_point_id.into()],
    )?;
    Ok(())
}

/// Whether the answer to a password command says the station took the new password.
fn taken(version: OcppVersion, response: &Value) -> bool {
    let accepted = |status: Option<&str>| matches!(status, Some("Accepted" | "RebootRequired"));
    match version {
        OcppVersion::V16 => accepted(response.get("status").and_then(Value::as_str)),
        OcppVersion::V201 => response
            .get("setVariableResult")
            .and_then(Value::as_array)
            .and_then(|results| results.iter().find(|r| is_password_entry(r)))
            .is_some_and(|r| accepted(r.get("attributeStatus").and_then(Value::as_str))),
    }
}

/// The station answered a Configure command: when it set the password and the station did
/// not take it, the pending password (if it is still this one) is dropped; the stored
/// request no longer needs the plaintext either way.
pub(crate) fn answered(
    sql: &impl Sql,
    command: &Command,
    response: &Value,
) -> Result<(), CommandError> {
    let version = command.version();
    let Some(password) = password_in(version, &command.request) else {
        return Ok(());
    };
    if !taken(version, response) {
        let rows = sql.execute(
            "SELECT pending_password_hash FROM charge_points WHERE id = ?",
            &[command.charge_point_id.as_str().into()],
        )?;
        let pending = match rows.first() {
            Some(row) => row.opt_text(0, "charge_points.pending_password_hash")?,
            None => None,
        };
        if pending.is_some_and(|hash| verify_password(password, &hash)) {
            sql.execute(
                "UPDATE charge_points SET pending_password_hash = NULL WHERE id = ?",
                &[command.charge_point_id.as_str().into()],
            )?;
        }
    }
    let request = redacted(version, &command.action, &command.request);
    sql.execute(
        "UPDATE commands SET request = ? WHERE id = ?",
        &[request.to_string().into(), command.id.into()],
    )?;
    Ok(())
}

/// Whether the password a station presented is valid: its current one, or the pending one,
/// which it then becomes (the station evidently took the change).
pub fn accepts(
    sql: &impl Sql,
    charge_point_id: &str,
    current: Option<&str>,
    pending: Option<&str>,
    presented: Option<&str>,
) -> Result<bool, StoreError> {
    let matches = |hash: &str| presented.is_some_and(|p| verify_password(p, hash));
    if let Some(current) = current {
        if matches(current) {
            return Ok(true);
        }
    }
    if let Some(pending) = pending.filter(|hash| matches(hash)) {
        sql.execute(
            "UPDATE charge_points SET password_hash = ?, pending_password_hash = NULL WHERE id = ?",
            &[pending.into(), charge_point_id.into()],
        )?;
        return Ok(true);
    }
    // No password registered: the station is not asked for one.
    Ok(current.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::Db;
    use csms_store::credentials::hash_password;

    fn station() -> Db {
        let db = crate::test_support::db();
        db.sql
            .execute(
                "INSERT INTO charge_points (id, created_at, updated_at) VALUES ('CP1', 't', 't')",
                &[],
            )
            .unwrap();
        db
    }

    const OLD: &str = "old-password-0123456";
    const NEW: &str = "new-password-6543210";

    fn hashes(db: &Db) -> (Option<String>, Option<String>) {
        let rows = db
            .sql
            .execute(
                "SELECT password_hash, pending_password_hash FROM charge_points WHERE id = 'CP1'",
                &[],
            )
            .unwrap();
        (
            rows[0].opt_text(0, "h").unwrap(),
            rows[0].opt_text(1, "p").unwrap(),
        )
    }

    fn with_passwords(db: &Db) {
        db.sql
            .execute(
                "UPDATE charge_points SET password_hash = ? WHERE id = 'CP1'",
                &[hash_password(OLD).unwrap().into()],
            )
            .unwrap();
        begin(&db.sql, "CP1", &hash_password(NEW).unwrap(), "t").unwrap();
    }

    fn accepts_now(db: &Db, presented: Option<&str>) -> bool {
        let (current, pending) = hashes(db);
        accepts(
            &db.sql,
            "CP1",
            current.as_deref(),
            pending.as_deref(),
            presented,
        )
        .unwrap()
    }

    #[test]
    fn the_old_password_works_until_the_new_one_is_used_then_only_the_new_one() {
        let db = station();
        with_passwords(&db);
        assert!(accepts_now(&db, Some(OLD)));
        assert!(accepts_now(&db, Some(OLD)), "still valid while pending");
        assert!(!accepts_now(&db, Some("someone-elses-password")));
        assert!(!accepts_now(&db, None));
        assert!(accepts_now(&db, Some(NEW)));
        assert!(
            !accepts_now(&db, Some(OLD)),
            "replaced once the new one was used"
        );
        assert!(accepts_now(&db, Some(NEW)));
        assert_eq!(hashes(&db).1, None);
    }

    #[test]
    fn a_rejected_change_drops_the_pending_password_and_forgets_the_plaintext() {
        let db = station();
        with_passwords(&db);
        let id = crate::operations::answered(
            &db,
            "ChangeConfiguration",
            change_configuration(NEW),
            json!({"status": "Rejected"}),
            crate::test_support::at("2026-12-02T10:00:00Z"),
        );
        assert_eq!(hashes(&db).1, None);
        assert!(!accepts_now(&db, Some(NEW)));
        assert!(accepts_now(&db, Some(OLD)));
        let stored = crate::store::get(&db.sql, id).unwrap().unwrap();
        assert_eq!(stored.request["value"], REDACTED);
        assert!(!stored.request.to_string().contains(NEW));
    }

    #[test]
    fn an_accepted_2_0_1_change_keeps_both_until_the_station_reconnects() {
        let db = station();
        with_passwords(&db);
        let entry = json!({"component": {"name": COMPONENT_201},
                           "variable": {"name": VARIABLE_201}});
        let mut data = entry.clone();
        data["attributeValue"] = json!(NEW);
        let mut result = entry;
        result["attributeStatus"] = json!("Accepted");
        let id = crate::operations::answered_as(
            &db,
            OcppVersion::V201,
            "SetVariables",
            json!({"setVariableData": [data]}),
            json!({"setVariableResult": [result]}),
            crate::test_support::at("2026-12-02T10:00:00Z"),
        );
        assert!(hashes(&db).1.is_some());
        let stored = crate::store::get(&db.sql, id).unwrap().unwrap();
        assert_eq!(
            stored.request["setVariableData"][0]["attributeValue"],
            REDACTED
        );
        // The device model never holds the password.
        let model = db
            .sql
            .execute(
                "SELECT value FROM device_model WHERE charge_point_id = 'CP1'",
                &[],
            )
            .unwrap();
        assert!(!format!("{model:?}").contains(NEW), "{model:?}");
        assert!(accepts_now(&db, Some(OLD)));
        assert!(accepts_now(&db, Some(NEW)));
        assert!(!accepts_now(&db, Some(OLD)));
    }

    #[test]
    fn other_configure_requests_are_not_passwords() {
        let other = json!({"key": "HeartbeatInterval", "value": "60"});
        assert!(!sets_password(OcppVersion::V16, &other));
        assert_eq!(
            redacted(OcppVersion::V16, "ChangeConfiguration", &other),
            other
        );
        assert!(sets_password(OcppVersion::V16, &change_configuration("x")));
    }
}
