//! The Spin adapter: the request, the `default` database, service chaining to the
//! authorization component and the imported tariff interface from the host; the clock.

use anyhow::Context as _;
use csms_store::spin::SpinSql;
use serde_json::Value;
use spin_sdk::http::{IncomingRequest, IntoResponse, Request, Response, ResponseOutparam};
use spin_sdk::http_component;

use crate::{
    parse_decimal, Env, LineItem, PostJson, PricedSession, Pricing, ServiceAuthorizer, SessionFacts,
};

// The component's own world: it imports `ocpp-csms:tariff/pricing`; which tariff component
// answers is decided by spin.toml (`[component.transactions.dependencies]`).
wit_bindgen::generate!({
    inline: r#"
        package ocpp-csms:transactions;

        world transactions {
            include ocpp-csms:tariff/tariff-client@0.1.0;
        }
    "#,
    path: "../../wit",
    world: "ocpp-csms:transactions/transactions",
    // The tariff interface lives in another package (ocpp-csms:tariff).
    generate_all,
});

use ocpp_csms::tariff::pricing as wit;

/// Service chaining: an in-process HTTP POST to another component of the app.
struct SpinPost;

impl PostJson for SpinPost {
    fn post_json(&self, url: &str, body: &Value) -> Result<(u16, Value), String> {
        csms_store::spin::post_json(url, body)
    }
}

/// Pricing through the imported WIT interface.
struct WitPricing;

impl Pricing for WitPricing {
    fn price_session(&self, s: &SessionFacts, tariff_json: &str) -> Result<PricedSession, String> {
        let facts = wit::SessionFacts {
            started_at: ocpp_protocol::timestamp::format_utc(s.started_at),
            stopped_at: ocpp_protocol::timestamp::format_utc(s.stopped_at),
            charging_ended_at: s
                .charging_ended_at
                .map(ocpp_protocol::timestamp::format_utc),
            time_zone: s.time_zone.clone(),
            meter_start_wh: s.meter_start_wh,
            meter_stop_wh: s.meter_stop_wh,
            samples: s
                .samples
                .iter()
                .map(|e| wit::EnergySample {
                    timestamp: ocpp_protocol::timestamp::format_utc(e.at),
                    wh: e.wh,
                })
                .collect(),
        };
        let priced = wit::price_session(&facts, tariff_json).map_err(|e| match e {
            wit::PricingError::InvalidTariff(f) => {
                format!("invalid tariff at {}: {}", f.field, f.message)
            }
            wit::PricingError::InvalidSession(f) => {
                format!("invalid session at {}: {}", f.field, f.message)
            }
            wit::PricingError::UnknownTimeZone(z) => format!("unknown time zone: {z}"),
            wit::PricingError::UnsupportedCurrency(c) => format!("unsupported currency: {c}"),
            wit::PricingError::Overflow(o) => format!("overflow: {o}"),
        })?;
        let line_items = priced
            .line_items
            .into_iter()
            .map(|l| {
                Ok(LineItem {
                    kind: match l.kind {
                        wit::LineItemKind::Energy => "energy",
                        wit::LineItemKind::ChargingTime => "charging-time",
                        wit::LineItemKind::ParkingTime => "parking-time",
                        wit::LineItemKind::SessionFee => "session-fee",
                    }
                    .to_owned(),
                    amount_excl_vat: parse_decimal(
                        "line item amount-excl-vat",
                        &l.amount_excl_vat,
                    )?,
                    description: l.description,
                    quantity: l.quantity,
                    unit: l.unit,
                    unit_price: l.unit_price,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(PricedSession {
            total_excl_vat: parse_decimal("total-excl-vat", &priced.total_excl_vat)?,
            vat_percent: parse_decimal("vat-percent", &priced.vat_percent)?,
            vat_amount: parse_decimal("vat-amount", &priced.vat_amount)?,
            total_incl_vat: parse_decimal("total-incl-vat", &priced.total_incl_vat)?,
            tariff_id: priced.tariff_id,
            currency: priced.currency,
            line_items,
        })
    }
}

#[http_component]
async fn handle(req: IncomingRequest, outparam: ResponseOutparam) {
    spin_response::serve(req, outparam, answer).await;
}

fn answer(req: Request) -> anyhow::Result<impl IntoResponse> {
    let every = spin_sdk::variables::get("cost_updated_interval_minutes")
        .context("reading variable cost_updated_interval_minutes")?;
    let cost_updated_every =
        crate::cost_updates::interval(Some(&every)).map_err(anyhow::Error::msg)?;
    let (status, body) = match open() {
        Ok(sql) => {
            let env = Env {
                sql: &sql,
                authorizer: &ServiceAuthorizer::new(SpinPost),
                pricing: &WitPricing,
                now: chrono::Utc::now(),
                cost_updated_every,
                queued_commands: Default::default(),
            };
            let method = req.method().to_string();
            let answer = crate::http::handle(&env, &method, req.path(), req.body());
            (answer.status, answer.body)
        }
        // Same contract as every other failure: a status and `{"error": ...}`.
        Err(e) => (500, serde_json::json!({ "error": format!("{e:#}") })),
    };
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build())
}

fn open() -> anyhow::Result<SpinSql> {
    SpinSql::open_default_migrated().context("opening the default database")
}
