//! The facts of a charging session, as the transactions component knows them.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::PricingError;

/// What happened in one session. Only facts: no prices, no decisions.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionFacts {
    pub started_at: DateTime<Utc>,
    pub stopped_at: DateTime<Utc>,
    /// When energy stopped flowing (EV full, or SuspendedEV until the end). The rest of the
    /// session up to `stopped_at` is idle time, priced as PARKING_TIME. `None`: charged all along.
    pub charging_ended_at: Option<DateTime<Utc>>,
    /// The station's zone: time-of-day and day-of-week restrictions are local to the station,
    /// not to the server or the driver.
    pub time_zone: Tz,
    pub meter_start_wh: i64,
    pub meter_stop_wh: i64,
    /// Energy register readings during the session, in any order.
    pub samples: Vec<EnergySample>,
}

/// One reading of the energy import register (OCPP `Energy.Active.Import.Register`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnergySample {
    pub at: DateTime<Utc>,
    pub wh: i64,
}

/// The session facts exactly as they cross the WIT boundary: instants as RFC 3339 strings.
///
/// Shared here so that every Rust tariff component converts them the same way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WireSessionFacts {
    pub started_at: String,
    pub stopped_at: String,
    pub charging_ended_at: Option<String>,
    pub time_zone: String,
    pub meter_start_wh: i64,
    pub meter_stop_wh: i64,
    /// `(RFC 3339 instant, register Wh)`.
    pub samples: Vec<(String, i64)>,
}

impl TryFrom<&WireSessionFacts> for SessionFacts {
    type Error = PricingError;

    fn try_from(w: &WireSessionFacts) -> Result<Self, PricingError> {
        let samples = w
            .samples
            .iter()
            .enumerate()
            .map(|(i, (at, wh))| {
                Ok(EnergySample {
                    at: parse_instant(&format!("samples[{i}].timestamp"), at)?,
                    wh: *wh,
                })
            })
            .collect::<Result<Vec<_>, PricingError>>()?;
        Ok(SessionFacts {
            started_at: parse_instant("started-at", &w.started_at)?,
            stopped_at: parse_instant("stopped-at", &w.stopped_at)?,
            charging_ended_at: w
                .charging_ended_at
                .as_deref()
                .map(|s| parse_instant("charging-ended-at", s))
                .transpose()?,
            time_zone: parse_time_zone(&w.time_zone)?,
            meter_start_wh: w.meter_start_wh,
            meter_stop_wh: w.meter_stop_wh,
            samples,
        })
    }
}

/// Parses an RFC 3339 instant. Any offset is accepted and normalised to UTC, because stations
/// do send local offsets despite OCPP recommending UTC.
pub fn parse_instant(field: &str, value: &str) -> Result<DateTime<Utc>, PricingError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| PricingError::InvalidTimestamp {
            field: field.to_owned(),
            value: value.to_owned(),
        })
}

/// Parses an IANA zone name such as `Europe/Stockholm`.
pub fn parse_time_zone(name: &str) -> Result<Tz, PricingError> {
    name.parse::<Tz>()
        .map_err(|_| PricingError::UnknownTimeZone(name.to_owned()))
}
