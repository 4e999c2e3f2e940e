//! The `ocpp-csms:tariff` world (`wit/tariff.wit`) for Rust tariff components.
//!
//! Generates the bindings once and converts between the WIT records (strings for instants and
//! decimals) and `tariff-engine`'s types, so that a tariff component is only its pricing
//! function:
//!
//! ```text
//! struct Standard;
//! impl tariff_guest::Guest for Standard {
//!     fn price_session(s: tariff_guest::SessionFacts, json: String)
//!         -> Result<tariff_guest::PricedSession, tariff_guest::PricingError> {
//!         tariff_guest::price_with(s, &json, tariff_engine::price_session_json)
//!     }
//! }
//! tariff_guest::export_tariff!(Standard);
//! ```

wit_bindgen::generate!({
    world: "tariff",
    path: "../../wit/tariff.wit",
    pub_export_macro: true,
    export_macro_name: "export_tariff",
    default_bindings_module: "tariff_guest",
});

use tariff_engine::{ErrorClass, LineKind, WireSessionFacts};

pub use exports::ocpp_csms::tariff::pricing::{
    EnergySample, FieldError, Guest, LineItem, LineItemKind, PricedSession, PricingError,
    SessionFacts,
};

/// Converts the WIT session, runs `pricing` on it and converts the answer back.
pub fn price_with(
    session: SessionFacts,
    tariff_json: &str,
    pricing: impl FnOnce(
        &tariff_engine::SessionFacts,
        &str,
    ) -> Result<tariff_engine::PricedSession, tariff_engine::PricingError>,
) -> Result<PricedSession, PricingError> {
    let wire = WireSessionFacts {
        started_at: session.started_at,
        stopped_at: session.stopped_at,
        charging_ended_at: session.charging_ended_at,
        time_zone: session.time_zone,
        meter_start_wh: session.meter_start_wh,
        meter_stop_wh: session.meter_stop_wh,
        samples: session
            .samples
            .into_iter()
            .map(|s| (s.timestamp, s.wh))
            .collect(),
    };
    tariff_engine::SessionFacts::try_from(&wire)
        .and_then(|facts| pricing(&facts, tariff_json))
        .map(to_wit)
        .map_err(error_to_wit)
}

fn to_wit(p: tariff_engine::PricedSession) -> PricedSession {
    PricedSession {
        tariff_id: p.tariff_id,
        currency: p.currency,
        line_items: p
            .line_items
            .into_iter()
            .map(|l| LineItem {
                kind: match l.kind {
                    LineKind::Energy => LineItemKind::Energy,
                    LineKind::ChargingTime => LineItemKind::ChargingTime,
                    LineKind::ParkingTime => LineItemKind::ParkingTime,
                    LineKind::SessionFee => LineItemKind::SessionFee,
                },
                description: l.description,
                quantity: l.quantity.to_string(),
                unit: l.unit,
                unit_price: l.unit_price.to_string(),
                amount_excl_vat: l.amount_excl_vat.to_string(),
            })
            .collect(),
        total_excl_vat: p.total_excl_vat.to_string(),
        vat_percent: p.vat_percent.to_string(),
        vat_amount: p.vat_amount.to_string(),
        total_incl_vat: p.total_incl_vat.to_string(),
    }
}

fn error_to_wit(e: tariff_engine::PricingError) -> PricingError {
    let field_error = || FieldError {
        field: e.field().to_owned(),
        message: e.to_string(),
    };
    match e.class() {
        ErrorClass::InvalidTariff => PricingError::InvalidTariff(field_error()),
        ErrorClass::InvalidSession => PricingError::InvalidSession(field_error()),
        ErrorClass::UnknownTimeZone => PricingError::UnknownTimeZone(e.to_string()),
        ErrorClass::UnsupportedCurrency => PricingError::UnsupportedCurrency(e.to_string()),
        ErrorClass::Overflow => PricingError::Overflow(e.to_string()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn session() -> SessionFacts {
        SessionFacts {
            started_at: "2026-01-13T05:30:00Z".into(),
            stopped_at: "2026-01-13T07:30:00Z".into(),
            charging_ended_at: None,
            time_zone: "Europe/Stockholm".into(),
            meter_start_wh: 1_000,
            meter_stop_wh: 23_000,
            samples: vec![EnergySample {
                timestamp: "2026-01-13T06:45:00Z".into(),
                wh: 21_000,
            }],
        }
    }

    const TOU: &str = r#"{"id":"tou","currency":"EUR","vat_percent":"25","elements":[
        {"price_components":[{"type":"ENERGY","price":"0.35"}],
         "restrictions":{"start_time":"07:00","end_time":"22:00"}},
        {"price_components":[{"type":"ENERGY","price":"0.20"}]}]}"#;

    #[test]
    fn decimals_cross_the_boundary_as_exact_strings() {
        let p = price_with(session(), TOU, tariff_engine::price_session_json).unwrap();
        // 8 kWh * 0.20 = 1.60 off-peak, 14 kWh * 0.35 = 4.90 peak (samples are used);
        // 6.50 + 25 % (1.625 -> 1.63) = 8.13
        assert_eq!(p.tariff_id, "tou");
        assert_eq!(p.line_items.len(), 2);
        assert_eq!(p.line_items[0].quantity, "8.000");
        assert_eq!(p.line_items[0].unit, "kWh");
        assert_eq!(p.line_items[1].unit_price, "0.35");
        assert!(matches!(p.line_items[1].kind, LineItemKind::Energy));
        assert_eq!(p.total_excl_vat, "6.50");
        assert_eq!(p.vat_percent, "25");
        assert_eq!(p.vat_amount, "1.63");
        assert_eq!(p.total_incl_vat, "8.13");
    }

    #[test]
    fn errors_name_the_wit_field() {
        let mut s = session();
        s.stopped_at = "yesterday".into();
        match price_with(s, TOU, tariff_engine::price_session_json) {
            Err(PricingError::InvalidSession(f)) => assert_eq!(f.field, "stopped-at"),
            other => panic!("unexpected {other:?}"),
        }
        let mut s = session();
        s.time_zone = "Mars/Olympus".into();
        assert!(matches!(
            price_with(s, TOU, tariff_engine::price_session_json),
            Err(PricingError::UnknownTimeZone(_))
        ));
        match price_with(session(), "{}", tariff_engine::price_session_json) {
            Err(PricingError::InvalidTariff(f)) => assert!(f.message.contains("id"), "{f:?}"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
