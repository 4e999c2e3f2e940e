//! The answer of an authorization, exactly as OCPP 1.6 writes it (`IdTagInfo`).

use serde::{Deserialize, Serialize};

/// `AuthorizationStatus` of OCPP 1.6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthorizationStatus {
    Accepted,
    Blocked,
    Expired,
    Invalid,
    ConcurrentTx,
}

impl AuthorizationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorizationStatus::Accepted => "Accepted",
            AuthorizationStatus::Blocked => "Blocked",
            AuthorizationStatus::Expired => "Expired",
            AuthorizationStatus::Invalid => "Invalid",
            AuthorizationStatus::ConcurrentTx => "ConcurrentTx",
        }
    }
}

/// `IdTagInfo` of OCPP 1.6: the status, and the tag's expiry date and parent idTag when the
/// registry has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTagInfo {
    pub status: AuthorizationStatus,
    /// RFC 3339 in UTC with `Z`.
    #[serde(
        rename = "expiryDate",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub expiry_date: Option<String>,
    #[serde(
        rename = "parentIdTag",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub parent_id_tag: Option<String>,
}

impl IdTagInfo {
    /// A bare status, for tags the registry knows nothing more about.
    pub fn status(status: AuthorizationStatus) -> Self {
        Self {
            status,
            expiry_date: None,
            parent_id_tag: None,
        }
    }
}
