//! `GET /api/v1/charge-points/{id}/charging-profiles`: the charging profiles a station holds
//! as far as the central system knows (accepted SetChargingProfile minus accepted
//! ClearChargingProfile, both versions, and 2.0.1 ReportChargingProfiles), by EVSE (1.6
//! connector; 0 is the whole station), purpose and stack level.

use anyhow::Context as _;
use csms_commands::charging_profiles::{self, Held};
use csms_store::Sql;
use serde::Serialize;

use crate::problem::ApiError;
use crate::Reply;

#[derive(Debug, Serialize)]
struct View {
    charge_point_id: String,
    profiles: Vec<Held>,
}

pub(crate) fn list(sql: &impl Sql, cp: &str) -> Result<Reply, ApiError> {
    crate::charge_points::require(sql, cp)?;
    let profiles = charging_profiles::list(sql, cp)
        .with_context(|| format!("loading the charging profiles of charge point {cp:?}"))?;
    Reply::ok(&View {
        charge_point_id: cp.to_owned(),
        profiles,
    })
}

#[cfg(test)]
mod tests {
    use crate::test_support::Bench;
    use serde_json::json;

    #[test]
    fn an_accepted_set_charging_profile_is_listed_until_cleared() {
        let bench = Bench::new();
        bench.exec(
            "INSERT INTO charge_points (id, created_at, updated_at) VALUES ('CP1', 'x', 'x')",
        );
        let empty = bench.call("GET", "/api/v1/charge-points/CP1/charging-profiles", "");
        assert_eq!(empty.status, 200, "{}", empty.body);
        assert_eq!(empty.body["profiles"], json!([]));
        let profile = json!({"chargingProfileId": 5, "stackLevel": 0,
            "chargingProfilePurpose": "ChargePointMaxProfile", "chargingProfileKind": "Absolute",
            "chargingSchedule": {"chargingRateUnit": "W",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 22000.0}]}});
        let request = json!({"connectorId": 0, "csChargingProfiles": profile});
        let id = csms_commands::store::insert(
            &bench.sql,
            "CP1",
            ocpp_protocol::OcppVersion::V16,
            "SetChargingProfile",
            &request,
            bench.now,
        )
        .unwrap();
        let call = csms_commands::delivery::claim_next(&bench.sql, "CP1", bench.now)
            .unwrap()
            .unwrap();
        assert_eq!(call.command_id, id);
        let result = ocpp_protocol::CallResult {
            message_id: call.message_id,
            payload: json!({"status": "Accepted"}),
        };
        csms_commands::answer::on_result(&bench.sql, "CP1", &result, bench.now).unwrap();
        let held = bench.call("GET", "/api/v1/charge-points/CP1/charging-profiles", "");
        let profiles = held.body["profiles"].as_array().unwrap();
        assert_eq!(profiles.len(), 1, "{}", held.body);
        assert_eq!(profiles[0]["id"], 5);
        assert_eq!(profiles[0]["evse_id"], 0);
        assert_eq!(profiles[0]["purpose"], "ChargePointMaxProfile");
        assert_eq!(profiles[0]["profile"], profile);
        bench
            .call("GET", "/api/v1/charge-points/NOPE/charging-profiles", "")
            .problem(404);
    }
}
