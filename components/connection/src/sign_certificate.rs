//! SignCertificate (1.6 security extension, 2.0.1 A02/A03): a station asks the CSMS to sign a
//! new key for it. The request is checked ([`csms_pki::csr`]) and, when it passes, signed by
//! the charging-station CA of the `station_ca_certificate` / `station_ca_key` variables; the
//! certificate goes back with CertificateSigned, queued as a command so that the operator can
//! follow it, and sent in the same GRIP answer right after the SignCertificate response. A
//! request that fails a check, from a station that did not authenticate, or one the CSMS
//! cannot sign, is answered Rejected, kept with the reason as a security event, and never
//! signed.

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

pub(crate) const NO_STATION_CA: &str =
    "no charging-station CA is configured (variables station_ca_certificate and station_ca_key)";

/// Why nothing was signed: whose fault it is decides the security event and the reason code.
#[derive(Debug)]
struct NotSigned {
    /// The `type` of the CSMS security event kept for the operator.
    event_type: &'static str,
    /// 2.0.1 `statusInfo.reasonCode` (at most 20 characters).
    reason_code: &'static str,
    reason: String,
}

impl NotSigned {
    /// The request itself is wrong (A02.FR.04: a CSR that fails a check).
    fn request(reason: impl Into<String>) -> Self {
        Self {
            event_type: "InvalidCsr",
            reason_code: "InvalidCSR",
            reason: reason.into(),
        }
    }

    /// Nothing proves the station is who it says: a certificate would give anyone its name.
    fn unauthenticated(reason: impl Into<String>) -> Self {
        Self {
            event_type: "UnauthenticatedCsr",
            reason_code: "NotAuthenticated",
            reason: reason.into(),
        }
    }

    /// The CSMS cannot sign (no CA, a CA it cannot use); the operator has to act.
    fn csms(reason: impl Into<String>) -> Self {
        Self {
            event_type: "CertificateAuthorityUnavailable",
            reason_code: "CAUnavailable",
            reason: reason.into(),
        }
    }
}

pub fn handle<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    incoming: &Incoming<'_>,
    version: OcppVersion,
) -> Result<Value, HandlerError> {
    let cp = incoming.charge_point_id;
    let decision = match authenticated(env, cp)? {
        Ok(()) => sign(env, incoming, version),
        Err(not_signed) => Err(not_signed),
    };
    let status = if decision.is_ok() {
        "Accepted"
    } else {
        "Rejected"
    };
    let mut answer = json!({"status": status});
    if let (Err(not_signed), OcppVersion::V201) = (&decision, version) {
        answer["statusInfo"] = json!({
            "reasonCode": not_signed.reason_code,
            "additionalInfo": truncate(&not_signed.reason, 512),
        });
    }
    let queued = std::cell::Cell::new(None);
    let answer = station_events::keep_and_answer_with(env, incoming, answer, |sql, now| {
        match &decision {
            Ok(request) => {
                let id = store::insert(sql, cp, version, "CertificateSigned", request, env.now)?;
                queued.set(Some(id));
            }
            Err(not_signed) => {
                eprintln!(
                    "connection: SignCertificate of {cp:?} rejected: {}: {}",
                    not_signed.event_type, not_signed.reason
                );
                let event = json!({"type": not_signed.event_type, "timestamp": now,
                                   "techInfo": not_signed.reason});
                station_events::insert(sql, cp, CSMS_SECURITY_EVENT, &event, now)?;
            }
        }
        Ok(())
    })?;
    if let Some(id) = queued.get() {
        // Committed: this request's own look for a command to send must see it.
        crate::csms_calls::mark_queued(env, cp, id);
    }
    Ok(answer)
}

/// A certificate names the station, so only a station that proved its identity when it
/// connected gets one: with its password (profiles 1 and 2) or a client certificate (3).
fn authenticated<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    charge_point_id: &str,
) -> Result<Result<(), NotSigned>, HandlerError> {
    let registered = crate::registry::find(env.sql, charge_point_id)?;
    Ok(match registered {
        Some(cp) if cp.security_profile == 3 => Ok(()),
        Some(cp) if cp.password_hash.is_some() && cp.security_profile >= 1 => Ok(()),
        Some(_) => Err(NotSigned::unauthenticated(
            "the station connected without a password or a client certificate; register a \
             password or security profile 3 for it to be signed a certificate",
        )),
        None => Err(NotSigned::unauthenticated(
            "the station is not in the registry",
        )),
    })
}

/// The CertificateSigned request to queue, or why nothing is signed.
fn sign<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    incoming: &Incoming<'_>,
    version: OcppVersion,
) -> Result<Value, NotSigned> {
    let ca = env.config.station_ca.as_ref().map_err(NotSigned::csms)?;
    let kind = incoming
        .payload
        .get("certificateType")
        .and_then(Value::as_str);
    if kind == Some("V2GCertificate") {
        return Err(NotSigned::request(
            "V2G certificates come from the V2G PKI; this CSMS signs ChargingStationCertificates only",
        ));
    }
    let pem = incoming
        .payload
        .get("csr")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let authority = Authority::from_pem(&ca.certificate_pem, &ca.key_pem)
        .map_err(|e| NotSigned::csms(format!("the configured CA cannot sign: {e}")))?;
    let checked = csr::check(
        pem,
        incoming.charge_point_id,
        env.config.client_certificate_organization.as_deref(),
    )
    .map_err(|e| NotSigned::request(e.to_string()))?;
    let serial = csms_store::credentials::random_bytes::<16>()
        .map_err(|e| NotSigned::csms(format!("drawing a serial number: {e}")))?;
    let issued = authority
        .sign(&checked, env.now, ca.validity_days, serial)
        .map_err(|e| NotSigned::csms(e.to_string()))?;
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
