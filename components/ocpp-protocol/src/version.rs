//! The negotiated OCPP-J version, named by its WebSocket subprotocol.

use std::fmt;
use std::str::FromStr;

/// An OCPP-J version this crate can frame and validate.
///
/// Ordered oldest to newest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OcppVersion {
    V16,
    V201,
}

impl OcppVersion {
    /// The WebSocket subprotocol token (`Sec-WebSocket-Protocol`) of this version.
    pub const fn subprotocol(self) -> &'static str {
        match self {
            Self::V16 => "ocpp1.6",
            Self::V201 => "ocpp2.0.1",
        }
    }

    /// Picks the first version in the charge point's offer that `supported` contains: the
    /// offer lists versions in the station's order of preference (OCPP-J Part 4 §3.1.2).
    ///
    /// `offered` is the raw `Sec-WebSocket-Protocol` header value: a comma-separated
    /// list, possibly with spaces, possibly repeated across several headers joined
    /// by the caller. Tokens are compared case-sensitively, as RFC 6455 requires.
    pub fn negotiate(offered: &str, supported: &[OcppVersion]) -> Option<OcppVersion> {
        offered
            .split(',')
            .filter_map(|token| token.trim().parse::<OcppVersion>().ok())
            .find(|version| supported.contains(version))
    }
}

impl fmt::Display for OcppVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.subprotocol())
    }
}

/// The subprotocol token names no version this crate knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported OCPP subprotocol {0:?}")]
pub struct UnknownSubprotocol(pub String);

impl FromStr for OcppVersion {
    type Err = UnknownSubprotocol;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ocpp1.6" => Ok(Self::V16),
            "ocpp2.0.1" => Ok(Self::V201),
            other => Err(UnknownSubprotocol(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: &[OcppVersion] = &[OcppVersion::V16, OcppVersion::V201];

    #[test]
    fn the_stations_first_choice_that_we_support_wins() {
        assert_eq!(
            OcppVersion::negotiate("ocpp1.6, ocpp2.0.1", BOTH),
            Some(OcppVersion::V16)
        );
        assert_eq!(
            OcppVersion::negotiate("ocpp2.1, ocpp2.0.1, ocpp1.6", BOTH),
            Some(OcppVersion::V201)
        );
        assert_eq!(
            OcppVersion::negotiate("ocpp2.0.1,ocpp1.6", BOTH),
            Some(OcppVersion::V201)
        );
    }

    #[test]
    fn only_versions_we_support_are_chosen() {
        assert_eq!(
            OcppVersion::negotiate("ocpp2.0.1, ocpp1.6", &[OcppVersion::V16]),
            Some(OcppVersion::V16)
        );
        assert_eq!(
            OcppVersion::negotiate("ocpp2.0.1", &[OcppVersion::V16]),
            None
        );
    }

    #[test]
    fn unknown_and_empty_offers_negotiate_nothing() {
        assert_eq!(OcppVersion::negotiate("ocpp1.5, ocpp2.1", BOTH), None);
        assert_eq!(OcppVersion::negotiate("", BOTH), None);
        assert_eq!(OcppVersion::negotiate("OCPP1.6", BOTH), None);
    }

    #[test]
    fn subprotocol_round_trips() {
        for v in BOTH {
            assert_eq!(v.subprotocol().parse::<OcppVersion>(), Ok(*v));
        }
    }
}
