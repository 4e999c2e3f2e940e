//! Currency minor units and the one rounding rule used for every amount.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::PricingError;

/// Half away from zero ("commercial rounding", 0.125 -> 0.13). Chosen over banker's rounding
/// because it is what a customer checking an invoice by hand expects, and amounts are never
/// negative here, so it is simply "half up".
pub(crate) const ROUNDING: RoundingStrategy = RoundingStrategy::MidpointAwayFromZero;

/// ISO 4217 minor unit (number of decimals) of the currencies a CSMS is likely to meet.
///
/// Unknown codes are an error rather than defaulting to 2: guessing the scale of money is how
/// invoices end up 100 times too large (JPY) or lose a digit (KWD).
pub fn minor_unit(currency: &str) -> Option<u32> {
    let digits = match currency {
        "JPY" | "KRW" | "ISK" | "CLP" | "VND" | "XOF" | "XAF" | "PYG" | "UGX" | "RWF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "IQD" | "LYD" => 3,
        "EUR" | "SEK" | "NOK" | "DKK" | "USD" | "GBP" | "CHF" | "PLN" | "CZK" | "HUF" | "RON"
        | "BGN" | "HRK" | "CAD" | "AUD" | "NZD" | "CNY" | "HKD" | "SGD" | "INR" | "BRL" | "MXN"
        | "ZAR" | "TRY" | "UAH" | "AED" | "SAR" | "ILS" | "THB" | "MYR" | "IDR" | "PHP" | "TWD"
        | "ARS" | "COP" | "PEN" | "RSD" | "MAD" | "EGP" => 2,
        _ => return None,
    };
    Some(digits)
}

pub(crate) fn require_minor_unit(currency: &str) -> Result<u32, PricingError> {
    minor_unit(currency).ok_or_else(|| PricingError::UnsupportedCurrency(currency.to_owned()))
}

/// Rounds to the currency's minor unit and always shows that many decimals ("12.50", not
/// "12.5"), because the amounts cross the WIT boundary as strings and end up on receipts.
pub(crate) fn round_money(amount: Decimal, minor_unit: u32) -> Decimal {
    let mut rounded = amount.round_dp_with_strategy(minor_unit, ROUNDING);
    rounded.rescale(minor_unit);
    rounded
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn half_cents_round_up() {
        assert_eq!(round_money(dec!(0.125), 2).to_string(), "0.13");
        assert_eq!(round_money(dec!(0.135), 2).to_string(), "0.14");
        assert_eq!(round_money(dec!(0.1249), 2).to_string(), "0.12");
    }

    #[test]
    fn amounts_always_show_the_minor_unit() {
        assert_eq!(round_money(dec!(12.5), 2).to_string(), "12.50");
        assert_eq!(round_money(dec!(12), 2).to_string(), "12.00");
        assert_eq!(round_money(dec!(149.5), 0).to_string(), "150");
    }

    #[test]
    fn yen_has_no_decimals_and_dinar_three() {
        assert_eq!(minor_unit("JPY"), Some(0));
        assert_eq!(minor_unit("KWD"), Some(3));
        assert_eq!(minor_unit("SEK"), Some(2));
        assert_eq!(minor_unit("XXX"), None);
        assert_eq!(minor_unit("sek"), None);
    }
}
