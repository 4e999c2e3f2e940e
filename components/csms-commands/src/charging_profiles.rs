//! The charging profiles a station holds, as far as the central system knows: those it
//! accepted through SetChargingProfile, minus those it cleared through ClearChargingProfile
//! (both versions), plus those it reported in 2.0.1 ReportChargingProfiles.
//!
//! One row per (charge point, profile id); a profile is kept as the station holds it, in the
//! version it speaks. `evse_id` is the 2.0.1 EVSE or the 1.6 connector (0: the whole
//! station). Accepting a profile replaces one with the same id, and one with the same EVSE,
//! purpose and stack level (OCPP 1.6 3.13.2, 2.0.1 K01.FR.05). A TxProfile ends with its
//! transaction, so one whose transaction stopped is not listed.

use csms_store::{Sql, SqlValue};
use ocpp_protocol::OcppVersion;
use serde::Serialize;
use serde_json::Value;

use crate::CommandError;

/// A profile as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Held {
    pub id: i64,
    pub evse_id: i64,
    pub stack_level: i64,
    pub purpose: String,
    /// The message it came in: SetChargingProfile or ReportChargingProfiles.
    pub source: String,
    pub ocpp_version: String,
    pub updated_at: String,
    /// The profile as the station holds it (1.6 `csChargingProfiles`, 2.0.1 `chargingProfile`).
    pub profile: Value,
}

/// The identifying fields of a 1.6 `csChargingProfiles` or a 2.0.1 `chargingProfile`.
fn key_fields(version: OcppVersion, profile: &Value) -> Option<(i64, i64, &str)> {
    let id = match version {
        OcppVersion::V16 => profile.get("chargingProfileId"),
        OcppVersion::V201 => profile.get("id"),
    }?
    .as_i64()?;
    let stack_level = profile.get("stackLevel")?.as_i64()?;
    let purpose = profile.get("chargingProfilePurpose")?.as_str()?;
    Some((id, stack_level, purpose))
}

/// Stores a profile the station now holds on `evse_id`; a profile without its identifying
/// fields (the schemas require them) is ignored.
pub fn store(
    sql: &impl Sql,
    charge_point_id: &str,
    version: OcppVersion,
    evse_id: i64,
    profile: &Value,
    source: &str,
    now: &str,
) -> Result<(), CommandError> {
    let Some((id, stack_level, purpose)) = key_fields(version, profile) else {
        return Ok(());
    };
    sql.execute(
        "DELETE FROM charging_profiles WHERE charge_point_id = ? AND (profile_id = ? \
         OR (evse_id = ? AND purpose = ? AND stack_level = ?))",
        &[
            charge_point_id.into(),
            id.into(),
            evse_id.into(),
            purpose.into(),
            stack_level.into(),
        ],
    )?;
    let transaction = profile.get("transactionId").map(|t| match t {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    sql.execute(
        "INSERT INTO charging_profiles (charge_point_id, profile_id, evse_id, stack_level, purpose, \
         transaction_id, profile, ocpp_version, source, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            charge_point_id.into(),
            id.into(),
            evse_id.into(),
            stack_level.into(),
            purpose.into(),
            transaction.into(),
            profile.to_string().into(),
            version.subprotocol().into(),
            source.into(),
            now.into(),
        ],
    )?;
    Ok(())
}

/// Removes what an accepted ClearChargingProfile request clears: the profile with its id,
/// or else every profile matching all the criteria it gives (none: every profile).
pub fn clear(
    sql: &impl Sql,
    charge_point_id: &str,
    version: OcppVersion,
    request: &Value,
) -> Result<(), CommandError> {
    let (id, criteria) = match version {
        OcppVersion::V16 => (request.get("id"), request),
        OcppVersion::V201 => (
            request.get("chargingProfileId"),
            request
                .get("chargingProfileCriteria")
                .unwrap_or(&Value::Null),
        ),
    };
    if let Some(id) = id.and_then(Value::as_i64) {
        sql.execute(
            "DELETE FROM charging_profiles WHERE charge_point_id = ? AND profile_id = ?",
            &[charge_point_id.into(), id.into()],
        )?;
        return Ok(());
    }
    let evse = match version {
        OcppVersion::V16 => criteria.get("connectorId"),
        OcppVersion::V201 => criteria.get("evseId"),
    };
    let mut conditions = String::new();
    let mut params: Vec<SqlValue> = vec![charge_point_id.into()];
    if let Some(evse) = evse.and_then(Value::as_i64) {
        conditions.push_str(" AND evse_id = ?");
        params.push(evse.into());
    }
    if let Some(purpose) = criteria
        .get("chargingProfilePurpose")
        .and_then(Value::as_str)
    {
        conditions.push_str(" AND purpose = ?");
        params.push(purpose.into());
    }
    if let Some(level) = criteria.get("stackLevel").and_then(Value::as_i64) {
        conditions.push_str(" AND stack_level = ?");
        params.push(level.into());
    }
    sql.execute(
        &format!("DELETE FROM charging_profiles WHERE charge_point_id = ?{conditions}"),
        &params,
    )?;
    Ok(())
}

/// The profiles a station holds, by EVSE, purpose and stack level.
pub fn list(sql: &impl Sql, charge_point_id: &str) -> Result<Vec<Held>, CommandError> {
    // A TxProfile's transactionId is the 1.6 integer id or the 2.0.1 station id.
    let rows = sql.execute(
        "SELECT p.profile_id, p.evse_id, p.stack_level, p.purpose, p.source, p.ocpp_version, \
         p.updated_at, p.profile FROM charging_profiles p \
         WHERE p.charge_point_id = ?1 AND NOT (p.purpose = 'TxProfile' AND EXISTS ( \
           SELECT 1 FROM transactions t WHERE t.charge_point_id = ?1 AND t.stopped_at IS NOT NULL \
           AND (t.station_transaction_id = p.transaction_id \
                OR (t.station_transaction_id IS NULL AND CAST(t.id AS TEXT) = p.transaction_id)))) \
         ORDER BY p.evse_id, p.purpose, p.stack_level, p.profile_id",
        &[charge_point_id.into()],
    )?;
    const CTX: &str = "charging_profiles";
    rows.iter()
        .map(|row| {
            let id = row.i64(0, CTX)?;
            let text = row.text(7, CTX)?;
            let profile = serde_json::from_str(&text).map_err(|error| CommandError::Corrupt {
                id,
                what: "charging profile",
                error,
            })?;
            Ok(Held {
                id,
                evse_id: row.i64(1, CTX)?,
                stack_level: row.i64(2, CTX)?,
                purpose: row.text(3, CTX)?,
                source: row.text(4, CTX)?,
                ocpp_version: row.text(5, CTX)?,
                updated_at: row.text(6, CTX)?,
                profile,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{at, db};
    use serde_json::json;

    fn profile_16(id: i64, level: i64, purpose: &str) -> Value {
        json!({"chargingProfileId": id, "stackLevel": level, "chargingProfilePurpose": purpose,
               "chargingProfileKind": "Absolute",
               "chargingSchedule": {"chargingRateUnit": "A",
                   "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}})
    }

    fn ids(db: &crate::test_support::Db) -> Vec<(i64, i64)> {
        list(&db.sql, "CP1")
            .unwrap()
            .into_iter()
            .map(|p| (p.evse_id, p.id))
            .collect()
    }

    #[test]
    fn accepted_1_6_profiles_are_held_replaced_and_cleared() {
        let db = db();
        let now = at("2026-12-02T10:00:00Z");
        let set = |connector: i64, profile: Value, status: &str| {
            crate::operations::answered(
                &db,
                "SetChargingProfile",
                json!({"connectorId": connector, "csChargingProfiles": profile}),
                json!({"status": status}),
                now,
            );
        };
        set(0, profile_16(1, 0, "ChargePointMaxProfile"), "Accepted");
        set(1, profile_16(2, 1, "TxDefaultProfile"), "Accepted");
        set(2, profile_16(3, 1, "TxDefaultProfile"), "Accepted");
        set(2, profile_16(9, 2, "TxDefaultProfile"), "Rejected");
        assert_eq!(ids(&db), [(0, 1), (1, 2), (2, 3)]);
        // Same connector, purpose and stack level: replaced.
        set(2, profile_16(4, 1, "TxDefaultProfile"), "Accepted");
        assert_eq!(ids(&db), [(0, 1), (1, 2), (2, 4)]);
        let held = &list(&db.sql, "CP1").unwrap()[2];
        assert_eq!(held.profile["chargingSchedule"]["chargingRateUnit"], "A");
        assert_eq!(held.source, "SetChargingProfile");
        let clear = |request: Value| {
            crate::operations::answered(
                &db,
                "ClearChargingProfile",
                request,
                json!({"status": "Accepted"}),
                now,
            );
        };
        clear(json!({"chargingProfilePurpose": "TxDefaultProfile", "connectorId": 1}));
        assert_eq!(ids(&db), [(0, 1), (2, 4)]);
        clear(json!({"id": 4}));
        assert_eq!(ids(&db), [(0, 1)]);
        clear(json!({}));
        assert_eq!(ids(&db), []);
    }

    #[test]
    fn a_2_0_1_tx_profile_goes_when_its_transaction_stops() {
        let db = db();
        let now = at("2026-12-02T10:00:00Z");
        let profile = json!({"id": 7, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative", "transactionId": "tx-1",
            "chargingSchedule": [{"id": 1, "chargingRateUnit": "W",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7400.0}]}]});
        crate::operations::answered_as(
            &db,
            OcppVersion::V201,
            "SetChargingProfile",
            json!({"evseId": 1, "chargingProfile": profile}),
            json!({"status": "Accepted"}),
            now,
        );
        db.sql
            .execute(
                "INSERT INTO transactions (charge_point_id, connector_id, id_tag, start_auth_status, \
                 meter_start_wh, started_at, created_at, ocpp_version, station_transaction_id) \
                 VALUES ('CP1', 1, 'ALICE', 'Accepted', 0, 't', 't', 'ocpp2.0.1', 'tx-1')",
                &[],
            )
            .unwrap();
        assert_eq!(ids(&db), [(1, 7)]);
        db.sql
            .execute("UPDATE transactions SET stopped_at = 't2'", &[])
            .unwrap();
        assert_eq!(ids(&db), []);
    }
}
