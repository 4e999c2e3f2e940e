//! One sampled value, whatever the version reported it: measurand, phase, location, context,
//! unit and value with the specification's defaults applied and energy normalised to integer
//! Wh. [`Sample::from_ocpp`] reads a 1.6 `SampledValue`, [`Sample::from_ocpp201`] a 2.0.1
//! `SampledValueType` (a number with `unitOfMeasure {unit, multiplier}`).
//!
//! The value text is kept verbatim (signed meter data included); `value_wh` is added for
//! energy measurands in `Wh` or `kWh`: kWh x 1000, fractions rounded half away from zero, in
//! exact decimal arithmetic (never binary floating point, which would turn 0.0005 kWh into
//! something that is not half a Wh).

use ocpp_protocol::ocpp_types::v16::common::{Format, SampledValueItem};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::wire_name;

pub const DEFAULT_MEASURAND: &str = "Energy.Active.Import.Register";
pub const DEFAULT_CONTEXT: &str = "Sample.Periodic";
/// The default unit of energy measurands.
pub const DEFAULT_ENERGY_UNIT: &str = "Wh";

/// A sampled value as stored in `meter_values`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub measurand: String,
    pub phase: Option<String>,
    /// `Wh` when an energy measurand gives none (OCPP 1.6: "Default = Wh"); none for other
    /// measurands without a unit, whose unit is not implied.
    pub unit: Option<String>,
    pub context: String,
    pub location: Option<String>,
    pub format: Option<String>,
    /// Verbatim, whatever the format.
    pub value: String,
    /// Energy in integer Wh, for energy measurands in Wh or kWh with a decimal value.
    pub value_wh: Option<i64>,
}

impl Sample {
    pub fn from_ocpp(item: &SampledValueItem) -> Self {
        let measurand = item
            .measurand
            .as_ref()
            .and_then(wire_name)
            .unwrap_or_else(|| DEFAULT_MEASURAND.to_owned());
        let is_energy = measurand.starts_with("Energy.");
        let unit = item
            .unit
            .as_ref()
            .and_then(wire_name)
            .or_else(|| is_energy.then(|| DEFAULT_ENERGY_UNIT.to_owned()));
        let signed = matches!(item.format, Some(Format::SignedData));
        let value_wh = match unit.as_deref() {
            Some(unit) if is_energy && !signed => energy_to_wh(&item.value, unit),
            _ => None,
        };
        Sample {
            measurand,
            phase: item.phase.as_ref().and_then(wire_name),
            unit,
            context: item
                .context
                .as_ref()
                .and_then(wire_name)
                .unwrap_or_else(|| DEFAULT_CONTEXT.to_owned()),
            location: item.location.as_ref().and_then(wire_name),
            format: item.format.as_ref().and_then(wire_name),
            value: item.value.clone(),
            value_wh,
        }
    }
}

impl Sample {
    /// A 2.0.1 `SampledValueType` (schema-validated JSON). The value is a JSON number, kept as
    /// written; `unitOfMeasure.multiplier` is a power of ten applied to it (2.0.1 2.49).
    pub fn from_ocpp201(item: &serde_json::Value) -> Self {
        let text = |key: &str| item.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        let measurand = text("measurand").unwrap_or_else(|| DEFAULT_MEASURAND.to_owned());
        let is_energy = measurand.starts_with("Energy.");
        let unit_of_measure = item.get("unitOfMeasure");
        let unit = unit_of_measure
            .and_then(|u| u.get("unit"))
            .and_then(|u| u.as_str())
            .map(str::to_owned)
            .or_else(|| is_energy.then(|| DEFAULT_ENERGY_UNIT.to_owned()));
        let multiplier = unit_of_measure
            .and_then(|u| u.get("multiplier"))
            .and_then(|m| m.as_i64())
            .unwrap_or(0);
        let value = item.get("value").map(|v| v.to_string()).unwrap_or_default();
        let value_wh = match unit.as_deref() {
            Some(unit) if is_energy => energy_to_wh_scaled(&value, unit, multiplier),
            _ => None,
        };
        Sample {
            measurand,
            phase: text("phase"),
            unit,
            context: text("context").unwrap_or_else(|| DEFAULT_CONTEXT.to_owned()),
            location: text("location"),
            format: item
                .get("signedMeterValue")
                .map(|_| "SignedData".to_owned()),
            value,
            value_wh,
        }
    }
}

/// [`energy_to_wh`] of `value × 10^multiplier`; `None` past ±9 (no meter reports that).
pub fn energy_to_wh_scaled(value: &str, unit: &str, multiplier: i64) -> Option<i64> {
    if multiplier == 0 {
        return energy_to_wh(value, unit);
    }
    let text = value.trim();
    let number = text
        .parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(text))
        .ok()?;
    let scale = Decimal::from(10_i64.checked_pow(u32::try_from(multiplier.abs()).ok()?)?);
    let scaled = if multiplier > 0 {
        number.checked_mul(scale)?
    } else {
        number.checked_div(scale)?
    };
    energy_to_wh(&scaled.to_string(), unit)
}

/// An energy value in `Wh` or `kWh` as integer Wh, rounded half away from zero; `None` for
/// other units, text that is not a decimal number, or values beyond i64 Wh.
pub fn energy_to_wh(value: &str, unit: &str) -> Option<i64> {
    let factor = match unit {
        "Wh" => Decimal::ONE,
        "kWh" => Decimal::ONE_THOUSAND,
        _ => return None,
    };
    let text = value.trim();
    let number = text
        .parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(text))
        .ok()?;
    number
        .checked_mul(factor)?
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample(value: serde_json::Value) -> Sample {
        Sample::from_ocpp(&serde_json::from_value(value).unwrap())
    }

    #[test]
    fn kwh_values_are_normalised_to_integer_wh() {
        assert_eq!(energy_to_wh("12.345", "kWh"), Some(12_345));
        assert_eq!(energy_to_wh("0.0005", "kWh"), Some(1));
        assert_eq!(energy_to_wh("0.0004999", "kWh"), Some(0));
        assert_eq!(energy_to_wh("-0.0005", "kWh"), Some(-1));
        assert_eq!(energy_to_wh("7", "kWh"), Some(7_000));
        assert_eq!(energy_to_wh(" 1.5e3 ", "kWh"), Some(1_500_000));
        assert_eq!(energy_to_wh("12345", "Wh"), Some(12_345));
        assert_eq!(energy_to_wh("2.5", "Wh"), Some(3));
        assert_eq!(energy_to_wh("2.4999", "Wh"), Some(2));
        assert_eq!(energy_to_wh("-2.5", "Wh"), Some(-3));
    }

    #[test]
    fn values_that_are_not_decimal_energy_get_no_wh() {
        assert_eq!(energy_to_wh("12", "varh"), None);
        assert_eq!(energy_to_wh("abc", "Wh"), None);
        assert_eq!(energy_to_wh("", "kWh"), None);
        assert_eq!(energy_to_wh("99999999999999999999", "kWh"), None);
    }

    #[test]
    fn defaults_are_applied_and_the_value_kept_verbatim() {
        let s = sample(json!({"value": "0012.50"}));
        assert_eq!(s.measurand, "Energy.Active.Import.Register");
        assert_eq!(s.unit.as_deref(), Some("Wh"));
        assert_eq!(s.context, "Sample.Periodic");
        assert_eq!(s.value, "0012.50");
        assert_eq!(s.value_wh, Some(13));
        assert_eq!((s.phase, s.location, s.format), (None, None, None));
    }

    #[test]
    fn every_field_is_stored_with_its_ocpp_spelling() {
        let s = sample(
            json!({"value": "1.25", "measurand": "Energy.Active.Import.Register", "unit": "kWh",
            "context": "Transaction.End", "phase": "L1-N", "location": "Outlet", "format": "Raw"}),
        );
        assert_eq!(s.unit.as_deref(), Some("kWh"));
        assert_eq!(s.context, "Transaction.End");
        assert_eq!(s.phase.as_deref(), Some("L1-N"));
        assert_eq!(s.location.as_deref(), Some("Outlet"));
        assert_eq!(s.format.as_deref(), Some("Raw"));
        assert_eq!(s.value_wh, Some(1_250));
    }

    #[test]
    fn non_energy_measurands_get_no_default_unit_and_no_wh() {
        let s = sample(json!({"value": "230.1", "measurand": "Voltage"}));
        assert_eq!(s.unit, None);
        assert_eq!(s.value_wh, None);
        let power =
            sample(json!({"value": "7.4", "measurand": "Power.Active.Import", "unit": "kW"}));
        assert_eq!(power.unit.as_deref(), Some("kW"));
        assert_eq!(power.value_wh, None);
    }

    #[test]
    fn a_201_value_is_a_number_scaled_by_its_multiplier() {
        let s = Sample::from_ocpp201(&json!({"value": 12.5, "context": "Transaction.Begin",
            "measurand": "Energy.Active.Import.Register", "unitOfMeasure": {"unit": "kWh"}}));
        assert_eq!((s.value.as_str(), s.value_wh), ("12.5", Some(12_500)));
        assert_eq!(s.context, "Transaction.Begin");
        let scaled = Sample::from_ocpp201(
            &json!({"value": 42, "unitOfMeasure": {"unit": "Wh", "multiplier": 3}}),
        );
        assert_eq!(scaled.value_wh, Some(42_000));
        assert_eq!(scaled.measurand, "Energy.Active.Import.Register");
        let default_unit = Sample::from_ocpp201(&json!({"value": 7}));
        assert_eq!(
            (default_unit.unit.as_deref(), default_unit.value_wh),
            (Some("Wh"), Some(7))
        );
        let power =
            Sample::from_ocpp201(&json!({"value": 7400, "measurand": "Power.Active.Import",
            "phase": "L1", "location": "Outlet", "unitOfMeasure": {"unit": "W"}}));
        assert_eq!((power.value_wh, power.phase.as_deref()), (None, Some("L1")));
        assert_eq!(energy_to_wh_scaled("1", "Wh", -1), Some(0));
        assert_eq!(energy_to_wh_scaled("15", "Wh", -1), Some(2));
        assert_eq!(energy_to_wh_scaled("1", "Wh", 40), None);
    }

    #[test]
    fn signed_data_is_kept_verbatim_without_wh() {
        let blob = "OCMF|{\"FV\":\"1.0\"}|{\"SA\":\"ECDSA\"}";
        let s = sample(json!({"value": blob, "format": "SignedData", "unit": "Wh"}));
        assert_eq!(s.value, blob);
        assert_eq!(s.format.as_deref(), Some("SignedData"));
        assert_eq!(s.value_wh, None);
    }
}
