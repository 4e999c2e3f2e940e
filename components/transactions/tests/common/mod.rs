//! A test harness: a SQLite file, the authorization component called in-process over its
//! HTTP contract, and `tariff-engine` as the tariff component.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::{Cell, RefCell};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use csms_store::native::NativeSql;
use csms_store::{Row, Sql, SqlValue};
use ocpp_protocol::timestamp::format_utc;
use serde_json::Value;
use transactions::http::{handle, Answer};
use transactions::{
    parse_decimal, Env, LineItem, PostJson, PricedSession, Pricing, ServiceAuthorizer, SessionFacts,
};

pub fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// The authorization crate's HTTP handler on its own connection to the same file, as the
/// authorization component would be on Spin. Counts the calls.
pub struct InProcessAuthorization {
    pub db_path: PathBuf,
    pub now: DateTime<Utc>,
    pub calls: Cell<usize>,
    pub last_url: RefCell<String>,
}

impl PostJson for InProcessAuthorization {
    fn post_json(&self, url: &str, body: &Value) -> Result<(u16, Value), String> {
        self.calls.set(self.calls.get() + 1);
        *self.last_url.borrow_mut() = url.to_owned();
        let path = url
            .strip_prefix("http://authorization.spin.internal")
            .ok_or_else(|| format!("unexpected url {url}"))?;
        let db = NativeSql::open(&self.db_path).map_err(|e| e.to_string())?;
        csms_store::migrate(&db).map_err(|e| e.to_string())?;
        let answer =
            authorization::http::handle(&db, "POST", path, body.to_string().as_bytes(), self.now);
        Ok((answer.status, answer.body))
    }
}

/// An authorization component that cannot be reached.
pub struct Unreachable;

impl PostJson for Unreachable {
    fn post_json(&self, url: &str, _body: &Value) -> Result<(u16, Value), String> {
        Err(format!("calling {url}: connection refused"))
    }
}

/// `tariff-engine` behind the [`Pricing`] seam, converting exactly as a WIT tariff component
/// does (instants as RFC 3339 strings, decimals as strings).
pub struct EnginePricing;

impl Pricing for EnginePricing {
    fn price_session(&self, s: &SessionFacts, tariff_json: &str) -> Result<PricedSession, String> {
        let wire = tariff_engine::WireSessionFacts {
            started_at: format_utc(s.started_at),
            stopped_at: format_utc(s.stopped_at),
            charging_ended_at: s.charging_ended_at.map(format_utc),
            time_zone: s.time_zone.clone(),
            meter_start_wh: s.meter_start_wh,
            meter_stop_wh: s.meter_stop_wh,
            samples: s.samples.iter().map(|e| (format_utc(e.at), e.wh)).collect(),
        };
        let facts = tariff_engine::SessionFacts::try_from(&wire).map_err(|e| e.to_string())?;
        let p =
            tariff_engine::price_session_json(&facts, tariff_json).map_err(|e| e.to_string())?;
        let line_items = p
            .line_items
            .into_iter()
            .map(|l| {
                Ok(LineItem {
                    kind: match l.kind {
                        tariff_engine::LineKind::Energy => "energy",
                        tariff_engine::LineKind::ChargingTime => "charging-time",
                        tariff_engine::LineKind::ParkingTime => "parking-time",
                        tariff_engine::LineKind::SessionFee => "session-fee",
                    }
                    .to_owned(),
                    description: l.description,
                    quantity: l.quantity.to_string(),
                    unit: l.unit,
                    unit_price: l.unit_price.to_string(),
                    amount_excl_vat: parse_decimal("amount", &l.amount_excl_vat.to_string())?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(PricedSession {
            tariff_id: p.tariff_id,
            currency: p.currency,
            line_items,
            total_excl_vat: p.total_excl_vat,
            vat_percent: p.vat_percent,
            vat_amount: p.vat_amount,
            total_incl_vat: p.total_incl_vat,
        })
    }
}

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub db: NativeSql,
    pub authorizer: ServiceAuthorizer<InProcessAuthorization>,
    pub now: DateTime<Utc>,
    pub cost_updated_every: Option<chrono::Duration>,
}

pub const CP: &str = "CP1";

impl Harness {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("sqlite_db.db");
        let db = NativeSql::open(&db_path).unwrap();
        csms_store::migrate(&db).unwrap();
        let now = at("2026-05-04T12:00:00Z");
        let authorizer = ServiceAuthorizer::new(InProcessAuthorization {
            db_path,
            now,
            calls: Cell::new(0),
            last_url: RefCell::new(String::new()),
        });
        let h = Harness {
            dir,
            db,
            authorizer,
            now,
            cost_updated_every: None,
        };
        h.charge_point(CP, "Europe/Stockholm", None);
        h
    }

    pub fn authorization_calls(&self) -> usize {
        self.authorizer.post.calls.get()
    }

    pub fn sql(&self, statement: &str, params: &[SqlValue]) -> Vec<Row> {
        self.db.execute(statement, params).unwrap()
    }

    pub fn charge_point(&self, id: &str, time_zone: &str, tariff_id: Option<&str>) {
        self.sql(
            "INSERT INTO charge_points (id, time_zone, tariff_id, created_at, updated_at) VALUES (?, ?, ?, 't', 't') \
             ON CONFLICT(id) DO UPDATE SET time_zone = excluded.time_zone, tariff_id = excluded.tariff_id",
            &[id.into(), time_zone.into(), tariff_id.into()],
        );
    }

    pub fn tariff(&self, id: &str, definition: &str) {
        self.sql(
            "INSERT INTO tariffs (id, definition, updated_at) VALUES (?, ?, 't')",
            &[id.into(), definition.into()],
        );
    }

    pub fn id_tag(&self, id_tag: &str, status: &str, expiry: Option<&str>, parent: Option<&str>) {
        self.sql(
            "INSERT INTO id_tags (id_tag, status, expiry_date, parent_id_tag, updated_at) VALUES (?, ?, ?, ?, 't')",
            &[id_tag.into(), status.into(), expiry.into(), parent.into()],
        );
    }

    /// POSTs to the component with the harness's authorization and `tariff-engine` pricing.
    pub fn post(&self, action: &str, message_id: &str, payload: Value) -> Answer {
        self.post_with(&self.authorizer, action, message_id, payload)
    }

    pub fn post_with<A: transactions::Authorizer>(
        &self,
        authorizer: &A,
        action: &str,
        message_id: &str,
        payload: Value,
    ) -> Answer {
        let env = Env {
            sql: &self.db,
            authorizer,
            pricing: &EnginePricing,
            now: self.now,
            cost_updated_every: self.cost_updated_every,
            queued_commands: Default::default(),
        };
        let body = serde_json::json!({"charge_point_id": CP, "message_id": message_id, "payload": payload});
        handle(
            &env,
            "POST",
            &format!("/ocpp16/{action}"),
            body.to_string().as_bytes(),
        )
    }

    /// One request to the component, as this harness's host would make it.
    pub fn request(&self, method: &str, path: &str, body: &[u8]) -> Answer {
        let env = Env {
            sql: &self.db,
            authorizer: &self.authorizer,
            pricing: &EnginePricing,
            now: self.now,
            cost_updated_every: self.cost_updated_every,
            queued_commands: Default::default(),
        };
        handle(&env, method, path, body)
    }

    /// POSTs a 2.0.1 message and returns the OCPP payload, checking it against the 2.0.1 schema.
    pub fn call201(&self, action: &str, message_id: &str, payload: Value) -> Value {
        let body = serde_json::json!({"charge_point_id": CP, "message_id": message_id, "payload": payload});
        let answer = self.request(
            "POST",
            &format!("/ocpp201/{action}"),
            body.to_string().as_bytes(),
        );
        assert_eq!(answer.status, 200, "{}", answer.body);
        let payload = answer.body["payload"].clone();
        ocpp_protocol::messages::v201::Response::decode(action, &payload)
            .unwrap_or_else(|e| panic!("{action} answer {payload} is not schema-valid: {e}"));
        payload
    }

    /// POSTs and returns the OCPP payload, checking that it is a valid CALLRESULT payload.
    pub fn call(&self, action: &str, message_id: &str, payload: Value) -> Value {
        let answer = self.post(action, message_id, payload);
        assert_eq!(answer.status, 200, "{}", answer.body);
        let payload = answer.body["payload"].clone();
        ocpp_protocol::messages::v16::Response::decode(action, &payload)
            .unwrap_or_else(|e| panic!("{action} answer {payload} is not schema-valid: {e}"));
        payload
    }

    pub fn count(&self, table: &str) -> i64 {
        self.sql(&format!("SELECT count(*) FROM {table}"), &[])[0]
            .i64(0, "count")
            .unwrap()
    }

    /// One row of a query, each column as JSON for easy comparison.
    pub fn row(&self, statement: &str, params: &[SqlValue]) -> Vec<Value> {
        let rows = self.sql(statement, params);
        assert_eq!(rows.len(), 1, "{statement}: {rows:?}");
        rows[0]
            .0
            .iter()
            .map(|v| match v {
                SqlValue::Null => Value::Null,
                SqlValue::Integer(i) => Value::from(*i),
                SqlValue::Real(r) => Value::from(*r),
                SqlValue::Text(t) => Value::from(t.as_str()),
                SqlValue::Blob(_) => Value::from("<blob>"),
            })
            .collect()
    }
}
