//! CALLERROR codes, one meaning each, spelled the way each version spells them.

use crate::OcppVersion;
use std::fmt;

/// What went wrong, independent of how a version writes it.
///
/// 1.6 and 2.0.1 share most codes but differ in spelling and in two codes
/// that only 2.0.1 has; keeping one enum lets callers decide *what* failed
/// and [`ErrorCode::as_str`] decide how the negotiated version says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    NotImplemented,
    NotSupported,
    InternalError,
    ProtocolError,
    SecurityError,
    /// 1.6 `FormationViolation`, 2.0.1 `FormatViolation`.
    FormatViolation,
    PropertyConstraintViolation,
    /// 1.6 `OccurenceConstraintViolation` (sic), 2.0.1 `OccurrenceConstraintViolation`.
    OccurrenceConstraintViolation,
    TypeConstraintViolation,
    GenericError,
    /// 2.0.1 only; 1.6 reports the same condition as `FormationViolation`.
    RpcFrameworkError,
    /// 2.0.1 only; 1.6 reports the same condition as `FormationViolation`.
    MessageTypeNotSupported,
}

impl ErrorCode {
    /// The `errorCode` string that `version` prescribes for this error.
    pub const fn as_str(self, version: OcppVersion) -> &'static str {
        use OcppVersion::*;
        match (self, version) {
            (Self::NotImplemented, _) => "NotImplemented",
            (Self::NotSupported, _) => "NotSupported",
            (Self::InternalError, _) => "InternalError",
            (Self::ProtocolError, _) => "ProtocolError",
            (Self::SecurityError, _) => "SecurityError",
            (Self::PropertyConstraintViolation, _) => "PropertyConstraintViolation",
            (Self::TypeConstraintViolation, _) => "TypeConstraintViolation",
            (Self::GenericError, _) => "GenericError",
            (Self::FormatViolation, V16) => "FormationViolation",
            (Self::FormatViolation, V201) => "FormatViolation",
            (Self::OccurrenceConstraintViolation, V16) => "OccurenceConstraintViolation",
            (Self::OccurrenceConstraintViolation, V201) => "OccurrenceConstraintViolation",
            (Self::RpcFrameworkError | Self::MessageTypeNotSupported, V16) => "FormationViolation",
            (Self::RpcFrameworkError, V201) => "RpcFrameworkError",
            (Self::MessageTypeNotSupported, V201) => "MessageTypeNotSupported",
        }
    }

    /// Reads a code a peer sent. Both spellings are accepted for either version
    /// because charge points in the field mix them up; anything else is kept
    /// by the caller as text and mapped to `None` here.
    pub fn parse(code: &str) -> Option<Self> {
        Some(match code {
            "NotImplemented" => Self::NotImplemented,
            "NotSupported" => Self::NotSupported,
            "InternalError" => Self::InternalError,
            "ProtocolError" => Self::ProtocolError,
            "SecurityError" => Self::SecurityError,
            "FormationViolation" | "FormatViolation" => Self::FormatViolation,
            "PropertyConstraintViolation" => Self::PropertyConstraintViolation,
            "OccurenceConstraintViolation" | "OccurrenceConstraintViolation" => {
                Self::OccurrenceConstraintViolation
            }
            "TypeConstraintViolation" => Self::TypeConstraintViolation,
            "GenericError" => Self::GenericError,
            "RpcFrameworkError" => Self::RpcFrameworkError,
            "MessageTypeNotSupported" => Self::MessageTypeNotSupported,
            _ => return None,
        })
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Display has no version to go by; the newer, correctly spelled form is
        // for humans and logs only, never for the wire.
        f.write_str(self.as_str(OcppVersion::V201))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OcppVersion::*;

    #[test]
    fn version_16_keeps_its_own_spellings() {
        assert_eq!(ErrorCode::FormatViolation.as_str(V16), "FormationViolation");
        assert_eq!(
            ErrorCode::OccurrenceConstraintViolation.as_str(V16),
            "OccurenceConstraintViolation"
        );
    }

    #[test]
    fn version_201_uses_the_corrected_spellings() {
        assert_eq!(ErrorCode::FormatViolation.as_str(V201), "FormatViolation");
        assert_eq!(
            ErrorCode::OccurrenceConstraintViolation.as_str(V201),
            "OccurrenceConstraintViolation"
        );
        assert_eq!(
            ErrorCode::RpcFrameworkError.as_str(V201),
            "RpcFrameworkError"
        );
        assert_eq!(
            ErrorCode::MessageTypeNotSupported.as_str(V201),
            "MessageTypeNotSupported"
        );
    }

    #[test]
    fn codes_16_lacks_fall_back_to_formation_violation() {
        assert_eq!(
            ErrorCode::RpcFrameworkError.as_str(V16),
            "FormationViolation"
        );
        assert_eq!(
            ErrorCode::MessageTypeNotSupported.as_str(V16),
            "FormationViolation"
        );
    }

    #[test]
    fn every_emitted_code_parses_back() {
        let all = [
            ErrorCode::NotImplemented,
            ErrorCode::NotSupported,
            ErrorCode::InternalError,
            ErrorCode::ProtocolError,
            ErrorCode::SecurityError,
            ErrorCode::FormatViolation,
            ErrorCode::PropertyConstraintViolation,
            ErrorCode::OccurrenceConstraintViolation,
            ErrorCode::TypeConstraintViolation,
            ErrorCode::GenericError,
            ErrorCode::RpcFrameworkError,
            ErrorCode::MessageTypeNotSupported,
        ];
        for code in all {
            assert_eq!(ErrorCode::parse(code.as_str(V201)), Some(code));
        }
        assert_eq!(ErrorCode::parse("Bogus"), None);
    }
}
