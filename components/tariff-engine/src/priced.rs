//! The priced breakdown handed back to the transactions component.

use rust_decimal::Decimal;

use crate::money::round_money;
use crate::PricingError;

/// What a line item charges for; mirrors the WIT enum `line-item-kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineKind {
    Energy,
    ChargingTime,
    ParkingTime,
    SessionFee,
}

/// One line on the receipt. `amount_excl_vat` is already rounded to the currency's minor unit;
/// `quantity` is for display and may be rounded (time in hours to 6 decimals) while the amount
/// was computed from the exact quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineItem {
    pub kind: LineKind,
    pub description: String,
    pub quantity: Decimal,
    /// `kWh`, `h` or `session`.
    pub unit: String,
    pub unit_price: Decimal,
    pub amount_excl_vat: Decimal,
}

/// The priced session. Totals are the sum of the rounded line items, so the receipt adds up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedSession {
    pub tariff_id: String,
    pub currency: String,
    pub line_items: Vec<LineItem>,
    pub total_excl_vat: Decimal,
    pub vat_percent: Decimal,
    pub vat_amount: Decimal,
    pub total_incl_vat: Decimal,
}

impl PricedSession {
    /// VAT is computed once on the rounded total excl. VAT (not per line), as on an invoice,
    /// so that `total_incl_vat` = `total_excl_vat` + `vat_amount` exactly.
    pub(crate) fn assemble(
        tariff_id: &str,
        currency: &str,
        minor_unit: u32,
        vat_percent: Decimal,
        line_items: Vec<LineItem>,
    ) -> Result<Self, PricingError> {
        let zero = round_money(Decimal::ZERO, minor_unit);
        let total_excl_vat = line_items
            .iter()
            .try_fold(zero, |acc, item| acc.checked_add(item.amount_excl_vat))
            .ok_or(PricingError::Overflow("total excl. VAT"))?;
        let vat = total_excl_vat
            .checked_mul(vat_percent)
            .and_then(|v| v.checked_div(Decimal::ONE_HUNDRED))
            .ok_or(PricingError::Overflow("VAT"))?;
        let vat_amount = round_money(vat, minor_unit);
        let total_incl_vat = total_excl_vat
            .checked_add(vat_amount)
            .ok_or(PricingError::Overflow("total incl. VAT"))?;
        Ok(PricedSession {
            tariff_id: tariff_id.to_owned(),
            currency: currency.to_owned(),
            line_items,
            total_excl_vat,
            vat_percent,
            vat_amount,
            total_incl_vat,
        })
    }
}
