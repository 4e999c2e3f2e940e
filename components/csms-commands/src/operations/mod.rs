//! Every operation the central system sends, one unit per operation.
//!
//! An [`Operation`] is one domain operation with its name in each OCPP version that has it
//! (RemoteStartTransaction in 1.6 and RequestStartTransaction in 2.0.1 are one operation with
//! two builders, so an operator may use either name). Its [`Unit`] names the module that holds
//! what is particular to it: how an operator's payload becomes the request of the version the
//! station speaks ([`prepare`]), how it is completed when sent ([`complete`]) and what a valid
//! answer changes ([`apply`]). Operations with nothing particular are [`Unit::Plain`]: the
//! payload is the request, the answer is stored and nothing else changes.
//!
//! [`OPERATIONS`] is the registry the per-version catalogues, the API's list of actions and
//! the answer decoding are derived from. Adding an operation is one line there, plus its own
//! module when it is not plain (a `Unit` variant, matched in the three functions below; the
//! matches are exhaustive, so the compiler points at each).

mod cancel_reservation;
mod certificates;
mod charging_profile;
mod configure;
pub mod follow_up;
mod get_local_list_version;
mod network_profile;
mod read_configuration;
mod remote_start;
mod remote_stop;
pub mod report;
mod reserve_now;
mod send_local_list;
pub mod trigger_message;

use csms_store::Sql;
use ocpp_protocol::messages::{v16, v201};
use ocpp_protocol::{OcppVersion, PayloadError};
use serde_json::Value;

use crate::store::Command;
use crate::CommandError;
use follow_up::FollowUp;

/// Which module holds what is particular to an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// The payload is the request; the answer is stored, nothing else changes.
    Plain,
    CancelReservation,
    Configure,
    GetLocalListVersion,
    ReadConfiguration,
    RemoteStart,
    RemoteStop,
    /// GetBaseReport / GetReport: the station's NotifyReport parts carry the `requestId`.
    Report,
    ReserveNow,
    SendLocalList,
    /// SetChargingProfile / ClearChargingProfile: the profiles the station holds.
    SetChargingProfile,
    ClearChargingProfile,
    /// SetNetworkProfile: a higher security profile the station moves to.
    NetworkProfile,
    /// InstallCertificate, DeleteCertificate, GetInstalledCertificateIds, CertificateSigned:
    /// the station's certificate inventory.
    Certificates,
}

/// Whether a station that is not Accepted yet may be sent an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhilePending {
    /// Configuring and inspecting a Pending station is what Pending is for.
    Allowed,
    /// OCPP 1.6 4.2.1 and 2.0.1 B02.FR.05: no remote start or stop until Accepted.
    Refused,
}

/// One domain operation.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// Its action name in 1.6 and in 2.0.1 (`None`: that version has no such call).
    pub v16: Option<&'static str>,
    pub v201: Option<&'static str>,
    pub unit: Unit,
    pub while_pending: WhilePending,
    /// The notifications the station sends after answering, shown on the command.
    pub follow_up: Option<FollowUp>,
    /// It changes what the station trusts or runs (certificates, its security profile, its
    /// firmware): an administrator's decision, not an operator's.
    pub changes_trust: bool,
}

impl Operation {
    /// The action name in `version`, if the version has the operation.
    pub fn action(&self, version: OcppVersion) -> Option<&'static str> {
        match version {
            OcppVersion::V16 => self.v16,
            OcppVersion::V201 => self.v201,
        }
    }

    const fn changing_trust(self) -> Self {
        Operation {
            changes_trust: true,
            ..self
        }
    }

    const fn followed_by(self, follow_up: FollowUp) -> Self {
        Operation {
            follow_up: Some(follow_up),
            ..self
        }
    }
}

const fn both(name: &'static str, unit: Unit) -> Operation {
    Operation {
        v16: Some(name),
        v201: Some(name),
        unit,
        while_pending: WhilePending::Allowed,
        follow_up: None,
        changes_trust: false,
    }
}

const fn only_16(name: &'static str) -> Operation {
    Operation {
        v16: Some(name),
        v201: None,
        unit: Unit::Plain,
        while_pending: WhilePending::Allowed,
        follow_up: None,
        changes_trust: false,
    }
}

const fn only_201(name: &'static str, unit: Unit) -> Operation {
    Operation {
        v16: None,
        v201: Some(name),
        unit,
        while_pending: WhilePending::Allowed,
        follow_up: None,
        changes_trust: false,
    }
}

const fn renamed(
    v16: &'static str,
    v201: &'static str,
    unit: Unit,
    while_pending: WhilePending,
) -> Operation {
    Operation {
        v16: Some(v16),
        v201: Some(v201),
        unit,
        while_pending,
        follow_up: None,
        changes_trust: false,
    }
}

/// Every operation the central system sends (a test checks it against `ocpp-protocol`'s
/// tables: every CSMS-initiated action of both versions, each once).
pub const OPERATIONS: &[Operation] = &[
    renamed(
        "RemoteStartTransaction",
        "RequestStartTransaction",
        Unit::RemoteStart,
        WhilePending::Refused,
    ),
    renamed(
        "RemoteStopTransaction",
        "RequestStopTransaction",
        Unit::RemoteStop,
        WhilePending::Refused,
    ),
    renamed(
        "ChangeConfiguration",
        "SetVariables",
        Unit::Configure,
        WhilePending::Allowed,
    ),
    renamed(
        "GetConfiguration",
        "GetVariables",
        Unit::ReadConfiguration,
        WhilePending::Allowed,
    ),
    both("CancelReservation", Unit::CancelReservation),
    both("ChangeAvailability", Unit::Plain),
    both("ClearCache", Unit::Plain),
    both("ClearChargingProfile", Unit::ClearChargingProfile),
    both("DataTransfer", Unit::Plain),
    both("GetCompositeSchedule", Unit::Plain),
    both("GetLocalListVersion", Unit::GetLocalListVersion),
    both("ReserveNow", Unit::ReserveNow),
    both("Reset", Unit::Plain),
    both("SendLocalList", Unit::SendLocalList),
    both("SetChargingProfile", Unit::SetChargingProfile),
    both("TriggerMessage", Unit::Plain),
    both("UnlockConnector", Unit::Plain),
    both("UpdateFirmware", Unit::Plain)
        .changing_trust()
        .followed_by(follow_up::FIRMWARE),
    only_16("GetDiagnostics").followed_by(follow_up::DIAGNOSTICS),
    // The 1.6 security extension: 2.0.1 TriggerMessage and UpdateFirmware are what these are
    // there, so they stay their own operations.
    only_16("ExtendedTriggerMessage"),
    only_16("SignedUpdateFirmware")
        .changing_trust()
        .followed_by(follow_up::SIGNED_FIRMWARE),
    both("GetLog", Unit::Plain).followed_by(follow_up::LOG),
    both("CertificateSigned", Unit::Certificates).changing_trust(),
    both("DeleteCertificate", Unit::Certificates).changing_trust(),
    both("GetInstalledCertificateIds", Unit::Certificates),
    both("InstallCertificate", Unit::Certificates).changing_trust(),
    only_201("GetBaseReport", Unit::Report),
    only_201("GetReport", Unit::Report),
    only_201("ClearDisplayMessage", Unit::Plain),
    only_201("ClearVariableMonitoring", Unit::Plain),
    only_201("CostUpdated", Unit::Plain),
    only_201("CustomerInformation", Unit::Plain).followed_by(follow_up::CUSTOMER_INFORMATION),
    only_201("GetChargingProfiles", Unit::Plain).followed_by(follow_up::CHARGING_PROFILES),
    only_201("GetDisplayMessages", Unit::Plain).followed_by(follow_up::DISPLAY_MESSAGES),
    only_201("GetMonitoringReport", Unit::Plain).followed_by(follow_up::MONITORING_REPORT),
    only_201("GetTransactionStatus", Unit::Plain),
    only_201("PublishFirmware", Unit::Plain)
        .changing_trust()
        .followed_by(follow_up::PUBLISH_FIRMWARE),
    only_201("SetDisplayMessage", Unit::Plain),
    only_201("SetMonitoringBase", Unit::Plain),
    only_201("SetMonitoringLevel", Unit::Plain),
    only_201("SetNetworkProfile", Unit::NetworkProfile).changing_trust(),
    only_201("SetVariableMonitoring", Unit::Plain),
    only_201("UnpublishFirmware", Unit::Plain).changing_trust(),
];

/// The actions an operator may send to a station speaking `version`, in its own names.
pub fn catalogue(version: OcppVersion) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = OPERATIONS
        .iter()
        .filter_map(|o| o.action(version))
        .collect();
    names.sort_unstable();
    names
}

/// An operator's action name, resolved for a station's version.
#[derive(Debug, Clone, Copy)]
pub struct Resolved {
    pub operation: &'static Operation,
    /// What goes in the CALL: the operation's name in the station's version.
    pub action: &'static str,
    pub version: OcppVersion,
    /// The version whose schema the operator's payload follows (the other one when the
    /// operator used the other version's name).
    pub written_for: OcppVersion,
}

/// Why an action name cannot be sent to a station.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unresolved {
    /// No version has a CSMS-initiated action of that name.
    Unknown,
    /// Another version has it, the station's has no counterpart.
    NotInVersion,
}

/// Finds the operation `name` means for a station speaking `version`: its own name first,
/// then the other version's name for the same operation.
pub fn resolve(version: OcppVersion, name: &str) -> Result<Resolved, Unresolved> {
    let other = match version {
        OcppVersion::V16 => OcppVersion::V201,
        OcppVersion::V201 => OcppVersion::V16,
    };
    for written_for in [version, other] {
        if let Some(operation) = OPERATIONS
            .iter()
            .find(|o| o.action(written_for) == Some(name))
        {
            return match operation.action(version) {
                Some(action) => Ok(Resolved {
                    operation,
                    action,
                    version,
                    written_for,
                }),
                None => Err(Unresolved::NotInVersion),
            };
        }
    }
    Err(Unresolved::Unknown)
}

/// The operation an action name of either version means.
pub fn named(name: &str) -> Option<&'static Operation> {
    OPERATIONS
        .iter()
        .find(|o| o.v16 == Some(name) || o.v201 == Some(name))
}

/// The operation a stored command belongs to.
pub fn of(command: &Command) -> Option<&'static Operation> {
    let version = command.version();
    OPERATIONS
        .iter()
        .find(|o| o.action(version) == Some(command.action.as_str()))
}

/// What an operator asked for, turned into the request(s) to queue: `Err` is the reason to
/// give the operator (a 400).
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub requests: Vec<Value>,
}

/// Turns the operator's payload into the requests to queue for the station's version,
/// validated against that version's schema.
pub fn prepare(
    sql: &impl Sql,
    charge_point_id: &str,
    resolved: &Resolved,
    payload: Value,
) -> Result<Result<Prepared, String>, CommandError> {
    let action = resolved.action;
    let to_build = resolved.operation.unit == Unit::SendLocalList
        && match crate::local_list::to_build(&payload) {
            Ok(to_build) => to_build,
            Err(reason) => return Ok(Err(format!("invalid {action} request: {reason}"))),
        };
    let requests = match resolved.operation.unit {
        Unit::RemoteStart => remote_start::prepare(sql, resolved, payload)?,
        Unit::RemoteStop => remote_stop::prepare(sql, charge_point_id, resolved, payload)?,
        Unit::Configure => split(
            sql,
            charge_point_id,
            resolved,
            configure::prepare(resolved, payload),
            "setVariableData",
        )?,
        Unit::ReadConfiguration => split(
            sql,
            charge_point_id,
            resolved,
            read_configuration::prepare(resolved, payload),
            "getVariableData",
        )?,
        // `{"updateType": ...}` alone: the central system builds the list when it sends it.
        Unit::SendLocalList if to_build => {
            return Ok(Ok(Prepared {
                requests: vec![payload],
            }));
        }
        Unit::Plain
        | Unit::CancelReservation
        | Unit::GetLocalListVersion
        | Unit::Report
        | Unit::ReserveNow
        | Unit::SendLocalList
        | Unit::SetChargingProfile
        | Unit::ClearChargingProfile => as_written(resolved, payload),
        Unit::NetworkProfile => match network_profile::check(sql, charge_point_id, &payload)? {
            Ok(()) => as_written(resolved, payload),
            Err(reason) => Err(reason),
        },
        Unit::Certificates => certificates::check(resolved.action, &payload)
            .and_then(|()| as_written(resolved, payload)),
    };
    let requests = match requests {
        Ok(requests) => requests,
        Err(reason) => return Ok(Err(reason)),
    };
    for request in &requests {
        let checked = match resolved.operation.unit {
            Unit::RemoteStart => remote_start::as_validated(resolved.version, request),
            _ => request.clone(),
        };
        if let Err(e) = validate_request(resolved.version, action, &checked) {
            return Ok(Err(format!(
                "invalid {action} request for OCPP {} ({}): {}",
                resolved.version.subprotocol(),
                e.code,
                e.description
            )));
        }
    }
    Ok(Ok(Prepared { requests }))
}

/// A 2.0.1 GetVariables / SetVariables with more entries than the station takes in one
/// message (`DeviceDataCtrlr.ItemsPerMessage`, instance GetVariables / SetVariables, as it
/// reported) becomes several requests, each within the limit.
fn split(
    sql: &impl Sql,
    charge_point_id: &str,
    resolved: &Resolved,
    prepared: Result<Vec<Value>, String>,
    list: &str,
) -> Result<Result<Vec<Value>, String>, CommandError> {
    let requests = match prepared {
        Ok(requests) if resolved.version == OcppVersion::V201 => requests,
        other => return Ok(other),
    };
    let Some(limit) =
        crate::device_model::items_per_message(sql, charge_point_id, resolved.action)?
    else {
        return Ok(Ok(requests));
    };
    let mut split = Vec::new();
    for request in requests {
        match request.get(list).and_then(Value::as_array) {
            Some(entries) if entries.len() > limit => {
                for chunk in entries.chunks(limit) {
                    let mut part = request.clone();
                    part[list] = Value::Array(chunk.to_vec());
                    split.push(part);
                }
            }
            _ => split.push(request),
        }
    }
    Ok(Ok(split))
}

/// The payload as the operator wrote it: only in the station's own version.
fn as_written(resolved: &Resolved, payload: Value) -> Result<Vec<Value>, String> {
    if resolved.written_for == resolved.version {
        Ok(vec![payload])
    } else {
        Err(format!(
            "{} is written for OCPP {}; this station speaks {}",
            resolved.action,
            resolved.written_for.subprotocol(),
            resolved.version.subprotocol()
        ))
    }
}

/// The request to send, completed by the central system when it is sent; `Ok(Err(reason))`
/// when it cannot be sent.
pub(crate) fn complete(
    sql: &impl Sql,
    command: &Command,
) -> Result<Result<Value, String>, CommandError> {
    match of(command).map(|o| o.unit) {
        Some(Unit::SendLocalList) => send_local_list::complete(sql, command),
        Some(Unit::RemoteStart) => Ok(Ok(remote_start::complete(command))),
        _ => Ok(Ok(command.request.clone())),
    }
}

/// What a valid answer changes besides the command itself; runs inside the transaction that
/// stores the answer.
pub(crate) fn apply(
    sql: &impl Sql,
    command: &Command,
    response: &Value,
    now: &str,
) -> Result<(), CommandError> {
    let Some(operation) = of(command) else {
        return Ok(());
    };
    match operation.unit {
        Unit::Configure => configure::apply(sql, command, response, now),
        Unit::ReadConfiguration => read_configuration::apply(sql, command, response, now),
        Unit::ReserveNow => reserve_now::apply(sql, command, response, now),
        Unit::CancelReservation => cancel_reservation::apply(sql, command, response, now),
        Unit::SendLocalList => send_local_list::apply(sql, command, response, now),
        Unit::GetLocalListVersion => get_local_list_version::apply(sql, command, response, now),
        Unit::RemoteStart => remote_start::apply(sql, command, response),
        Unit::SetChargingProfile => charging_profile::set(sql, command, response, now),
        Unit::ClearChargingProfile => charging_profile::clear(sql, command, response),
        Unit::Certificates => certificates::apply(sql, command, response, now),
        Unit::NetworkProfile => network_profile::apply(sql, command, response),
        Unit::RemoteStop | Unit::Report | Unit::Plain => Ok(()),
    }
}

/// The string at `path` in `value`.
pub(crate) fn text_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |v, key| v.get(*key))
        .and_then(Value::as_str)
}

/// Validates a CALL payload of `version`.
pub fn validate_request(
    version: OcppVersion,
    action: &str,
    payload: &Value,
) -> Result<(), PayloadError> {
    match version {
        OcppVersion::V16 => v16::Request::decode(action, payload).map(drop),
        OcppVersion::V201 => v201::Request::decode(action, payload).map(drop),
    }
}

/// Validates a CALLRESULT payload of `version`.
pub fn validate_response(
    version: OcppVersion,
    action: &str,
    payload: &Value,
) -> Result<(), PayloadError> {
    match version {
        OcppVersion::V16 => v16::Response::decode(action, payload).map(drop),
        OcppVersion::V201 => v201::Response::decode(action, payload).map(drop),
    }
}

/// A charge point's stored keys as (key, value, readonly), for tests.
#[cfg(test)]
pub(crate) fn stored(sql: &impl Sql, charge_point_id: &str) -> Vec<StoredKey> {
    crate::configuration::list(sql, charge_point_id)
        .unwrap()
        .into_iter()
        .map(|k| StoredKey {
            key: k.key,
            value: k.value,
            readonly: k.readonly,
        })
        .collect()
}

#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredKey {
    pub key: String,
    pub value: Option<String>,
    pub readonly: Option<bool>,
}

/// Queues `request` (1.6), sends it and answers it with `response` as the charge point `CP1`
/// would; returns the command id. For tests.
#[cfg(test)]
pub(crate) fn answered(
    db: &crate::test_support::Db,
    action: &str,
    request: Value,
    response: Value,
    now: chrono::DateTime<chrono::Utc>,
) -> i64 {
    answered_as(db, OcppVersion::V16, action, request, response, now)
}

/// [`answered`] for a station speaking `version`.
#[cfg(test)]
pub(crate) fn answered_as(
    db: &crate::test_support::Db,
    version: OcppVersion,
    action: &str,
    request: Value,
    response: Value,
    now: chrono::DateTime<chrono::Utc>,
) -> i64 {
    let id = crate::store::insert(&db.sql, "CP1", version, action, &request, now).unwrap();
    let call = crate::delivery::claim_next(&db.sql, "CP1", now)
        .unwrap()
        .unwrap();
    assert_eq!(call.command_id, id);
    let result = ocpp_protocol::CallResult {
        message_id: call.message_id,
        payload: response,
    };
    let outcome = crate::answer::on_result(&db.sql, "CP1", &result, now).unwrap();
    assert_eq!(outcome, crate::answer::Outcome::Answered(id), "{action}");
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocpp_protocol::actions;

    #[test]
    fn the_registry_holds_every_csms_initiated_action_of_both_versions_once() {
        for version in [OcppVersion::V16, OcppVersion::V201] {
            let mut expected: Vec<&str> = actions(version)
                .iter()
                .filter(|a| a.sent_by_csms())
                .map(|a| a.name)
                .collect();
            expected.sort_unstable();
            assert_eq!(catalogue(version), expected, "{version:?}");
        }
    }

    #[test]
    fn either_name_of_a_renamed_operation_resolves_to_the_stations_own() {
        let r = resolve(OcppVersion::V201, "RemoteStartTransaction").unwrap();
        assert_eq!(
            (r.action, r.written_for),
            ("RequestStartTransaction", OcppVersion::V16)
        );
        let r = resolve(OcppVersion::V16, "GetVariables").unwrap();
        assert_eq!(
            (r.action, r.written_for),
            ("GetConfiguration", OcppVersion::V201)
        );
        let r = resolve(OcppVersion::V201, "Reset").unwrap();
        assert_eq!((r.action, r.written_for), ("Reset", OcppVersion::V201));
        assert_eq!(
            resolve(OcppVersion::V201, "GetDiagnostics").unwrap_err(),
            Unresolved::NotInVersion
        );
        assert_eq!(
            resolve(OcppVersion::V16, "GetBaseReport").unwrap_err(),
            Unresolved::NotInVersion
        );
        assert_eq!(
            resolve(OcppVersion::V16, "BootNotification").unwrap_err(),
            Unresolved::Unknown
        );
        assert_eq!(
            resolve(OcppVersion::V16, "reset").unwrap_err(),
            Unresolved::Unknown
        );
    }
}
