//! The seam to the tariff component: the facts of a session in, a priced breakdown out.
//!
//! These types mirror the WIT interface `ocpp-csms:tariff/pricing` (`wit/tariff.wit`). On Spin
//! the component imports that interface and spin.toml decides which tariff component answers;
//! native tests call `tariff-engine` directly.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

/// What happened in one session: facts only, no prices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFacts {
    pub started_at: DateTime<Utc>,
    pub stopped_at: DateTime<Utc>,
    /// When energy stopped flowing, if before `stopped_at`; the rest is idle (parking) time.
    pub charging_ended_at: Option<DateTime<Utc>>,
    /// The station's IANA time zone (`charge_points.time_zone`).
    pub time_zone: String,
    pub meter_start_wh: i64,
    pub meter_stop_wh: i64,
    /// `Energy.Active.Import.Register` readings of the transaction.
    pub samples: Vec<EnergySample>,
}

/// One reading of the energy import register, in Wh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnergySample {
    pub at: DateTime<Utc>,
    pub wh: i64,
}

/// A priced session. Totals are exact decimals; line items are kept as the tariff component
/// wrote them (decimal strings), for the charge detail record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PricedSession {
    pub tariff_id: String,
    pub currency: String,
    pub line_items: Vec<LineItem>,
    pub total_excl_vat: Decimal,
    pub vat_percent: Decimal,
    pub vat_amount: Decimal,
    pub total_incl_vat: Decimal,
}

/// One line of the receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineItem {
    /// `energy`, `charging-time`, `parking-time` or `session-fee` (the WIT enum's names).
    pub kind: String,
    pub description: String,
    pub quantity: String,
    /// `kWh`, `h` or `session`.
    pub unit: String,
    pub unit_price: String,
    pub amount_excl_vat: Decimal,
}

/// Prices a session with a tariff definition (JSON whose format belongs to the tariff
/// component). The error is a sentence for the charge detail record's `pricing_error`.
pub trait Pricing {
    fn price_session(
        &self,
        session: &SessionFacts,
        tariff_json: &str,
    ) -> Result<PricedSession, String>;
}

/// Parses a decimal the tariff component returned, naming the field when it is not one.
pub fn parse_decimal(field: &str, text: &str) -> Result<Decimal, String> {
    text.trim()
        .parse::<Decimal>()
        .map_err(|e| format!("the tariff component returned {field} {text:?}, not a decimal: {e}"))
}
