//! The stores a Spin component is granted: label `default` of each.

use crate::{KeyValue, Row, Sql, SqlValue, StoreError};
use spin_sdk::key_value::Store;
use spin_sdk::sqlite::{Connection, Value};

/// The component's `default` SQLite database.
pub struct SpinSql(Connection);

impl SpinSql {
    pub fn open_default() -> Result<Self, StoreError> {
        Connection::open_default()
            .map(Self)
            .map_err(|e| StoreError::Sql(format!("opening database default: {e}")))
    }
}

impl Sql for SpinSql {
    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let params: Vec<Value> = params
            .iter()
            .map(|p| match p {
                SqlValue::Null => Value::Null,
                SqlValue::Integer(v) => Value::Integer(*v),
                SqlValue::Real(v) => Value::Real(*v),
                SqlValue::Text(v) => Value::Text(v.clone()),
                SqlValue::Blob(v) => Value::Blob(v.clone()),
            })
            .collect();
        let result = self
            .0
            .execute(sql, &params)
            .map_err(|e| StoreError::Sql(format!("{e} in {sql}")))?;
        Ok(result
            .rows
            .into_iter()
            .map(|row| {
                Row(row
                    .values
                    .into_iter()
                    .map(|v| match v {
                        Value::Null => SqlValue::Null,
                        Value::Integer(v) => SqlValue::Integer(v),
                        Value::Real(v) => SqlValue::Real(v),
                        Value::Text(v) => SqlValue::Text(v),
                        Value::Blob(v) => SqlValue::Blob(v),
                    })
                    .collect())
            })
            .collect())
    }
}

/// The component's `default` key-value store.
pub struct SpinKeyValue(Store);

impl SpinKeyValue {
    pub fn open_default() -> Result<Self, StoreError> {
        Store::open_default()
            .map(Self)
            .map_err(|e| StoreError::KeyValue(format!("opening store default: {e}")))
    }
}

impl KeyValue for SpinKeyValue {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.0
            .get(key)
            .map_err(|e| StoreError::KeyValue(format!("get {key}: {e}")))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.0
            .set(key, value)
            .map_err(|e| StoreError::KeyValue(format!("set {key}: {e}")))
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0
            .delete(key)
            .map_err(|e| StoreError::KeyValue(format!("delete {key}: {e}")))
    }
}

impl SpinSql {
    /// The `default` database brought to the current schema: what every
    /// component opens first (a single read once the schema is current).
    pub fn open_default_migrated() -> Result<Self, StoreError> {
        let sql = Self::open_default()?;
        crate::migrate(&sql)?;
        Ok(sql)
    }
}

/// Service chaining and other outbound calls: POSTs JSON and returns the
/// answer's status and JSON body (the body as a JSON string when it is not
/// JSON, so that error pages still say what went wrong).
pub fn post_json(url: &str, body: &serde_json::Value) -> Result<(u16, serde_json::Value), String> {
    use spin_sdk::http::{Method, Request, Response};
    let request = Request::builder()
        .method(Method::Post)
        .uri(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build();
    let response: Response = spin_sdk::http::run(spin_sdk::http::send(request))
        .map_err(|e| format!("calling {url}: {e}"))?;
    let status = *response.status();
    let answer = serde_json::from_slice(response.body()).unwrap_or_else(|_| {
        serde_json::Value::String(String::from_utf8_lossy(response.body()).into_owned())
    });
    Ok((status, answer))
}
