//! A deliberately different tariff component: the same `ocpp-csms:tariff` world, but every
//! session costs one flat price (`tariff_engine::flat`). Pointing the transactions component's
//! spin.toml dependency here instead of at `tariff-standard` is all it takes to switch, which is
//! what this component exists to demonstrate.

struct Flat;

impl tariff_guest::Guest for Flat {
    fn price_session(
        session: tariff_guest::SessionFacts,
        tariff_json: String,
    ) -> Result<tariff_guest::PricedSession, tariff_guest::PricingError> {
        tariff_guest::price_with(session, &tariff_json, tariff_engine::flat::price_session)
    }
}

tariff_guest::export_tariff!(Flat);
