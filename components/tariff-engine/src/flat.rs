//! The simplest possible pricing: one price per session, whatever happened in it.
//!
//! It exists to prove that pricing is swappable: the `tariff-flat` component exports the same
//! WIT world as `tariff-standard` with this logic instead, and a deployment switches between
//! them by changing one line of spin.toml and nothing else. So it reads the same stored tariff
//! (the standard format, validated the same way) and charges only its session fee: the first
//! `FLAT` price component in the tariff, whatever its restrictions; energy and time are free.

use rust_decimal::Decimal;

use crate::money::round_money;
use crate::priced::{LineItem, LineKind, PricedSession};
use crate::pricing::Facts;
use crate::tariff::{ComponentType, Tariff};
use crate::{PricingError, SessionFacts};

/// Prices any valid session at the tariff's first `FLAT` price (zero if it has none).
pub fn price_session(
    session: &SessionFacts,
    tariff_json: &str,
) -> Result<PricedSession, PricingError> {
    let tariff = Tariff::from_json(tariff_json)?;
    // The session must still make sense: a flat price for a session that "stopped before it
    // started" would hide a bug in the caller.
    Facts::check(session)?;
    if session.meter_stop_wh < session.meter_start_wh {
        return Err(PricingError::MeterDecreased {
            start_wh: session.meter_start_wh,
            stop_wh: session.meter_stop_wh,
        });
    }
    let price = tariff
        .elements
        .iter()
        .flat_map(|e| e.components.iter())
        .find(|c| c.kind == ComponentType::Flat)
        .map_or(Decimal::ZERO, |c| c.price);
    let (minor_unit, vat_percent) = (tariff.minor_unit, tariff.vat_percent);
    let item = LineItem {
        kind: LineKind::SessionFee,
        description: "Flat price per session".to_owned(),
        quantity: Decimal::ONE,
        unit: "session".to_owned(),
        unit_price: price,
        amount_excl_vat: round_money(price, minor_unit),
    };
    PricedSession::assemble(
        &tariff.id,
        &tariff.currency,
        minor_unit,
        vat_percent,
        vec![item],
    )
}
