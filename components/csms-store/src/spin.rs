//! The stores a Spin component is granted: label `default` of each, and PostgreSQL in
//! place of the SQLite database when the component's `database_url` says so.

use crate::dialect::postgres as pg_dialect;
use crate::engines::{self, Engines};
use crate::lazy::Lazy;
use crate::{Dialect, KeyValue, Row, Sql, SqlValue, StoreError};
use spin_sdk::key_value::Store;
use spin_sdk::pg4 as pg;
use spin_sdk::sqlite::{Connection, Value};

/// The component's SQL store: the `default` SQLite database, or PostgreSQL when the
/// component's variable `database_url` names a server.
pub struct SpinSql(Engines<SqliteConnection, PostgresConnection>);

struct SqliteConnection(Connection);

struct PostgresConnection(pg::Connection);

impl engines::Connection for SqliteConnection {
    fn run(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        sqlite_execute(&self.0, sql, params)
    }
}

impl engines::Connection for PostgresConnection {
    fn run(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        postgres_execute(&self.0, sql, params)
    }
}

/// The variable that selects the SQL store (empty = SQLite `default`).
pub const DATABASE_URL_VARIABLE: &str = "database_url";

impl SpinSql {
    pub fn open_default() -> Result<Self, StoreError> {
        let url = spin_sdk::variables::get(DATABASE_URL_VARIABLE).map_err(|e| {
            StoreError::Sql(format!("reading variable {DATABASE_URL_VARIABLE}: {e}"))
        })?;
        if url.trim().is_empty() {
            let connection = Connection::open_default()
                .map_err(|e| StoreError::Sql(format!("opening database default: {e}")))?;
            return Engines::sqlite(SqliteConnection(connection)).map(Self);
        }
        pg::Connection::open(url.trim())
            .map(|connection| Self(Engines::postgres(PostgresConnection(connection))))
            // The URL may carry a password: name the server only.
            .map_err(|e| {
                StoreError::Sql(format!(
                    "opening PostgreSQL {}: {}",
                    server(&url),
                    pg_error(&e)
                ))
            })
    }
}

/// `host:port/db` of a `postgres://user:password@host:port/db` URL.
fn server(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.rsplit_once('@').map_or(rest, |(_, server)| server)
}

impl Sql for SpinSql {
    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.0.execute(sql, params)
    }

    fn dialect(&self) -> Dialect {
        self.0.dialect()
    }

    fn take_failure(&self) -> Option<String> {
        self.0.take_failure()
    }
}

fn sqlite_execute(
    connection: &Connection,
    sql: &str,
    params: &[SqlValue],
) -> Result<Vec<Row>, StoreError> {
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
    let result = connection
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

fn postgres_execute(
    connection: &pg::Connection,
    sql: &str,
    params: &[SqlValue],
) -> Result<Vec<Row>, StoreError> {
    let translated = pg_dialect::translate(sql, params);
    let statement = translated.sql;
    let params: Vec<pg::ParameterValue> = translated
        .params
        .into_iter()
        .map(|p| match p {
            SqlValue::Null => pg::ParameterValue::DbNull,
            SqlValue::Integer(v) => pg::ParameterValue::Int64(*v),
            SqlValue::Real(v) => pg::ParameterValue::Floating64(*v),
            SqlValue::Text(v) => pg::ParameterValue::Str(v.clone()),
            SqlValue::Blob(v) => pg::ParameterValue::Binary(v.clone()),
        })
        .collect();
    let result = connection
        .query(&statement, &params)
        .map_err(|e| StoreError::Sql(format!("{} in {statement}", pg_error(&e))))?;
    result
        .rows
        .into_iter()
        .map(|row| {
            row.into_iter()
                .enumerate()
                .map(|(i, value)| {
                    Ok(match value {
                        pg::DbValue::DbNull => SqlValue::Null,
                        pg::DbValue::Boolean(v) => SqlValue::Integer(v.into()),
                        pg::DbValue::Int8(v) => SqlValue::Integer(v.into()),
                        pg::DbValue::Int16(v) => SqlValue::Integer(v.into()),
                        pg::DbValue::Int32(v) => SqlValue::Integer(v.into()),
                        pg::DbValue::Int64(v) => SqlValue::Integer(v),
                        pg::DbValue::Floating32(v) => SqlValue::Real(v.into()),
                        pg::DbValue::Floating64(v) => SqlValue::Real(v),
                        pg::DbValue::Str(v) => SqlValue::Text(v),
                        pg::DbValue::Binary(v) => SqlValue::Blob(v),
                        pg::DbValue::Decimal(v) => pg_dialect::numeric(&v),
                        _ => {
                            return Err(StoreError::Sql(format!(
                                "column {i} has a type the store does not read, in {statement}"
                            )))
                        }
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Row)
        })
        .collect()
}

/// A PostgreSQL error in the words the native backend uses, SQLSTATE included, so that
/// [`pg_dialect::is_retryable`] reads both alike.
fn pg_error(error: &pg::PgError) -> String {
    match error {
        pg::PgError::QueryFailed(pg::QueryError::DbError(db)) => {
            format!("{} (SQLSTATE {})", db.message, db.code)
        }
        pg::PgError::QueryFailed(pg::QueryError::Text(text)) => text.clone(),
        pg::PgError::ConnectionFailed(text) => format!("connection failed: {text}"),
        pg::PgError::BadParameter(text) => format!("bad parameter: {text}"),
        pg::PgError::ValueConversionFailed(text) => format!("value conversion failed: {text}"),
        pg::PgError::Other(text) => text.clone(),
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

    /// Through `wasi:keyvalue/atomics`, which Spin links for every key-value backend (on
    /// Redis a WATCH/MULTI/EXEC, on SQLite an UPDATE of the value read): the `fermyon:spin`
    /// interface has no compare-and-swap. The same store, opened by label.
    fn compare_and_swap(&self, key: &str, current: &[u8], new: &[u8]) -> Result<bool, StoreError> {
        use spin_sdk::wit::wasi::keyvalue::{atomics, store};
        let failed = |what: &str, e: &dyn std::fmt::Debug| {
            StoreError::KeyValue(format!("compare-and-swap {key}: {what}: {e:?}"))
        };
        let bucket = store::open("default").map_err(|e| failed("opening store default", &e))?;
        let cas = atomics::Cas::new(&bucket, key).map_err(|e| failed("reading", &e))?;
        match cas.current().map_err(|e| failed("reading", &e))? {
            Some(value) if value == current => {}
            _ => return Ok(false),
        }
        match atomics::swap(cas, new) {
            Ok(()) => Ok(true),
            Err(atomics::CasError::CasFailed(_)) => Ok(false),
            Err(atomics::CasError::StoreError(e)) => Err(failed("writing", &e)),
        }
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

    /// [`SpinSql::open_default_migrated`] at the first statement, for a component that
    /// answers many requests without one.
    pub fn lazy_default_migrated() -> Lazy<Self, fn() -> Result<Self, StoreError>> {
        Lazy::new(Self::open_default_migrated)
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
