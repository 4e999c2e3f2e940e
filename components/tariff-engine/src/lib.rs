//! Pure pricing of EV charging sessions.
//!
//! Given the facts of a session ([`SessionFacts`]: start, stop, the station's IANA time zone,
//! meter readings, when charging ended) and a tariff definition, this crate returns a priced
//! breakdown ([`PricedSession`]). It does no I/O and keeps no state, so it runs the same in
//! native tests and inside a `wasm32-wasip2` component exporting the `ocpp-csms:tariff` WIT
//! world (`wit/tariff.wit`); `tariff-standard` is that thin adapter, `tariff-flat` the same
//! world over [`flat::price_session`].
//!
//! # Tariff JSON
//!
//! A subset of the OCPI 2.2.1 `Tariff` object, so that operators can reuse what they publish to
//! roaming partners (see `docs/tariffs.md` for the full description):
//!
//! ```json
//! {
//!   "id": "se-tou-2026",
//!   "currency": "EUR",
//!   "vat_percent": "25",
//!   "elements": [
//!     { "price_components": [{ "type": "ENERGY", "price": "0.35", "step_size": 1 }],
//!       "restrictions": { "start_time": "07:00", "end_time": "22:00",
//!                         "day_of_week": ["MONDAY","TUESDAY","WEDNESDAY","THURSDAY","FRIDAY"] } },
//!     { "price_components": [{ "type": "ENERGY", "price": "0.20" },
//!                            { "type": "PARKING_TIME", "price": "6.00", "step_size": 60 },
//!                            { "type": "FLAT", "price": "0.50" }] }
//!   ]
//! }
//! ```
//!
//! - `type`: `ENERGY` (price per kWh, step in Wh), `TIME` (per hour of charging, step in
//!   seconds), `PARKING_TIME` (per hour after charging ended, step in seconds), `FLAT` (per
//!   session). Prices are per hour as in OCPI: 0.05 per minute is written `"3.00"`.
//! - Prices and `vat_percent` are decimals, preferably as strings; JSON numbers are accepted.
//!   Prices exclude VAT; VAT is one rate for the whole tariff (`vat_percent`), unlike OCPI's
//!   per-component `vat`.
//! - `restrictions`: `start_time`/`end_time` (`HH:MM` local, end exclusive, wraps midnight when
//!   end < start, `00:00` as end means end of day), `start_date`/`end_date` (`YYYY-MM-DD` local,
//!   end exclusive), `day_of_week`, `min_kwh`/`max_kwh` and `min_duration`/`max_duration`
//!   (seconds), measured from the session start. Power and current restrictions are not
//!   supported. Unknown fields are rejected, so a typo cannot silently change a price.
//!
//! # Algorithm
//!
//! 1. Cut the session at every instant where a verdict can change: each local wall-clock time
//!    named by a restriction and every local midnight, computed per local date in the station's
//!    zone (a wall time repeated when clocks go back yields two cuts), every change of the
//!    zone's UTC offset (where windows open or close although the wall clock never shows their
//!    bounds), the instants where energy or duration thresholds are reached, and the end of
//!    charging. Each piece is then judged at its midpoint, away from the edges.
//! 2. Per piece and per dimension, the first element whose restrictions all hold and that has a
//!    component of that type sets the price (OCPI semantics). Energy per piece comes from the
//!    linearly interpolated meter timeline, rounded cumulatively so the parts always add up to
//!    exactly `meter_stop - meter_start`. Pieces before the end of charging are charging time,
//!    after it parking time. `FLAT` is charged once, from the first piece where one applies.
//! 3. Step sizes round each dimension's total up; the extra goes to the last billed piece.
//! 4. Pieces with the same dimension and price merge into one line item. Each line item's
//!    amount is rounded to the currency's ISO 4217 minor unit, half away from zero; the total
//!    excl. VAT is their sum, VAT is computed on that total and rounded the same way.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod error;
pub mod flat;
mod money;
mod priced;
mod pricing;
mod session;
mod tariff;
mod timeline;

pub use error::{ErrorClass, PricingError};
pub use money::minor_unit;
pub use priced::{LineItem, LineKind, PricedSession};
pub use pricing::price_session;
pub use session::{parse_instant, parse_time_zone, EnergySample, SessionFacts, WireSessionFacts};
pub use tariff::{ComponentType, Tariff};
pub use timeline::EnergyTimeline;

/// Parses `tariff_json` and prices the session with it: the whole job of a tariff component.
pub fn price_session_json(
    session: &SessionFacts,
    tariff_json: &str,
) -> Result<PricedSession, PricingError> {
    price_session(session, &Tariff::from_json(tariff_json)?)
}
