//! The standard tariff component: exports the `ocpp-csms:tariff` world with OCPI 2.2.1-style
//! pricing from `tariff-engine` (time of use, energy, charging and parking time, session fee).
//! The tariff JSON format is described in `docs/tariffs.md`.

struct Standard;

impl tariff_guest::Guest for Standard {
    fn price_session(
        session: tariff_guest::SessionFacts,
        tariff_json: String,
    ) -> Result<tariff_guest::PricedSession, tariff_guest::PricingError> {
        tariff_guest::price_with(session, &tariff_json, tariff_engine::price_session_json)
    }
}

tariff_guest::export_tariff!(Standard);
