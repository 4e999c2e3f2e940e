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
            return Err(PublishError("connection refused".into()));
        }
        self.published
            .borrow_mut()
            .push((channel.to_owned(), content.to_owned()));
        Ok(())
    }
}

/// For tests that never reach a command route.
pub(crate) struct NoGateway;

impl Publish for NoGateway {
    fn publish(&self, _: &str, _: &str) -> Result<(), PublishError> {
        Err(PublishError("no gateway in this test".into()))
    }
}

/// A status and the body parsed as JSON (`Value::Null` when empty).
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) response: crate::Response,
}

impl Bench {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let sql = NativeSql::open(&dir.path().join("sqlite_db.db")).unwrap();
        csms_store::migrate(&sql).unwrap();
        let kv = NativeKeyValue::open(&dir.path().join("sqlite_key_value.db")).unwrap();
        Self {
            _dir: dir,
            sql,
            kv,
            now: at("2026-11-23T20:15:00Z"),
            gateway: Gateway::default(),
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
            },
            self.now,
        );
        let body = if response.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&response.body).unwrap()
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
