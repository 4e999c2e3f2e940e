use thiserror::Error;

/// Everything that can make a session unpriceable.
///
/// Each variant names the offending field, so that the transactions component can store a
/// charge detail record that says *why* it has no price instead of a bare "pricing failed".
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PricingError {
    /// The tariff is not valid JSON or does not match the schema (unknown field, wrong type...).
    #[error("invalid tariff JSON at `{path}`: {message}")]
    InvalidTariffJson { path: String, message: String },

    /// The tariff parses but says something that cannot be priced (negative price, bad time...).
    #[error("invalid tariff field `{field}`: {reason}")]
    InvalidTariff { field: String, reason: String },

    /// The currency has no known ISO 4217 minor unit, so amounts could not be rounded.
    #[error("unsupported currency `{0}` (no known ISO 4217 minor unit)")]
    UnsupportedCurrency(String),

    #[error("unknown IANA time zone `{0}`")]
    UnknownTimeZone(String),

    #[error("invalid timestamp in `{field}`: `{value}` is not RFC 3339")]
    InvalidTimestamp { field: String, value: String },

    #[error("session stops ({stop}) before it starts ({start})")]
    StopBeforeStart { start: String, stop: String },

    #[error("charging ended at {at}, outside the session {start} .. {stop}")]
    ChargingEndedOutsideSession {
        at: String,
        start: String,
        stop: String,
    },

    #[error("meter stop {stop_wh} Wh is below meter start {start_wh} Wh")]
    MeterDecreased { start_wh: i64, stop_wh: i64 },

    /// Longer than any real session; refused so that absurd timestamps cannot make the
    /// engine enumerate millions of days.
    #[error("session lasts {days} days, more than the supported {max_days}")]
    SessionTooLong { days: i64, max_days: i64 },

    /// Only reachable with absurd inputs (centuries-long sessions, 10^20 Wh); reported instead
    /// of wrapping around or panicking.
    #[error("arithmetic overflow while computing {0}")]
    Overflow(&'static str),
}

impl PricingError {
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        PricingError::InvalidTariff {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// The cases of the WIT `pricing-error` variant, so that every adapter maps errors alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    InvalidTariff,
    InvalidSession,
    UnknownTimeZone,
    UnsupportedCurrency,
    Overflow,
}

impl PricingError {
    pub fn class(&self) -> ErrorClass {
        match self {
            PricingError::InvalidTariffJson { .. } | PricingError::InvalidTariff { .. } => {
                ErrorClass::InvalidTariff
            }
            PricingError::UnsupportedCurrency(_) => ErrorClass::UnsupportedCurrency,
            PricingError::UnknownTimeZone(_) => ErrorClass::UnknownTimeZone,
            PricingError::InvalidTimestamp { .. }
            | PricingError::StopBeforeStart { .. }
            | PricingError::ChargingEndedOutsideSession { .. }
            | PricingError::MeterDecreased { .. }
            | PricingError::SessionTooLong { .. } => ErrorClass::InvalidSession,
            PricingError::Overflow(_) => ErrorClass::Overflow,
        }
    }

    /// The input field at fault, with WIT names for session fields and JSON paths for the
    /// tariff ("." for the tariff document as a whole).
    pub fn field(&self) -> &str {
        match self {
            PricingError::InvalidTariffJson { path, .. } => path,
            PricingError::InvalidTariff { field, .. } => field,
            PricingError::InvalidTimestamp { field, .. } => field,
            PricingError::UnsupportedCurrency(_) => "currency",
            PricingError::UnknownTimeZone(_) => "time-zone",
            PricingError::StopBeforeStart { .. } | PricingError::SessionTooLong { .. } => {
                "stopped-at"
            }
            PricingError::ChargingEndedOutsideSession { .. } => "charging-ended-at",
            PricingError::MeterDecreased { .. } => "meter-stop-wh",
            PricingError::Overflow(_) => "",
        }
    }
}
