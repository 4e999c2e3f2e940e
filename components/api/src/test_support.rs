//! A test bench: real SQLite files (database and key-value store), a fixed clock, a token.

use chrono::{DateTime, Utc};
use csms_store::native::{NativeKeyValue, NativeSql};
use csms_store::{KeyValue, Sql};
use serde_json::Value;
use std::cell::{Cell, RefCell};

use crate::{handle, Outbound, Publish, PublishError, Request};

pub(crate) const TOKEN: &str = "test-api-token-0123456789";

pub(crate) struct Bench {
    _dir: tempfile::TempDir,
    pub(crate) sql: NativeSql,
    pub(crate) kv: NativeKeyValue,
    pub(crate) now: DateTime<Utc>,
    pub(crate) gateway: Gateway,
    pub(crate) closer: Closer,
}

/// Stands in for the transactions component's `POST /operator/close`: records the calls and
/// answers `answer`; on 200 it marks the transaction stopped as the component would.
pub(crate) struct Closer {
    pub(crate) db: std::path::PathBuf,
    pub(crate) calls: RefCell<Vec<(i64, String)>>,
    pub(crate) answer: Cell<u16>,
}

impl crate::TransactionsService for Closer {
    fn close(&self, transaction_id: i64, closed_by: &str) -> Result<(u16, Value), String> {
        self.calls
            .borrow_mut()
            .push((transaction_id, closed_by.to_owned()));
        let status = self.answer.get();
        if status == 200 {
            let db = NativeSql::open(&self.db).map_err(|e| e.to_string())?;
            db.execute(
                "UPDATE transactions SET stopped_at = started_at, meter_stop_wh = meter_start_wh, \
                 energy_wh = 0, stop_reason = 'Other', closed_by = ? WHERE id = ?",
                &[closed_by.into(), transaction_id.into()],
            )
            .map_err(|e| e.to_string())?;
            return Ok((200, serde_json::json!({"transaction_id": transaction_id})));
        }
        Ok((status, serde_json::json!({"error": "stopped meanwhile"})))
    }

    /// 5 kWh for EUR 3.75 so far.
    fn running_cost(&self, transaction_id: i64) -> Result<(u16, Value), String> {
        Ok((
            200,
            serde_json::json!({"transaction_id": transaction_id, "as_of": "2026-05-04T10:30:00Z",
                "energy_wh": 5000, "currency": "EUR", "total_incl_vat": "3.75",
                "pricing_error": null}),
        ))
    }
}

/// A gateway publish endpoint that records what it is given, or refuses when `down`.
#[derive(Default)]
pub(crate) struct Gateway {
    pub(crate) published: RefCell<Vec<(String, String)>>,
    pub(crate) down: Cell<bool>,
}

impl Publish for Gateway {
    fn publish(&self, channel: &str, content: &str) -> Result<(), PublishError> {
        if self.down.get() {
            return Err(PublishError::refused("connection refused"));
        }
        self.published
            .borrow_mut()
            .push((channel.to_owned(), content.to_owned()));
        Ok(())
    }
}

/// For tests that never reach a command route.
pub(crate) struct NoGateway;

impl crate::TransactionsService for NoGateway {
    fn close(&self, _: i64, _: &str) -> Result<(u16, Value), String> {
        Err("no transactions component in this test".into())
    }

    fn running_cost(&self, _: i64) -> Result<(u16, Value), String> {
        Err("no transactions component in this test".into())
    }
}

impl Publish for NoGateway {
    fn publish(&self, _: &str, _: &str) -> Result<(), PublishError> {
        Err(PublishError::refused("no gateway in this test"))
    }
}

/// A status and the body parsed as JSON (`Value::Null` when it is not JSON).
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) response: crate::Response,
}

impl Bench {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("sqlite_db.db");
        let sql = NativeSql::open(&db).unwrap();
        csms_store::migrate(&sql).unwrap();
        let kv = NativeKeyValue::open(&dir.path().join("sqlite_key_value.db")).unwrap();
        Self {
            _dir: dir,
            sql,
            kv,
            now: at("2026-11-23T20:15:00Z"),
            gateway: Gateway::default(),
            closer: Closer {
                db,
                calls: RefCell::new(Vec::new()),
                answer: Cell::new(200),
            },
        }
    }

    pub(crate) fn send(
        &self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        body: &str,
    ) -> Answer {
        let response = handle(
            &Request {
                method,
                path,
                authorization,
                body: body.as_bytes(),
            },
            TOKEN,
            &self.sql,
            &self.kv,
            &Outbound {
                publisher: &self.gateway,
                command_timeout_seconds: 60,
                transactions: &self.closer,
            },
            self.now,
        );
        let json = response
            .header("content-type")
            .is_some_and(|t| t.ends_with("json"));
        let body = if json {
            serde_json::from_slice(&response.body).unwrap()
        } else {
            Value::Null
        };
        Answer {
            status: response.status,
            body,
            response,
        }
    }

    /// An authenticated request.
    pub(crate) fn call(&self, method: &str, path: &str, body: &str) -> Answer {
        self.send(method, path, Some(&format!("Bearer {TOKEN}")), body)
    }

    /// Every item of a list, following `next_cursor` from `path?query` to the last page.
    pub(crate) fn every_item(&self, path: &str, query: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut url = format!("{path}?{query}");
        loop {
            let page = self.call("GET", &url, "");
            assert_eq!(page.status, 200, "{url}: {}", page.body);
            items.extend(page.body["items"].as_array().unwrap().iter().cloned());
            match page.body["next_cursor"].as_str() {
                Some(next) => url = format!("{path}?{query}&cursor={next}"),
                None => return items,
            }
        }
    }

    pub(crate) fn exec(&self, sql: &str) {
        for statement in sql.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
            self.sql.execute(statement, &[]).unwrap();
        }
    }

    pub(crate) fn set_kv(&self, key: &str, value: &str) {
        self.kv.set(key, value.as_bytes()).unwrap();
    }
}

pub(crate) fn at(text: &str) -> DateTime<Utc> {
    ocpp_protocol::timestamp::parse_utc(text).unwrap()
}

impl Answer {
    /// Asserts a problem answer with this status and returns its detail.
    pub(crate) fn problem(&self, status: u16) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(
            self.response.header("content-type"),
            Some("application/problem+json")
        );
        assert_eq!(self.body["type"], "about:blank");
        assert_eq!(self.body["status"], status);
        assert!(self.body["title"].is_string());
        self.body["detail"].as_str().unwrap().to_owned()
    }
}
