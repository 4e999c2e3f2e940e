//! Settings from Spin variables, parsed once per request.

/// What to do with a charge point that is not in the registry (Spin variable
/// `unknown_charge_points`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownChargePoints {
    /// Refuse the WebSocket handshake with 404 (the default).
    Reject,
    /// Let it connect; its BootNotification is answered Pending and it is
    /// registered as Pending for an operator to accept.
    Pending,
    /// Register it as Accepted on its first BootNotification.
    Accept,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub unknown_charge_points: UnknownChargePoints,
    /// BootNotification's heartbeat interval in seconds.
    pub heartbeat_interval: i64,
    /// When set, every request must carry a valid Grip-Sig signed with it.
    pub grip_sig_key: Option<String>,
    /// Seconds a central-system call may stay unanswered (`command_timeout_seconds`).
    pub command_timeout_seconds: i64,
    /// The subject O a security profile 3 client certificate must name
    /// (`client_certificate_organization`); any when unset.
    pub client_certificate_organization: Option<String>,
    /// The PEM CA certificates a forwarded client certificate must be issued by
    /// (`client_ca_certificates`, else `station_ca_certificate`); read only for requests that
    /// forward one.
    pub client_ca_certificates: Option<String>,
    /// The CA that signs SignCertificate requests; `Err` (why there is none) answers them
    /// Rejected.
    pub station_ca: Result<crate::sign_certificate::StationCa, String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            unknown_charge_points: UnknownChargePoints::Reject,
            heartbeat_interval: 300,
            grip_sig_key: None,
            command_timeout_seconds: csms_commands::DEFAULT_TIMEOUT_SECONDS,
            client_certificate_organization: None,
            client_ca_certificates: None,
            station_ca: Err(crate::sign_certificate::NO_STATION_CA.to_owned()),
        }
    }
}

/// A variable has a value this component cannot use.
#[derive(Debug, thiserror::Error)]
#[error("variable {name} = {value:?}: {expected}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl Config {
    /// Builds the config from variable values (`None` = not set / empty).
    pub fn from_variables(
        unknown_charge_points: Option<&str>,
        heartbeat_interval: Option<&str>,
        grip_sig_key: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let unknown = match unknown_charge_points.unwrap_or("reject") {
            "reject" => UnknownChargePoints::Reject,
            "pending" => UnknownChargePoints::Pending,
            "accept" => UnknownChargePoints::Accept,
            other => {
                return Err(ConfigError {
                    name: "unknown_charge_points",
                    value: other.to_owned(),
                    expected: "one of reject, pending, accept",
                })
            }
        };
        let heartbeat_interval = match heartbeat_interval {
            None => 300,
            Some(text) => match text.parse::<i64>() {
                Ok(v) if v > 0 => v,
                _ => {
                    return Err(ConfigError {
                        name: "heartbeat_interval",
                        value: text.to_owned(),
                        expected: "a positive number of seconds",
                    })
                }
            },
        };
        Ok(Self {
            unknown_charge_points: unknown,
            heartbeat_interval,
            grip_sig_key: grip_sig_key.filter(|k| !k.is_empty()).map(str::to_owned),
            command_timeout_seconds: csms_commands::DEFAULT_TIMEOUT_SECONDS,
            client_certificate_organization: None,
            client_ca_certificates: None,
            station_ca: Err(crate::sign_certificate::NO_STATION_CA.to_owned()),
        })
    }

    /// Sets the organisation profile 3 certificates must name (`None` or empty = any).
    pub fn with_client_certificate_organization(mut self, value: Option<&str>) -> Self {
        self.client_certificate_organization = value.filter(|v| !v.is_empty()).map(str::to_owned);
        self
    }

    /// Sets the CAs client certificates are checked against: `client_ca_certificates`, or the
    /// station CA's certificate when that is not set (`None` or empty = not set).
    pub fn with_client_ca_certificates(
        mut self,
        client_ca_certificates: Option<&str>,
        station_ca_certificate: Option<&str>,
    ) -> Self {
        self.client_ca_certificates = client_ca_certificates
            .filter(|v| !v.trim().is_empty())
            .or(station_ca_certificate.filter(|v| !v.trim().is_empty()))
            .map(str::to_owned);
        self
    }

    /// Sets the station CA from its variables (`None` or empty certificate or key = none);
    /// the validity is in days, 365 when not set. A value it cannot use does not fail the
    /// request: SignCertificate is answered Rejected with the reason.
    pub fn with_station_ca(
        mut self,
        certificate_pem: Option<&str>,
        key_pem: Option<&str>,
        validity_days: Option<&str>,
    ) -> Self {
        let validity_days = match validity_days {
            None => Ok(crate::sign_certificate::DEFAULT_VALIDITY_DAYS),
            Some(text) => match text.parse::<u32>() {
                Ok(days) if (1..=3650).contains(&days) => Ok(days),
                _ => Err(ConfigError {
                    name: "station_certificate_validity_days",
                    value: text.to_owned(),
                    expected: "a number of days from 1 to 3650",
                }
                .to_string()),
            },
        };
        self.station_ca = match (certificate_pem, key_pem) {
            (Some(certificate), Some(key)) if !certificate.is_empty() && !key.is_empty() => {
                validity_days.map(|validity_days| crate::sign_certificate::StationCa {
                    certificate_pem: certificate.to_owned(),
                    key_pem: key.to_owned(),
                    validity_days,
                })
            }
            _ => Err(crate::sign_certificate::NO_STATION_CA.to_owned()),
        };
        self
    }

    /// Sets the command timeout from the `command_timeout_seconds` variable (`None` = 60).
    pub fn with_command_timeout(mut self, value: Option<&str>) -> Result<Self, ConfigError> {
        self.command_timeout_seconds =
            csms_commands::timeout_seconds(value).map_err(|_| ConfigError {
                name: "command_timeout_seconds",
                value: value.unwrap_or_default().to_owned(),
                expected: "a positive number of seconds",
            })?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_reject_unknown_charge_points_and_beat_every_five_minutes() {
        let c = Config::from_variables(None, None, Some("")).unwrap();
        assert_eq!(c.unknown_charge_points, UnknownChargePoints::Reject);
        assert_eq!(c.heartbeat_interval, 300);
        assert!(c.grip_sig_key.is_none());
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = Config::from_variables(Some("maybe"), None, None).unwrap_err();
        assert!(e.to_string().contains("unknown_charge_points"));
        assert!(Config::from_variables(None, Some("0"), None).is_err());
    }
}
