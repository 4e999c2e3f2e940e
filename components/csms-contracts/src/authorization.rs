//! The authorization component's contract: which token, why, where; and the decision.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Where the authorization component answers (service chaining).
pub const BASE_URL: &str = "http://authorization.spin.internal";
pub const AUTHORIZE: &str = "authorize";
pub const AUTHORIZE_STOP: &str = "authorize-stop";

/// Why a token is being checked: only a start counts the token's open transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// 1.6 `Authorize.req`, 2.0.1 `AuthorizeRequest`: is the token valid?
    #[default]
    Authorize,
    /// A transaction starts with it: is it valid, and may it open one more transaction?
    Start,
}

/// The body of `POST /authorize`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeRequest {
    pub charge_point_id: String,
    /// 1.6 idTag, 2.0.1 idToken.idToken.
    pub id_tag: String,
    /// 2.0.1 IdTokenType (`ISO14443`, `Central`, ...); none for 1.6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    #[serde(default)]
    pub purpose: Purpose,
    /// Where a start happens: the EVSE (1.6 connector).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservation_id: Option<i64>,
}

/// The body of `POST /authorize-stop`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeStopRequest {
    pub charge_point_id: String,
    pub id_tag: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// The API's integer transaction id.
    pub transaction_id: i64,
}

/// The statuses a decision can have, whatever the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthorizationStatus {
    Accepted,
    Blocked,
    Expired,
    Invalid,
    ConcurrentTx,
    /// Not in the registry (or registered with another token type). 1.6 has no such status
    /// and says `Invalid`.
    Unknown,
}

impl AuthorizationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "Accepted",
            Self::Blocked => "Blocked",
            Self::Expired => "Expired",
            Self::Invalid => "Invalid",
            Self::ConcurrentTx => "ConcurrentTx",
            Self::Unknown => "Unknown",
        }
    }

    /// How OCPP 1.6 says it: it knows no `Unknown`.
    pub fn as_ocpp16(self) -> &'static str {
        match self {
            Self::Unknown => Self::Invalid.as_str(),
            other => other.as_str(),
        }
    }
}

/// A decision about one token: its status, and the registry's expiry date and group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenDecision {
    pub status: AuthorizationStatus,
    /// RFC 3339 in UTC with `Z`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_date: Option<String>,
    /// 1.6 parentIdTag, 2.0.1 groupIdToken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
}

impl TokenDecision {
    /// A bare status, for tokens the registry knows nothing more about.
    pub fn status(status: AuthorizationStatus) -> Self {
        Self {
            status,
            expiry_date: None,
            group_id: None,
        }
    }

    pub fn is_accepted(&self) -> bool {
        self.status == AuthorizationStatus::Accepted
    }

    /// OCPP 1.6 `IdTagInfo`.
    pub fn to_ocpp16(&self) -> Value {
        let mut info = Map::new();
        info.insert("status".into(), json!(self.status.as_ocpp16()));
        if let Some(expiry) = &self.expiry_date {
            info.insert("expiryDate".into(), json!(expiry));
        }
        if let Some(group) = &self.group_id {
            info.insert("parentIdTag".into(), json!(group));
        }
        Value::Object(info)
    }

    /// OCPP 2.0.1 `IdTokenInfoType`. The expiry date is the registry's, which is also how
    /// long a station may cache the answer; a group is a `Central` token, as the CSMS made it.
    pub fn to_ocpp201(&self) -> Value {
        let mut info = Map::new();
        info.insert("status".into(), json!(self.status.as_str()));
        if let Some(expiry) = &self.expiry_date {
            info.insert("cacheExpiryDateTime".into(), json!(expiry));
        }
        if let Some(group) = &self.group_id {
            info.insert(
                "groupIdToken".into(),
                json!({"idToken": group, "type": "Central"}),
            );
        }
        Value::Object(info)
    }
}

/// The answer of `POST /authorize`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeResponse {
    pub decision: TokenDecision,
    /// Why a token the registry accepts is refused here (a reservation of another token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}

/// The answer of `POST /authorize-stop`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopAuthorization {
    pub decision: TokenDecision,
    /// The token started the transaction or shares its group. Informative: the stop is
    /// recorded either way, and the transaction flagged when false.
    pub may_stop: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_is_invalid_in_16_and_itself_in_201() {
        let d = TokenDecision::status(AuthorizationStatus::Unknown);
        assert_eq!(d.to_ocpp16(), json!({"status": "Invalid"}));
        assert_eq!(d.to_ocpp201(), json!({"status": "Unknown"}));
    }

    #[test]
    fn the_group_is_a_parent_id_tag_in_16_and_a_central_token_in_201() {
        let d = TokenDecision {
            status: AuthorizationStatus::Accepted,
            expiry_date: Some("2027-01-01T00:00:00Z".into()),
            group_id: Some("FLEET".into()),
        };
        assert_eq!(
            d.to_ocpp16(),
            json!({"status": "Accepted", "expiryDate": "2027-01-01T00:00:00Z", "parentIdTag": "FLEET"})
        );
        assert_eq!(
            d.to_ocpp201(),
            json!({"status": "Accepted", "cacheExpiryDateTime": "2027-01-01T00:00:00Z",
                   "groupIdToken": {"idToken": "FLEET", "type": "Central"}})
        );
    }
}
