//! InstallCertificate, DeleteCertificate, GetInstalledCertificateIds and CertificateSigned
//! (1.6 security extension and 2.0.1 block M / A): an Accepted answer changes the station's
//! certificate inventory ([`crate::certificates`]).

use csms_store::Sql;
use ocpp_protocol::OcppVersion;
use serde_json::Value;

use crate::certificates::{self, Hash, Known};
use crate::store::Command;
use crate::CommandError;

/// The type a 1.6 station's own certificate is recorded under (1.6 has no such enum).
const V16_STATION_CERTIFICATE: &str = "ChargePointCertificate";

/// 2.0.1 `GetCertificateIdUseEnumType`: what GetInstalledCertificateIds reports.
const V201_INSTALLED_TYPES: [&str; 5] = [
    "V2GRootCertificate",
    "MORootCertificate",
    "CSMSRootCertificate",
    "V2GCertificateChain",
    "ManufacturerRootCertificate",
];

/// A certificate sent to a station must be one: a PEM the station cannot read would only come
/// back as a Rejected it cannot explain.
pub(super) fn check(action: &str, payload: &Value) -> Result<(), String> {
    let read = match action {
        "InstallCertificate" => {
            text(payload, "certificate").map(|pem| csms_pki::facts::of_pem(pem, None))
        }
        "CertificateSigned" => text(payload, "certificateChain").map(csms_pki::facts::of_chain),
        _ => None,
    };
    match read {
        Some(Err(e)) => Err(format!("invalid {action} request: {e}")),
        _ => Ok(()),
    }
}

pub(super) fn apply(
    sql: &impl Sql,
    command: &Command,
    response: &Value,
    now: &str,
) -> Result<(), CommandError> {
    let status = response.get("status").and_then(Value::as_str);
    let cp = command.charge_point_id.as_str();
    let request = &command.request;
    match (command.action.as_str(), status) {
        ("InstallCertificate", Some("Accepted")) => {
            let (Some(pem), Some(kind)) = (
                text(request, "certificate"),
                text(request, "certificateType"),
            ) else {
                return Ok(());
            };
            record(sql, cp, kind, pem, "installed", now)
        }
        ("CertificateSigned", Some("Accepted")) => {
            let Some(chain) = text(request, "certificateChain") else {
                return Ok(());
            };
            let kind = match command.version() {
                OcppVersion::V16 => V16_STATION_CERTIFICATE,
                OcppVersion::V201 => {
                    text(request, "certificateType").unwrap_or("ChargingStationCertificate")
                }
            };
            record(sql, cp, kind, chain, "signed", now)
        }
        ("DeleteCertificate", Some("Accepted")) => {
            match request.get("certificateHashData").and_then(Hash::from_json) {
                Some(hash) => Ok(certificates::forget(sql, cp, &hash)?),
                None => Ok(()),
            }
        }
        ("GetInstalledCertificateIds", Some("Accepted" | "NotFound")) => {
            let (types, reported) = installed(command.version(), request, response);
            Ok(certificates::replace_reported(
                sql, cp, &types, &reported, now,
            )?)
        }
        _ => Ok(()),
    }
}

/// Keeps what the certificate says; one the CSMS cannot read is kept out of the inventory
/// rather than failing the answer (the station has it either way).
fn record(
    sql: &impl Sql,
    cp: &str,
    kind: &str,
    pem: &str,
    source: &str,
    now: &str,
) -> Result<(), CommandError> {
    let Ok(facts) = csms_pki::facts::of_chain(pem) else {
        return Ok(());
    };
    let Some(hash) = facts.hash.as_ref() else {
        return Ok(());
    };
    let known = Known {
        subject: Some(facts.subject.clone()),
        not_after: Some(ocpp_protocol::timestamp::format_utc(facts.not_after)),
    };
    Ok(certificates::hold(
        sql,
        cp,
        kind,
        &Hash::from(hash),
        &known,
        source,
        now,
    )?)
}

/// The types asked for and the certificates reported, in either version's shape.
fn installed(
    version: OcppVersion,
    request: &Value,
    response: &Value,
) -> (Vec<String>, Vec<(String, Hash)>) {
    match version {
        OcppVersion::V16 => {
            let kind = text(request, "certificateType")
                .unwrap_or_default()
                .to_owned();
            let reported = response
                .get("certificateHashData")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Hash::from_json)
                .map(|hash| (kind.clone(), hash))
                .collect();
            (vec![kind], reported)
        }
        OcppVersion::V201 => {
            let mut types: Vec<String> = request
                .get("certificateType")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            // No types asks for every GetCertificateIdUse type: the station's own
            // ChargingStationCertificate is not one, so what is known of it stays.
            if types.is_empty() {
                types = V201_INSTALLED_TYPES
                    .iter()
                    .map(|t| (*t).to_owned())
                    .collect();
            }
            let reported = response
                .get("certificateHashDataChain")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|entry| {
                    let kind = text(entry, "certificateType")?.to_owned();
                    Some((kind, Hash::from_json(entry.get("certificateHashData")?)?))
                })
                .collect();
            (types, reported)
        }
    }
}

fn text<'a>(value: &'a Value, field: &str) -> Option<&'a str> {
    value.get(field).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::answered_as;
    use crate::test_support::db;
    use serde_json::json;

    const ROOT: &str = include_str!("../../../csms-pki/tests/fixtures/ca.pem");

    fn now() -> chrono::DateTime<chrono::Utc> {
        ocpp_protocol::timestamp::parse_utc("2026-12-02T20:00:00Z").unwrap()
    }

    #[test]
    fn install_report_and_delete_keep_the_inventory() {
        let db = db();
        let v = OcppVersion::V201;
        answered_as(
            &db,
            v,
            "InstallCertificate",
            json!({"certificateType": "CSMSRootCertificate", "certificate": ROOT}),
            json!({"status": "Accepted"}),
            now(),
        );
        let held = certificates::list(&db.sql, "CP1").unwrap();
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].source, "installed");
        assert!(held[0]
            .subject
            .as_deref()
            .unwrap()
            .contains("Test Station CA"));
        assert!(held[0].not_after.is_some());
        let root = csms_pki::facts::of_pem(ROOT, None).unwrap().hash.unwrap();
        let hash = json!({"hashAlgorithm": "SHA256",
            "issuerNameHash": root.issuer_name_hash.to_uppercase(),
            "issuerKeyHash": root.issuer_key_hash, "serialNumber": root.serial_number});
        let other = json!({"hashAlgorithm": "SHA256", "issuerNameHash": "aa",
            "issuerKeyHash": "bb", "serialNumber": "1"});
        answered_as(
            &db,
            v,
            "GetInstalledCertificateIds",
            json!({}),
            json!({"status": "Accepted", "certificateHashDataChain": [
                {"certificateType": "CSMSRootCertificate", "certificateHashData": hash},
                {"certificateType": "ManufacturerRootCertificate", "certificateHashData": other}]}),
            now(),
        );
        let held = certificates::list(&db.sql, "CP1").unwrap();
        assert_eq!(held.len(), 2);
        let installed = held
            .iter()
            .find(|h| h.serial_number == root.serial_number)
            .unwrap();
        assert_eq!(installed.source, "installed", "what was known stays");
        assert!(installed.not_after.is_some());
        answered_as(
            &db,
            v,
            "DeleteCertificate",
            json!({"certificateHashData": hash}),
            json!({"status": "Accepted"}),
            now(),
        );
        let held = certificates::list(&db.sql, "CP1").unwrap();
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].serial_number, "1");
        // A report that names nothing of a type empties that type.
        answered_as(
            &db,
            OcppVersion::V16,
            "GetInstalledCertificateIds",
            json!({"certificateType": "ManufacturerRootCertificate"}),
            json!({"status": "NotFound"}),
            now(),
        );
        assert!(certificates::list(&db.sql, "CP1").unwrap().is_empty());
    }

    #[test]
    fn a_rejected_install_changes_nothing() {
        let db = db();
        answered_as(
            &db,
            OcppVersion::V16,
            "InstallCertificate",
            json!({"certificateType": "CentralSystemRootCertificate", "certificate": ROOT}),
            json!({"status": "Rejected"}),
            now(),
        );
        assert!(certificates::list(&db.sql, "CP1").unwrap().is_empty());
    }

    #[test]
    fn an_untyped_report_keeps_the_stations_own_certificate_and_serials_match_padded() {
        let db = db();
        let hold = |kind: &str, serial: &str, source: &str| {
            let hash = Hash {
                hash_algorithm: "SHA256".into(),
                issuer_name_hash: "cc".into(),
                issuer_key_hash: "dd".into(),
                serial_number: serial.into(),
            };
            certificates::hold(&db.sql, "CP1", kind, &hash, &Known::default(), source, "t")
                .unwrap();
        };
        hold("ChargingStationCertificate", "2", "signed");
        hold("CSMSRootCertificate", "a1b", "installed");
        let padded = json!({"hashAlgorithm": "SHA256", "issuerNameHash": "cc",
            "issuerKeyHash": "dd", "serialNumber": "0a1b"});
        answered_as(
            &db,
            OcppVersion::V201,
            "GetInstalledCertificateIds",
            json!({}),
            json!({"status": "Accepted", "certificateHashDataChain": [
                {"certificateType": "CSMSRootCertificate", "certificateHashData": padded}]}),
            now(),
        );
        let held = certificates::list(&db.sql, "CP1").unwrap();
        let kept: Vec<(&str, &str)> = held
            .iter()
            .map(|h| (h.certificate_type.as_str(), h.source.as_str()))
            .collect();
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert!(kept.contains(&("ChargingStationCertificate", "signed")));
        assert!(
            kept.contains(&("CSMSRootCertificate", "installed")),
            "the padded serial is the same certificate: {kept:?}"
        );
    }
}
