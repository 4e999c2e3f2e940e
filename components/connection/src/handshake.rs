//! Accepting or refusing a WebSocket (the GRIP OPEN event).
//!
//! The gateway does not negotiate anything itself: the subprotocol the
//! charge point gets is the one this component names, and a non-2xx answer
//! makes the gateway fail the upgrade with that status.

use crate::security_profile::{self, Refusal, Then, CSMS_SECURITY_EVENT};
use crate::session::{Env, GripRequest};
use crate::transport;
use crate::UnknownChargePoints;
use crate::{registry, station_events};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use csms_commands::password;
use csms_store::{KeyValue, Sql, StoreError};
use ocpp_protocol::OcppVersion;

/// The versions this central system supports.
pub const SUPPORTED_VERSIONS: &[OcppVersion] = &[OcppVersion::V16, OcppVersion::V201];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handshake {
    Accept {
        version: OcppVersion,
    },
    /// Nothing offered is spoken here (or allowed by the operator's pin): OCPP-J Part 4
    /// §3.1.2 has the CSMS finish the handshake without `Sec-WebSocket-Protocol`, then close.
    NoCommonVersion {
        reason: String,
    },
    Refuse {
        status: u16,
        reason: String,
    },
}

fn refuse(status: u16, reason: impl Into<String>) -> Handshake {
    Handshake::Refuse {
        status,
        reason: reason.into(),
    }
}

pub fn open<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    req: &GripRequest,
    charge_point_id: &str,
) -> Result<Handshake, StoreError> {
    if let Some(untrusted) = untrusted_transport(env, req, charge_point_id) {
        return untrusted;
    }
    let offered = req.header("sec-websocket-protocol").unwrap_or_default();
    let registered = registry::find(env.sql, charge_point_id)?;
    let pinned: Option<OcppVersion> = registered
        .as_ref()
        .and_then(|cp| cp.ocpp_version_pin.as_deref())
        .and_then(|pin| pin.parse().ok());
    let allowed: Vec<OcppVersion> = match pinned {
        Some(pin) => vec![pin],
        None => SUPPORTED_VERSIONS.to_vec(),
    };
    let Some(version) = OcppVersion::negotiate(offered, &allowed) else {
        let speaks: Vec<&str> = allowed.iter().map(|v| v.subprotocol()).collect();
        return Ok(Handshake::NoCommonVersion {
            reason: format!(
                "charge point {charge_point_id:?} offered no OCPP version it may speak here \
                 (offered {offered:?}, allowed {})",
                speaks.join(", ")
            ),
        });
    };
    let accept = Handshake::Accept { version };
    Ok(match registered {
        None => match env.config.unknown_charge_points {
            UnknownChargePoints::Reject => refuse(
                404,
                format!("charge point {charge_point_id:?} is not registered"),
            ),
            UnknownChargePoints::Pending | UnknownChargePoints::Accept => accept,
        },
        Some(cp) => {
            let transport =
                transport::read(req, env.config.client_ca_certificates.as_deref(), env.now);
            if upgraded(env, req, &cp, &transport, charge_point_id)? {
                return Ok(accept);
            }
            let then = match security_profile::check(
                cp.security_profile,
                &transport,
                charge_point_id,
                env.config.client_certificate_organization.as_deref(),
            ) {
                Ok(then) => then,
                Err(refusal) => return refused(env, charge_point_id, &refusal),
            };
            if then == Then::Admit {
                return Ok(accept);
            }
            if password_valid(env, req, &cp, charge_point_id)? {
                accept
            } else {
                refuse(
                    401,
                    "HTTP Basic authentication with the charge point id and its password is required",
                )
            }
        }
    })
}

/// Whether the station's Basic auth password is its current or its pending one.
fn password_valid<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    req: &GripRequest,
    cp: &registry::ChargePoint,
    charge_point_id: &str,
) -> Result<bool, StoreError> {
    let presented = basic_auth_password(req.header("authorization"), charge_point_id);
    password::accepts(
        env.sql,
        charge_point_id,
        cp.password_hash.as_deref(),
        cp.pending_password_hash.as_deref(),
        presented.as_deref(),
    )
}

/// A station with a pending higher profile that connects meeting it: the profile becomes its
/// own, and from now on the old one is refused. A connection that does not meet it is judged
/// by the current profile, silently: the station may not have switched yet.
fn upgraded<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    req: &GripRequest,
    cp: &registry::ChargePoint,
    transport: &transport::Transport,
    charge_point_id: &str,
) -> Result<bool, StoreError> {
    let Some(target) = cp
        .pending_security_profile
        .filter(|p| *p > cp.security_profile)
    else {
        return Ok(false);
    };
    let then = match security_profile::check(
        target,
        transport,
        charge_point_id,
        env.config.client_certificate_organization.as_deref(),
    ) {
        Ok(then) => then,
        Err(_) => return Ok(false),
    };
    // A station without a password would pass any password check: it is not moved to a
    // profile whose only credential is one.
    if then == Then::Password
        && (cp.password_hash.is_none() || !password_valid(env, req, cp, charge_point_id)?)
    {
        return Ok(false);
    }
    env.sql.execute(
        "UPDATE charge_points SET security_profile = ?, pending_security_profile = NULL WHERE id = ?",
        &[target.into(), charge_point_id.into()],
    )?;
    eprintln!("connection: {charge_point_id:?} now connects with security profile {target}");
    Ok(true)
}

/// The terminator's headers count only on requests the gateway signed: without
/// `grip_sig_key` nothing proves a request came through it, so a request that claims TLS or a
/// client certificate is refused rather than believed.
fn untrusted_transport<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    req: &GripRequest,
    charge_point_id: &str,
) -> Option<Result<Handshake, StoreError>> {
    if env.config.grip_sig_key.is_some() || !transport::claimed(req) {
        return None;
    }
    let refusal = Refusal {
        event_type: "UntrustedTransportHeaders",
        reason: format!(
            "a request claimed TLS or a client certificate ({}, {}, {}) without a Grip-Sig; set \
             grip_sig_key, shared with the gateway, for such headers to be trusted",
            transport::TLS_PROTOCOL,
            transport::CLIENT_VERIFY,
            transport::CLIENT_CERT
        ),
    };
    // Logged, not recorded: anyone can send this for any id, and a record per attempt would
    // let strangers fill the store.
    eprintln!(
        "connection: refusing {charge_point_id:?}: {}: {}",
        refusal.event_type, refusal.reason
    );
    Some(Ok(refuse(
        401,
        format!("{}: {}", refusal.event_type, refusal.reason),
    )))
}

/// A 401 for a transport that does not meet a registered station's profile, kept as a
/// security event the operator sees in the API, and logged. The same refusal again within
/// [`REPEAT_WINDOW_SECONDS`] is only logged, so a client retrying in a loop adds one record
/// a minute, not one per attempt.
fn refused<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    charge_point_id: &str,
    refusal: &Refusal,
) -> Result<Handshake, StoreError> {
    eprintln!(
        "connection: refusing {charge_point_id:?}: {}: {}",
        refusal.event_type, refusal.reason
    );
    let now = ocpp_protocol::timestamp::format_utc(env.now);
    if !recorded_lately(env, charge_point_id, refusal)? {
        station_events::insert(
            env.sql,
            charge_point_id,
            CSMS_SECURITY_EVENT,
            &refusal.event(&now),
            &now,
        )?;
    }
    Ok(refuse(
        401,
        format!("{}: {}", refusal.event_type, refusal.reason),
    ))
}

const REPEAT_WINDOW_SECONDS: i64 = 60;

/// Whether the station's newest CSMS security event is this refusal, from the last minute.
fn recorded_lately<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    charge_point_id: &str,
    refusal: &Refusal,
) -> Result<bool, StoreError> {
    let rows = env.sql.execute(
        "SELECT payload, received_at FROM station_events WHERE charge_point_id = ? AND action = ? \
         ORDER BY id DESC LIMIT 1",
        &[charge_point_id.into(), CSMS_SECURITY_EVENT.into()],
    )?;
    let Some(row) = rows.first() else {
        return Ok(false);
    };
    let payload: serde_json::Value =
        serde_json::from_str(&row.text(0, "station_events.payload")?).unwrap_or_default();
    let same = payload.get("type").and_then(serde_json::Value::as_str) == Some(refusal.event_type)
        && payload.get("techInfo").and_then(serde_json::Value::as_str)
            == Some(refusal.reason.as_str());
    let recent = ocpp_protocol::timestamp::parse_utc(&row.text(1, "station_events.received_at")?)
        .is_some_and(|at| (env.now - at).num_seconds() < REPEAT_WINDOW_SECONDS);
    Ok(same && recent)
}

/// Security profile 1: `Authorization: Basic base64(<charge point id>:<password>)`; the
/// password, when the header is that and names this charge point.
fn basic_auth_password(header: Option<&str>, charge_point_id: &str) -> Option<String> {
    let (scheme, encoded) = header?.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let credentials = String::from_utf8(decoded).ok()?;
    let (user, password) = credentials.split_once(':')?;
    (user == charge_point_id).then(|| password.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use csms_store::credentials::hash_password;

    fn basic(user: &str, password: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
    }

    fn basic_auth_matches(header: Option<&str>, charge_point_id: &str, hash: &str) -> bool {
        basic_auth_password(header, charge_point_id)
            .is_some_and(|p| csms_store::credentials::verify_password(&p, hash))
    }

    #[test]
    fn basic_auth_needs_the_charge_point_id_and_its_password() {
        let hash = hash_password("secret-key-0123456").unwrap();
        assert!(basic_auth_matches(
            Some(&basic("CP1", "secret-key-0123456")),
            "CP1",
            &hash
        ));
        assert!(!basic_auth_matches(
            Some(&basic("CP2", "secret-key-0123456")),
            "CP1",
            &hash
        ));
        assert!(!basic_auth_matches(
            Some(&basic("CP1", "wrong")),
            "CP1",
            &hash
        ));
        assert!(!basic_auth_matches(Some("Bearer abc"), "CP1", &hash));
        assert!(!basic_auth_matches(Some("Basic !!!"), "CP1", &hash));
        assert!(!basic_auth_matches(None, "CP1", &hash));
    }
}
