//! Who may do what: operator API tokens carry a role, and each route and method needs one.
//!
//! Roles are ordered, each including the ones before it: a `viewer` reads everything, an
//! `operator` also controls the network (commands, operator closes, id tags), an `admin` also
//! manages what the network is (charge point registry and credentials, tariffs, API tokens)
//! and reads the audit log. The `api_token` Spin variable is the bootstrap admin, named
//! [`BOOTSTRAP`]; every other token lives in the `api_tokens` table as a digest.

use anyhow::Context as _;
use csms_store::{credentials, Sql};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::problem::{ApiError, Problem};
use crate::router::{Method, Resource};

/// The name the `api_token` variable acts under in the audit log; no stored token may take it.
pub(crate) const BOOTSTRAP: &str = "bootstrap";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Role {
    Viewer,
    Operator,
    Admin,
}

impl Role {
    pub(crate) const ALL: [Role; 3] = [Role::Viewer, Role::Operator, Role::Admin];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

/// The bearer token a request presented, before it is checked against the store.
pub(crate) enum Credential {
    /// It equals the `api_token` variable.
    Bootstrap,
    /// Anything else: looked up by digest.
    Token(String),
}

/// The token itself never reaches a log.
impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Bootstrap => f.write_str("Bootstrap"),
            Credential::Token(_) => f.write_str("Token(<redacted>)"),
        }
    }
}

impl Credential {
    /// Compares in constant time with the variable, which matches nothing when empty, so a
    /// deployment without `api_token` has no bootstrap admin rather than an open one.
    pub(crate) fn of(token: &str, api_token: &str) -> Credential {
        let bootstrap: bool = token.as_bytes().ct_eq(api_token.as_bytes()).into();
        if bootstrap && !api_token.is_empty() {
            Credential::Bootstrap
        } else {
            Credential::Token(token.to_owned())
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    pub(crate) name: String,
    pub(crate) role: Role,
}

/// The caller a credential belongs to; a token that is unknown or revoked is a 401.
pub(crate) fn authenticate(sql: &impl Sql, credential: &Credential) -> Result<Caller, Problem> {
    let token = match credential {
        Credential::Bootstrap => {
            return Ok(Caller {
                name: BOOTSTRAP.to_owned(),
                role: Role::Admin,
            })
        }
        Credential::Token(token) => token,
    };
    let found = sql
        .execute(
            "SELECT name, role FROM api_tokens WHERE token_digest = ? AND revoked_at IS NULL",
            &[credentials::api_token_digest(token).into()],
        )
        .context("looking up the API token")
        .and_then(|rows| match rows.first() {
            None => Ok(None),
            Some(row) => {
                let name = row.text(0, "api_tokens.name")?;
                let role = row.text(1, "api_tokens.role")?;
                let role = Role::parse(&role)
                    .with_context(|| format!("API token {name:?} has an unknown role {role:?}"))?;
                Ok(Some(Caller { name, role }))
            }
        });
    match found {
        Ok(Some(caller)) => Ok(caller),
        Ok(None) => Err(crate::auth::invalid_token()),
        Err(e) => Err(ApiError::Internal(e).problem()),
    }
}

/// The least role that may call `method` on `resource`; `action` is the command route's
/// OCPP action (empty elsewhere): one that changes what a station trusts or runs is an
/// administrator's.
pub(crate) fn required(resource: Resource, method: Method, action: &str) -> Role {
    use Resource as R;
    match (resource, method) {
        (R::ChargePointCommand, Method::Post) if changes_trust(action) => Role::Admin,
        (R::ApiTokens | R::ApiToken | R::AuditLog, _) => Role::Admin,
        (_, Method::Get) => Role::Viewer,
        (R::ChargePoint | R::ChargePointTariff | R::ChargePointPassword, _) => Role::Admin,
        (R::Tariff, _) => Role::Admin,
        (R::ChargePointCommand | R::TransactionClose | R::IdTag, _) => Role::Operator,
        // Any write not named above is an administrator's until someone decides otherwise.
        _ => Role::Admin,
    }
}

/// Whether the command `action` changes a station's certificates, security profile or
/// firmware (the registry in `csms_commands::operations` says).
pub(crate) fn changes_trust(action: &str) -> bool {
    csms_commands::operations::named(action).is_some_and(|o| o.changes_trust)
}

/// 403 when `caller` lacks the role the call needs.
pub(crate) fn authorize(
    caller: &Caller,
    resource: Resource,
    method: Method,
    action: &str,
) -> Result<(), Problem> {
    let needed = required(resource, method, action);
    if caller.role >= needed {
        Ok(())
    } else {
        Err(Problem::new(
            403,
            format!(
                "the API token {:?} has the role {}; {} on this resource{} needs the role {}",
                caller.name,
                caller.role.as_str(),
                method.as_str(),
                if changes_trust(action) {
                    format!(" with {action}")
                } else {
                    String::new()
                },
                needed.as_str()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::ROUTES;

    #[test]
    fn reads_are_for_viewers_and_writes_need_more() {
        for route in ROUTES {
            for &method in route.methods {
                let role = required(route.resource, method, "");
                let admin_only = matches!(
                    route.resource,
                    Resource::ApiTokens | Resource::ApiToken | Resource::AuditLog
                );
                match method {
                    Method::Get if !admin_only => assert_eq!(role, Role::Viewer, "{}", route.path),
                    _ => assert!(role >= Role::Operator, "{} {}", method.as_str(), route.path),
                }
            }
        }
    }

    #[test]
    fn certificates_security_profiles_and_firmware_are_for_admins() {
        let command = |action| required(Resource::ChargePointCommand, Method::Post, action);
        for action in [
            "InstallCertificate",
            "DeleteCertificate",
            "CertificateSigned",
            "SetNetworkProfile",
            "UpdateFirmware",
            "SignedUpdateFirmware",
        ] {
            assert_eq!(command(action), Role::Admin, "{action}");
        }
        for action in [
            "Reset",
            "GetInstalledCertificateIds",
            "RemoteStartTransaction",
            "",
        ] {
            assert_eq!(command(action), Role::Operator, "{action}");
        }
    }

    #[test]
    fn the_bootstrap_token_is_compared_whole_and_never_empty() {
        assert!(matches!(
            Credential::of("s3cret", "s3cret"),
            Credential::Bootstrap
        ));
        assert!(matches!(
            Credential::of("s3cre", "s3cret"),
            Credential::Token(_)
        ));
        assert!(matches!(Credential::of("", ""), Credential::Token(_)));
        let shown = format!("{:?}", Credential::of("s3cre", "s3cret"));
        assert!(!shown.contains("s3cre"), "{shown}");
    }
}
