//! The JSON tariff definition (a subset of the OCPI 2.2.1 `Tariff` object) and its validation.

use std::fmt;

use chrono::{NaiveDate, NaiveTime, Weekday};
use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::money::require_minor_unit;
use crate::PricingError;

/// A validated tariff, ready to price sessions.
#[derive(Debug, Clone, PartialEq)]
pub struct Tariff {
    pub(crate) id: String,
    pub(crate) currency: String,
    pub(crate) minor_unit: u32,
    pub(crate) vat_percent: Decimal,
    pub(crate) elements: Vec<TariffElement>,
}

/// One OCPI tariff element: prices that apply while all its restrictions hold.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TariffElement {
    pub(crate) components: Vec<PriceComponent>,
    pub(crate) restrictions: Restrictions,
}

/// The largest step an ENERGY component may have, in Wh.
const MAX_ENERGY_STEP_WH: u64 = 1_000_000;
/// The largest step a TIME or PARKING_TIME component may have, in seconds.
const MAX_TIME_STEP_S: u64 = 86_400;

/// The dimension a price applies to, named as in OCPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ComponentType {
    /// Price per kWh; step size in Wh.
    Energy,
    /// Price per hour of charging; step size in seconds.
    Time,
    /// Price per hour of idle time after charging ended; step size in seconds.
    ParkingTime,
    /// Price per session; step size ignored.
    Flat,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PriceComponent {
    pub(crate) kind: ComponentType,
    pub(crate) price: Decimal,
    pub(crate) step_size: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Restrictions {
    pub(crate) start_time: Option<NaiveTime>,
    pub(crate) end_time: Option<NaiveTime>,
    pub(crate) start_date: Option<NaiveDate>,
    pub(crate) end_date: Option<NaiveDate>,
    pub(crate) min_wh: Option<Decimal>,
    pub(crate) max_wh: Option<Decimal>,
    pub(crate) min_duration_s: Option<u64>,
    pub(crate) max_duration_s: Option<u64>,
    pub(crate) day_of_week: Option<Vec<Weekday>>,
}

impl Tariff {
    /// Parses and validates a tariff definition; see the crate documentation for the format.
    pub fn from_json(json: &str) -> Result<Self, PricingError> {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let raw: TariffJson = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
            let path = e.path().to_string();
            PricingError::InvalidTariffJson {
                path,
                message: e.into_inner().to_string(),
            }
        })?;
        deserializer
            .end()
            .map_err(|e| PricingError::InvalidTariffJson {
                path: ".".to_owned(),
                message: e.to_string(),
            })?;
        raw.validate()
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn currency(&self) -> &str {
        &self.currency
    }

    pub fn vat_percent(&self) -> Decimal {
        self.vat_percent
    }
}

impl Restrictions {
    /// Every local time of day at which some restriction can change its verdict.
    pub(crate) fn times_of_day(&self) -> impl Iterator<Item = NaiveTime> + '_ {
        self.start_time.into_iter().chain(self.end_time)
    }

    pub(crate) fn time_of_day_matches(&self, t: NaiveTime) -> bool {
        match (self.start_time, self.end_time) {
            (None, None) => true,
            (Some(s), None) => t >= s,
            // OCPI: "to stop at end of the day use 00:00".
            (None, Some(e)) => e == NaiveTime::MIN || t < e,
            (Some(s), Some(e)) if s < e => s <= t && t < e,
            // end before start wraps around midnight (22:00-06:00); equal is rejected.
            (Some(s), Some(e)) => t >= s || t < e,
        }
    }
}

// ---- JSON shape -------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TariffJson {
    id: String,
    currency: String,
    #[serde(deserialize_with = "decimal")]
    vat_percent: Decimal,
    elements: Vec<ElementJson>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ElementJson {
    price_components: Vec<ComponentJson>,
    #[serde(default)]
    restrictions: Option<RestrictionsJson>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ComponentJson {
    #[serde(rename = "type")]
    kind: ComponentType,
    #[serde(deserialize_with = "decimal")]
    price: Decimal,
    #[serde(default = "one")]
    step_size: u64,
}

fn one() -> u64 {
    1
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RestrictionsJson {
    start_time: Option<String>,
    end_time: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    #[serde(default, deserialize_with = "optional_decimal")]
    min_kwh: Option<Decimal>,
    #[serde(default, deserialize_with = "optional_decimal")]
    max_kwh: Option<Decimal>,
    min_duration: Option<u64>,
    max_duration: Option<u64>,
    day_of_week: Option<Vec<DayJson>>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum DayJson {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl From<DayJson> for Weekday {
    fn from(d: DayJson) -> Self {
        match d {
            DayJson::Monday => Weekday::Mon,
            DayJson::Tuesday => Weekday::Tue,
            DayJson::Wednesday => Weekday::Wed,
            DayJson::Thursday => Weekday::Thu,
            DayJson::Friday => Weekday::Fri,
            DayJson::Saturday => Weekday::Sat,
            DayJson::Sunday => Weekday::Sun,
        }
    }
}

impl TariffJson {
    fn validate(self) -> Result<Tariff, PricingError> {
        if self.id.trim().is_empty() {
            return Err(PricingError::invalid("id", "must not be empty"));
        }
        let minor_unit = require_minor_unit(&self.currency)?;
        if self.vat_percent < Decimal::ZERO || self.vat_percent > Decimal::ONE_HUNDRED {
            return Err(PricingError::invalid(
                "vat_percent",
                "must be between 0 and 100",
            ));
        }
        if self.elements.is_empty() {
            return Err(PricingError::invalid(
                "elements",
                "a tariff needs at least one element",
            ));
        }
        let elements = self
            .elements
            .into_iter()
            .enumerate()
            .map(|(i, e)| e.validate(&format!("elements[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Tariff {
            id: self.id,
            currency: self.currency,
            minor_unit,
            vat_percent: self.vat_percent,
            elements,
        })
    }
}

impl ElementJson {
    fn validate(self, at: &str) -> Result<TariffElement, PricingError> {
        if self.price_components.is_empty() {
            return Err(PricingError::invalid(
                format!("{at}.price_components"),
                "an element needs at least one price component",
            ));
        }
        let mut components = Vec::with_capacity(self.price_components.len());
        for (i, c) in self.price_components.into_iter().enumerate() {
            let field = format!("{at}.price_components[{i}]");
            if c.price < Decimal::ZERO {
                return Err(PricingError::invalid(
                    format!("{field}.price"),
                    "must not be negative",
                ));
            }
            if c.step_size == 0 {
                return Err(PricingError::invalid(
                    format!("{field}.step_size"),
                    "must be at least 1 (omit it for no stepping)",
                ));
            }
            // A step beyond these is a typo, and would bill a short session as a huge one.
            let (max_step, unit) = match c.kind {
                ComponentType::Energy => (MAX_ENERGY_STEP_WH, "Wh (1 MWh)"),
                ComponentType::Time | ComponentType::ParkingTime => (MAX_TIME_STEP_S, "s (a day)"),
                ComponentType::Flat => (u64::MAX, ""),
            };
            if c.step_size > max_step {
                return Err(PricingError::invalid(
                    format!("{field}.step_size"),
                    format!("at most {max_step} {unit}"),
                ));
            }
            components.push(PriceComponent {
                kind: c.kind,
                price: c.price,
                step_size: c.step_size,
            });
        }
        let restrictions = self
            .restrictions
            .unwrap_or_default()
            .validate(&format!("{at}.restrictions"))?;
        Ok(TariffElement {
            components,
            restrictions,
        })
    }
}

impl RestrictionsJson {
    fn validate(self, at: &str) -> Result<Restrictions, PricingError> {
        let time = |name: &str, v: Option<String>| -> Result<Option<NaiveTime>, PricingError> {
            v.map(|s| parse_time_of_day(&s).ok_or_else(|| invalid_value(at, name, &s, "HH:MM")))
                .transpose()
        };
        let date = |name: &str, v: Option<String>| -> Result<Option<NaiveDate>, PricingError> {
            v.map(|s| {
                NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                    .map_err(|_| invalid_value(at, name, &s, "YYYY-MM-DD"))
            })
            .transpose()
        };
        let start_time = time("start_time", self.start_time)?;
        let end_time = time("end_time", self.end_time)?;
        if start_time.is_some() && start_time == end_time {
            return Err(PricingError::invalid(
                format!("{at}.end_time"),
                "equal to start_time, which is ambiguous (empty or whole day?); omit both for a whole day",
            ));
        }
        let start_date = date("start_date", self.start_date)?;
        let end_date = date("end_date", self.end_date)?;
        let kwh_to_wh = |name: &str, v: Option<Decimal>| -> Result<Option<Decimal>, PricingError> {
            match v {
                Some(k) if k < Decimal::ZERO => Err(PricingError::invalid(
                    format!("{at}.{name}"),
                    "must not be negative",
                )),
                Some(k) => k
                    .checked_mul(Decimal::ONE_THOUSAND)
                    .map(Some)
                    .ok_or(PricingError::Overflow("kWh restriction")),
                None => Ok(None),
            }
        };
        let min_wh = kwh_to_wh("min_kwh", self.min_kwh)?;
        let max_wh = kwh_to_wh("max_kwh", self.max_kwh)?;
        // Minimums are inclusive and maximums exclusive (OCPI): a range that is empty would
        // never match, and the next element would quietly be charged instead.
        let never = |min: &str, max: &str| {
            PricingError::invalid(
                format!("{at}.{max}"),
                format!("not above {min}, so the element could never apply"),
            )
        };
        if matches!((start_date, end_date), (Some(a), Some(b)) if a >= b) {
            return Err(never("start_date", "end_date"));
        }
        if matches!((min_wh, max_wh), (Some(a), Some(b)) if a >= b) {
            return Err(never("min_kwh", "max_kwh"));
        }
        if matches!((self.min_duration, self.max_duration), (Some(a), Some(b)) if a >= b) {
            return Err(never("min_duration", "max_duration"));
        }
        let day_of_week = match self.day_of_week {
            Some(days) if days.is_empty() => {
                return Err(PricingError::invalid(
                    format!("{at}.day_of_week"),
                    "an empty list would never match; omit it for every day",
                ))
            }
            Some(days) => Some(days.into_iter().map(Weekday::from).collect()),
            None => None,
        };
        Ok(Restrictions {
            start_time,
            end_time,
            start_date,
            end_date,
            min_wh,
            max_wh,
            min_duration_s: self.min_duration,
            max_duration_s: self.max_duration,
            day_of_week,
        })
    }
}

fn invalid_value(at: &str, name: &str, value: &str, expected: &str) -> PricingError {
    PricingError::invalid(
        format!("{at}.{name}"),
        format!("`{value}` is not a valid {expected}"),
    )
}

/// OCPI's `([0-1][0-9]|2[0-3]):[0-5][0-9]`; chrono alone would also accept "7:00".
fn parse_time_of_day(s: &str) -> Option<NaiveTime> {
    let b = s.as_bytes();
    if b.len() != 5 || b.get(2) != Some(&b':') {
        return None;
    }
    NaiveTime::parse_from_str(s, "%H:%M").ok()
}

// ---- decimals ---------------------------------------------------------------------------

/// Accepts `"0.25"` (preferred) and `0.25`. A JSON number is taken through its shortest
/// round-trip representation, which gives back the digits the author wrote for any price a
/// human would write, so OCPI tariffs (which use numbers) can be pasted unchanged.
fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    d.deserialize_any(DecimalVisitor)
}

fn optional_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    d.deserialize_any(DecimalVisitor).map(Some)
}

struct DecimalVisitor;

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a decimal number as a string such as \"0.25\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        // from_str_exact refuses to silently round values with more than 28 digits.
        Decimal::from_str_exact(v.trim()).map_err(|_| E::custom(format!("`{v}` is not a decimal")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        if !v.is_finite() {
            return Err(E::custom("not a finite number"));
        }
        self.visit_str(&v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(json: &str) -> PricingError {
        Tariff::from_json(json).unwrap_err()
    }

    #[test]
    fn unknown_fields_are_rejected_with_their_path() {
        let e = err(r#"{"id":"t","currency":"EUR","vat_percent":"25",
            "elements":[{"price_components":[{"type":"ENERGY","price":"0.2","stepsize":1}]}]}"#);
        match e {
            PricingError::InvalidTariffJson { path, message } => {
                assert_eq!(path, "elements[0].price_components[0].stepsize");
                assert!(message.contains("stepsize"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn numbers_and_strings_give_the_same_exact_price() {
        let t = Tariff::from_json(
            r#"{"id":"t","currency":"EUR","vat_percent":25,
            "elements":[{"price_components":[{"type":"ENERGY","price":0.1},{"type":"TIME","price":"0.1"}]}]}"#,
        )
        .unwrap();
        let prices: Vec<String> = t.elements[0]
            .components
            .iter()
            .map(|c| c.price.to_string())
            .collect();
        assert_eq!(prices, vec!["0.1", "0.1"]);
        assert_eq!(t.vat_percent.to_string(), "25");
    }

    #[test]
    fn malformed_time_of_day_names_the_field() {
        let e = err(r#"{"id":"t","currency":"EUR","vat_percent":"0","elements":[
            {"price_components":[{"type":"ENERGY","price":"0.2"}],"restrictions":{"start_time":"7:00"}}]}"#);
        assert_eq!(
            e,
            PricingError::InvalidTariff {
                field: "elements[0].restrictions.start_time".into(),
                reason: "`7:00` is not a valid HH:MM".into()
            }
        );
    }

    #[test]
    fn negative_price_and_unknown_currency_are_rejected() {
        assert!(matches!(
            err(r#"{"id":"t","currency":"EUR","vat_percent":"0","elements":[{"price_components":[{"type":"FLAT","price":"-1"}]}]}"#),
            PricingError::InvalidTariff { field, .. } if field == "elements[0].price_components[0].price"
        ));
        assert_eq!(
            err(
                r#"{"id":"t","currency":"XYZ","vat_percent":"0","elements":[{"price_components":[{"type":"FLAT","price":"1"}]}]}"#
            ),
            PricingError::UnsupportedCurrency("XYZ".into())
        );
    }

    #[test]
    fn wrapping_window_covers_the_night() {
        let r = Restrictions {
            start_time: parse_time_of_day("22:00"),
            end_time: parse_time_of_day("06:00"),
            ..Restrictions::default()
        };
        let at = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        assert!(r.time_of_day_matches(at(23)));
        assert!(r.time_of_day_matches(at(0)));
        assert!(!r.time_of_day_matches(at(6)));
        assert!(!r.time_of_day_matches(at(12)));
        assert!(r.time_of_day_matches(at(22)));
    }
}
