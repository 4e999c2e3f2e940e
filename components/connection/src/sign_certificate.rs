//! SignCertificate (1.6 security extension, 2.0.1 A02/A03): a station asks the CSMS to sign a
//! new key for it. The request is checked ([`csms_pki::csr`]) and, when it passes, signed by
//! the charging-station CA of the `station_ca_certificate` / `station_ca_key` variables; the
//! certificate goes back with CertificateSigned, queued as a command so that the operator can
//! follow it, and sent in the same GRIP answer right after the SignCertificate response. A
//! request that fails a check is answered Rejected, kept with the reason as a security event,
//! and never signed.

use csms_commands::store;
use csms_pki::{csr, Authority};
use csms_store::{KeyValue, Sql};
use ocpp_protocol::timestamp::format_utc;
use ocpp_protocol::OcppVersion;
use serde_json::{json, Value};

use crate::dispatch::Incoming;
use crate::security_profile::CSMS_SECURITY_EVENT;
use crate::session::Env;
use crate::{station_events, HandlerError};

/// The CA that signs station certificates (Spin variables `station_ca_certificate`,
/// `station_ca_key`, `station_certificate_validity_days`).
#[derive(Clone)]
pub struct StationCa {
    pub certificate_pem: String,
    pub key_pem: String,
    pub validity_days: u32,
}

impl std::fmt::Debug for StationCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StationCa")
            .field("validity_days", &self.validity_days)
            .finish_non_exhaustive()
    }
}

/// How long a signed station certificate is valid when the variable does not say.
pub const DEFAULT_VALIDITY_DAYS: u32 = 365;

pub fn handle<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    incoming: &Incoming<'_>,
    version: OcppVersion,
) -> Result<Value, HandlerError> {
    let cp = incoming.charge_point_id;
    let decision = sign(env, incoming, version);
    let status = if decision.is_ok() {
        "Accepted"
    } else {
        "Rejected"
    };
    let mut answer = json!({"status": status});
    if let (Err(reason), OcppVersion::V201) = (&decision, version) {
        answer["statusInfo"] =
            json!({"reasonCode": "InvalidCSR", "additionalInfo": truncate(reason, 512)});
    }
    station_events::keep_and_answer_with(env, incoming, answer, |sql, now| {
        match &decision {
            Ok(request) => {
                store::insert(sql, cp, version, "CertificateSigned", request, env.now)?;
            }
            Err(reason) => {
                eprintln!("connection: SignCertificate of {cp:?} rejected: {reason}");
                let event = json!({"type": "InvalidCsr", "timestamp": now, "techInfo": reason});
                station_events::insert(sql, cp, CSMS_SECURITY_EVENT, &event, now)?;
            }
        }
        Ok(())
    })
}

/// The CertificateSigned request to queue, or why nothing is signed.
fn sign<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    incoming: &Incoming<'_>,
    version: OcppVersion,
) -> Result<Value, String> {
    let ca = env.config.station_ca.as_ref().ok_or(
        "no charging-station CA is configured (variables station_ca_certificate and station_ca_key)",
    )?;
    let kind = incoming
        .payload
        .get("certificateType")
        .and_then(Value::as_str);
    if kind == Some("V2GCertificate") {
        return Err("V2G certificates come from the V2G PKI; this CSMS signs ChargingStationCertificates only".to_owned());
    }
    let pem = incoming
        .payload
        .get("csr")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let authority = Authority::from_pem(&ca.certificate_pem, &ca.key_pem)
        .map_err(|e| format!("the configured CA cannot sign: {e}"))?;
    let checked = csr::check(
        pem,
        incoming.charge_point_id,
        env.config.client_certificate_organization.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    let serial = csms_store::credentials::random_bytes::<16>()
        .map_err(|e| format!("drawing a serial number: {e}"))?;
    let issued = authority
        .sign(&checked, env.now, ca.validity_days, serial)
        .map_err(|e| e.to_string())?;
    eprintln!(
        "connection: signed a certificate for {:?} valid until {}",
        incoming.charge_point_id,
        format_utc(issued.facts.not_after)
    );
    Ok(match version {
        OcppVersion::V16 => json!({"certificateChain": issued.chain_pem}),
        OcppVersion::V201 => json!({
            "certificateChain": issued.chain_pem,
            "certificateType": "ChargingStationCertificate",
        }),
    })
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}
