//! SetChargingProfile and ClearChargingProfile (both versions): an Accepted answer changes the
//! profiles the station holds ([`crate::charging_profiles`]).

use csms_store::Sql;
use ocpp_protocol::OcppVersion;
use serde_json::Value;

use crate::charging_profiles;
use crate::store::Command;
use crate::CommandError;

fn accepted(response: &Value) -> bool {
    response.get("status").and_then(Value::as_str) == Some("Accepted")
}

pub(super) fn set(
    sql: &impl Sql,
    command: &Command,
    response: &Value,
    now: &str,
) -> Result<(), CommandError> {
    if !accepted(response) {
        return Ok(());
    }
    let version = command.version();
    let (evse, profile) = match version {
        OcppVersion::V16 => ("connectorId", "csChargingProfiles"),
        OcppVersion::V201 => ("evseId", "chargingProfile"),
    };
    let (Some(evse_id), Some(profile)) = (
        command.request.get(evse).and_then(Value::as_i64),
        command.request.get(profile),
    ) else {
        return Ok(());
    };
    charging_profiles::store(
        sql,
        &command.charge_point_id,
        version,
        evse_id,
        profile,
        "SetChargingProfile",
        now,
    )
}

pub(super) fn clear(
    sql: &impl Sql,
    command: &Command,
    response: &Value,
) -> Result<(), CommandError> {
    if !accepted(response) {
        return Ok(());
    }
    charging_profiles::clear(
        sql,
        &command.charge_point_id,
        command.version(),
        &command.request,
    )
}
