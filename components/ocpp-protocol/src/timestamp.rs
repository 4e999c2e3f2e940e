//! Timestamps: accept every RFC 3339 form charge points send, emit UTC with `Z`.

use chrono::{DateTime, SubsecRound, Utc};
use ocpp_types::OcppTimestamp;

/// The instant a charge point reported, in UTC whatever offset it wrote.
pub fn to_utc(timestamp: OcppTimestamp) -> DateTime<Utc> {
    timestamp.into()
}

/// An instant as OCPP writes it: UTC, `Z`, milliseconds only when non-zero.
pub fn from_utc(instant: DateTime<Utc>) -> OcppTimestamp {
    instant.into()
}

/// Parses any RFC 3339 date-time (fractional seconds or not, `Z` or an offset).
pub fn parse_utc(text: &str) -> Option<DateTime<Utc>> {
    OcppTimestamp::parse_rfc3339(text).ok().map(to_utc)
}

/// Formats an instant the way this backend always emits it: UTC, `Z`, and
/// milliseconds at most (what chargers parse; the clock's nanoseconds are noise).
pub fn format_utc(instant: DateTime<Utc>) -> String {
    from_utc(instant.trunc_subsecs(3)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rfc3339_form_chargers_send_is_read_as_the_same_instant() {
        let expected = parse_utc("2026-03-29T00:30:00Z").unwrap();
        for text in [
            "2026-03-29T00:30:00Z",
            "2026-03-29T00:30:00.000Z",
            "2026-03-29T00:30:00.000000Z",
            "2026-03-29T01:30:00+01:00",
            "2026-03-29T02:30:00.0+02:00",
            "2026-03-28T20:30:00-04:00",
            "2026-03-29t00:30:00z",
        ] {
            assert_eq!(parse_utc(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn output_is_always_utc_with_z() {
        let t = parse_utc("2026-10-25T02:30:00.250+01:00").unwrap();
        assert_eq!(format_utc(t), "2026-10-25T01:30:00.250Z");
        let whole = parse_utc("2026-10-25T03:00:00+02:00").unwrap();
        assert_eq!(format_utc(whole), "2026-10-25T01:00:00Z");
    }

    #[test]
    fn output_carries_at_most_milliseconds() {
        let t = parse_utc("2026-11-23T20:10:08.199076504Z").unwrap();
        assert_eq!(format_utc(t), "2026-11-23T20:10:08.199Z");
    }

    #[test]
    fn text_that_is_not_a_date_time_is_refused() {
        for text in [
            "",
            "2026-02-30T00:00:00Z",
            "yesterday",
            "2026-03-29 25:00:00Z",
        ] {
            assert_eq!(parse_utc(text), None, "{text}");
        }
    }
}
