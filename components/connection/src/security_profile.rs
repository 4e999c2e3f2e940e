//! OCPP security profiles at the handshake: what each asks of the way a station connects.
//!
//! 0: nothing. 1: HTTP Basic with the station's password. 2: the same over TLS 1.2 or later.
//! 3: TLS with a client certificate the terminator verified against the charging-station CA,
//! whose subject CN is the charge point id (and O the operator's organisation, when the
//! `client_certificate_organization` variable names one); no password. A station registered
//! at 2 or 3 that arrives with less is refused and the attempt is recorded, since it is what
//! a downgrade attack looks like.

use serde_json::{json, Value};

use crate::transport::{ClientCertificate, Transport};

/// What the station must still show once its transport passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    /// Its Basic auth password (profiles 1 and 2).
    Password,
    /// Nothing more (profile 0; profile 3, whose certificate is its credential).
    Admit,
}

/// Why a transport does not meet a station's profile: a security event for the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// In the spirit of OCPP's security event types (`InvalidTLSVersion`,
    /// `InvalidChargingStationCertificate`, ...).
    pub event_type: &'static str,
    pub reason: String,
}

impl Refusal {
    fn new(event_type: &'static str, reason: impl Into<String>) -> Self {
        Self {
            event_type,
            reason: reason.into(),
        }
    }

    /// How it is kept in `station_events` (action [`CSMS_SECURITY_EVENT`]): the fields of a
    /// SecurityEventNotification, so both kinds read alike.
    pub fn event(&self, timestamp: &str) -> Value {
        json!({"type": self.event_type, "timestamp": timestamp, "techInfo": self.reason})
    }
}

/// The `station_events.action` of what the CSMS itself saw (not a station's message).
pub const CSMS_SECURITY_EVENT: &str = "CsmsSecurityEvent";

pub fn check(
    profile: i64,
    transport: &Transport,
    charge_point_id: &str,
    organization: Option<&str>,
) -> Result<Then, Refusal> {
    let needs_tls = |profile: i64| match transport {
        Transport::Plain => Err(Refusal::new(
            "SecurityProfileDowngrade",
            format!("security profile {profile} needs TLS; the station connected without it"),
        )),
        Transport::Tls { protocol, .. } if !transport.allowed_tls() => Err(Refusal::new(
            "InvalidTLSVersion",
            format!(
                "security profile {profile} needs TLS 1.2 or later; the station used {protocol}"
            ),
        )),
        Transport::Tls { client, .. } => Ok(client),
    };
    match profile {
        0 => Ok(Then::Admit),
        1 => Ok(Then::Password),
        2 => needs_tls(2).map(|_| Then::Password),
        3 => {
            let (common_name, found_organization) = match needs_tls(3)? {
                ClientCertificate::Verified {
                    common_name,
                    organization,
                } => (common_name, organization),
                ClientCertificate::None => {
                    return Err(certificate("the station presented no client certificate"))
                }
                ClientCertificate::Invalid(why) => return Err(certificate(why.clone())),
            };
            if common_name.as_deref() != Some(charge_point_id) {
                return Err(certificate(format!(
                    "the client certificate's subject CN is {common_name:?}, not the charge point id {charge_point_id:?}"
                )));
            }
            if let Some(expected) = organization {
                if found_organization.as_deref() != Some(expected) {
                    return Err(certificate(format!(
                        "the client certificate's subject O is {found_organization:?}, not {expected:?}"
                    )));
                }
            }
            Ok(Then::Admit)
        }
        other => Err(Refusal::new(
            "SecurityProfileDowngrade",
            format!("the registry holds security profile {other}, which does not exist"),
        )),
    }
}

fn certificate(reason: impl Into<String>) -> Refusal {
    Refusal::new("InvalidChargingStationCertificate", reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls(client: ClientCertificate) -> Transport {
        Transport::Tls {
            protocol: "TLSv1.3".into(),
            client,
        }
    }

    fn verified(cn: &str, o: &str) -> Transport {
        tls(ClientCertificate::Verified {
            common_name: Some(cn.into()),
            organization: Some(o.into()),
        })
    }

    #[test]
    fn profiles_one_and_two_need_the_password_two_only_over_tls() {
        assert_eq!(check(0, &Transport::Plain, "CP1", None), Ok(Then::Admit));
        assert_eq!(check(1, &Transport::Plain, "CP1", None), Ok(Then::Password));
        assert_eq!(
            check(2, &tls(ClientCertificate::None), "CP1", None),
            Ok(Then::Password)
        );
        let refused = check(2, &Transport::Plain, "CP1", None).unwrap_err();
        assert_eq!(refused.event_type, "SecurityProfileDowngrade");
        let old = Transport::Tls {
            protocol: "TLSv1.1".into(),
            client: ClientCertificate::None,
        };
        assert_eq!(
            check(2, &old, "CP1", None).unwrap_err().event_type,
            "InvalidTLSVersion"
        );
    }

    #[test]
    fn profile_three_needs_a_verified_certificate_for_this_id_and_organization() {
        assert_eq!(
            check(3, &verified("CP1", "Acme"), "CP1", None),
            Ok(Then::Admit)
        );
        assert_eq!(
            check(3, &verified("CP1", "Acme"), "CP1", Some("Acme")),
            Ok(Then::Admit)
        );
        for (transport, org) in [
            (Transport::Plain, None),
            (tls(ClientCertificate::None), None),
            (
                tls(ClientCertificate::Invalid("FAILED:expired".into())),
                None,
            ),
            (verified("CP2", "Acme"), None),
            (verified("CP1", "Other"), Some("Acme")),
        ] {
            let refused = check(3, &transport, "CP1", org).unwrap_err();
            assert!(!refused.reason.is_empty(), "{transport:?}");
        }
        assert_eq!(
            check(3, &verified("CP2", "Acme"), "CP1", None)
                .unwrap_err()
                .event_type,
            "InvalidChargingStationCertificate"
        );
    }
}
