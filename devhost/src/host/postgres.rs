//! `spin:postgres/postgres@4.0.0`, behaving as Spin 4's `factor-outbound-pg`:
//!
//! - `open(address)` first checks the address against the component's
//!   `allowed_outbound_hosts` (`postgres://host:port`, port 5432 when the address has none),
//!   then takes a connection from a deadpool pool of at most 64, one pool per component and
//!   connection string (the 16 most recently used strings keep theirs). A connection goes
//!   back to its pool when the guest drops the handle or the request ends; on its way out
//!   deadpool's `Clean` recycling resets the session, as in Spin.
//! - TLS unless the address says `sslmode=disable` (tokio-postgres' default is `prefer`:
//!   TLS when the server offers it). Spin uses native-tls with the system's roots; devhost
//!   uses rustls with the webpki roots, which its outbound HTTPS uses too.
//! - Parameters bind with the Rust type of their case (`int64` = `i64`, which only an
//!   `int8` accepts; `str` = `String`, ...), so a mismatch fails as it does on Spin;
//!   `db-null` binds to any type.
//! - Result columns are converted from their PostgreSQL type as Spin does; a type Spin has
//!   no case for gives `unsupported` with the raw bytes (and column type `other(name)`).
//! - Server errors become `query-failed(db-error{..})` with the SQLSTATE in `code`, the
//!   server's message in `message` and the driver's full text in `as-text`.
//!
//! The columns of a query come from preparing its statement, not from its first row, so
//! a query matching no rows returns at once with its columns (Spin 4.0.x deadlocked there:
//! spinframework/spin#3671, fixed the same way by #3673).

// The WIT error (with its `db-error` record) is what every call hands the guest, so the
// functions here return it as is rather than boxing it only to unbox it again.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use futures_util::TryStreamExt as _;
use tokio_postgres::config::{Host as PgHost, SslMode};
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type};
use tokio_postgres::{NoTls, Row};
use wasmtime::component::Resource;

use super::bindings::spin::postgres::postgres::{
    Column, DbDataType, DbError, DbValue, Error, Host, HostConnection, Interval, ParameterValue,
    QueryError, RangeBoundKind, RowSet,
};
use super::outbound_http::AllowedHosts;
use super::HostState;

/// Connections one pool holds at most (Spin's `CONNECTION_POOL_SIZE`).
const POOL_SIZE: usize = 64;
/// Connection strings whose pools a component keeps (Spin's pool cache capacity).
const POOLS_KEPT: usize = 16;
/// The most bytes of rows one query may return (Spin's `MAX_HOST_BUFFERED_BYTES`).
const MAX_RESULT_BYTES: usize = 128 << 20;

/// Why a pool could not be made for an address.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("invalid PostgreSQL connection string: {0}")]
    Address(#[source] tokio_postgres::Error),
    #[error("building the PostgreSQL connection pool: {0}")]
    Build(#[from] deadpool_postgres::BuildError),
    #[error("setting up TLS: {0}")]
    Tls(#[from] tokio_rustls::rustls::Error),
}

/// Why a parameter could not be bound.
#[derive(Debug, thiserror::Error)]
pub enum ParamError {
    #[error("invalid date y={0}, m={1}, d={2}")]
    Date(i32, u8, u8),
    #[error("invalid time {0}:{1}:{2}.{3}")]
    Time(u8, u8, u8, u32),
    #[error("invalid epoch timestamp {0}")]
    Timestamp(i64),
    #[error("invalid UUID {0}: {1}")]
    Uuid(String, uuid::Error),
    #[error("invalid JSON {0}: {1}")]
    Json(String, serde_json::Error),
    #[error("invalid decimal {0}: {1}")]
    Decimal(String, rust_decimal::Error),
}

/// Why a result value could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum ValueError {
    #[error(transparent)]
    Driver(#[from] tokio_postgres::Error),
    #[error("invalid JSON from database: {0}")]
    Json(#[from] serde_json::Error),
    #[error("query result exceeds limit of {MAX_RESULT_BYTES} bytes")]
    TooLarge,
}

/// One component's connection pools, by connection string (Spin keeps them per
/// component, so two components never share a connection).
#[derive(Default)]
pub struct PgPools {
    inner: Mutex<PoolCache>,
}

#[derive(Default)]
struct PoolCache {
    pools: HashMap<String, (Pool, u64)>,
    /// Bumped on each use, to find the least recently used pool.
    clock: u64,
}

impl PgPools {
    /// The pool for `address`, made on first use.
    fn pool(&self, address: &str) -> Result<Pool, PoolError> {
        // A poisoned lock only means another request panicked while holding it; the map
        // itself is still consistent.
        let mut cache = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        cache.clock += 1;
        let now = cache.clock;
        if let Some((pool, used)) = cache.pools.get_mut(address) {
            *used = now;
            return Ok(pool.clone());
        }
        let pool = make_pool(address)?;
        if cache.pools.len() >= POOLS_KEPT {
            let oldest = cache
                .pools
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                cache.pools.remove(&k);
            }
        }
        cache.pools.insert(address.to_string(), (pool.clone(), now));
        Ok(pool)
    }
}

fn make_pool(address: &str) -> Result<Pool, PoolError> {
    let config: tokio_postgres::Config = address.parse().map_err(PoolError::Address)?;
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Clean,
    };
    let manager = if config.get_ssl_mode() == SslMode::Disable {
        Manager::from_config(config, NoTls, manager_config)
    } else {
        Manager::from_config(config, tls_connector()?, manager_config)
    };
    Ok(Pool::builder(manager).max_size(POOL_SIZE).build()?)
}

fn tls_connector() -> Result<tokio_postgres_rustls::MakeRustlsConnect, PoolError> {
    use tokio_rustls::rustls;
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// The resource behind a `connection` handle: a pooled connection, back to its pool when
/// dropped.
pub struct PgConnection {
    client: Object,
}

/// Checks every host of `address` as Spin does: the error texts are Spin's.
pub fn check_address(allowed: &AllowedHosts, address: &str) -> Result<(), Error> {
    let config: tokio_postgres::Config = address
        .parse()
        .map_err(|e: tokio_postgres::Error| Error::ConnectionFailed(e.to_string()))?;
    let ports = config.get_ports();
    for (i, host) in config.get_hosts().iter().enumerate() {
        match host {
            PgHost::Tcp(name) => {
                // The port at the host's index, or the only one given.
                let port = ports
                    .get(i)
                    .or_else(|| (ports.len() == 1).then(|| ports.first()).flatten())
                    .copied();
                let shown = match port {
                    Some(p) => format!("{name}:{p}"),
                    None => name.clone(),
                };
                if !allowed.allows("postgres", name, port) {
                    return Err(Error::ConnectionFailed(format!(
                        "address postgres://{shown} is not permitted"
                    )));
                }
            }
            PgHost::Unix(_) => {
                return Err(Error::ConnectionFailed(
                    "Unix sockets are not supported on WebAssembly".into(),
                ))
            }
        }
    }
    Ok(())
}

/// Takes a connection for `address` from `pools`, checking it against `allowed` first.
pub async fn connect(
    allowed: &AllowedHosts,
    pools: &PgPools,
    address: &str,
) -> Result<PgConnection, Error> {
    check_address(allowed, address)?;
    let pool = pools
        .pool(address)
        .map_err(|e| Error::ConnectionFailed(e.to_string()))?;
    let client = pool
        .get()
        .await
        .map_err(|e| Error::ConnectionFailed(error_text(&e)))?;
    Ok(PgConnection { client })
}

impl PgConnection {
    /// Runs a statement that returns rows.
    pub async fn query(
        &self,
        statement: &str,
        params: Vec<ParameterValue>,
    ) -> Result<RowSet, Error> {
        // Spin reports a parameter that cannot be converted as `bad-parameter` here and as
        // `value-conversion-failed` from `execute`.
        let params = to_sql_params(params).map_err(|e| Error::BadParameter(e.to_string()))?;
        let stmt = self.client.prepare(statement).await.map_err(query_failed)?;
        let columns = stmt
            .columns()
            .iter()
            .map(|c| Column {
                name: c.name().to_string(),
                data_type: data_type(c.type_()),
            })
            .collect();
        let stream = self
            .client
            .query_raw(
                &stmt,
                params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)),
            )
            .await
            .map_err(query_failed)?;
        let mut stream = std::pin::pin!(stream);
        let mut rows = Vec::new();
        let mut bytes = 0usize;
        while let Some(row) = stream.try_next().await.map_err(query_failed)? {
            let values = convert_row(&row).map_err(|e| match e {
                ValueError::Driver(d) if d.as_db_error().is_some() => query_failed(d),
                other => Error::QueryFailed(QueryError::Text(error_text(&other))),
            })?;
            bytes += values.iter().map(value_size).sum::<usize>();
            if bytes > MAX_RESULT_BYTES {
                return Err(Error::QueryFailed(QueryError::Text(
                    ValueError::TooLarge.to_string(),
                )));
            }
            rows.push(values);
        }
        Ok(RowSet { columns, rows })
    }

    /// Runs a statement; returns the rows it affected.
    pub async fn execute(
        &self,
        statement: &str,
        params: Vec<ParameterValue>,
    ) -> Result<u64, Error> {
        let params =
            to_sql_params(params).map_err(|e| Error::ValueConversionFailed(e.to_string()))?;
        let refs: Vec<&(dyn ToSql + Sync)> = params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        self.client
            .execute(statement, &refs)
            .await
            .map_err(query_failed)
    }
}

/// An error with its causes, as one line.
fn error_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

/// A driver error as Spin reports it: the server's fields when it came from the server.
fn query_failed(e: tokio_postgres::Error) -> Error {
    // The driver's Debug form is what Spin puts in as-text: it carries every field.
    let as_text = format!("{e:?}");
    Error::QueryFailed(match e.as_db_error() {
        None => QueryError::Text(as_text),
        Some(db) => {
            let mut extras = Vec::new();
            let mut extra = |name: &str, value: Option<String>| {
                if let Some(v) = value {
                    extras.push((name.to_string(), v));
                }
            };
            extra("column", db.column().map(str::to_string));
            extra("constraint", db.constraint().map(str::to_string));
            extra("routine", db.routine().map(str::to_string));
            extra("hint", db.hint().map(str::to_string));
            extra("table", db.table().map(str::to_string));
            extra("datatype", db.datatype().map(str::to_string));
            extra("schema", db.schema().map(str::to_string));
            extra("file", db.file().map(str::to_string));
            extra("line", db.line().map(|l| l.to_string()));
            extra("where_", db.where_().map(str::to_string));
            QueryError::DbError(DbError {
                as_text,
                severity: db.severity().to_string(),
                code: db.code().code().to_string(),
                message: db.message().to_string(),
                detail: db.detail().map(str::to_string),
                extras,
            })
        }
    })
}

// ---- parameters -------------------------------------------------------------

type SqlParam = Box<dyn ToSql + Send + Sync>;

fn to_sql_params(params: Vec<ParameterValue>) -> Result<Vec<SqlParam>, ParamError> {
    params.into_iter().map(to_sql_param).collect()
}

fn date(y: i32, m: u8, d: u8) -> Result<chrono::NaiveDate, ParamError> {
    chrono::NaiveDate::from_ymd_opt(y, m.into(), d.into()).ok_or(ParamError::Date(y, m, d))
}

fn time(h: u8, m: u8, s: u8, ns: u32) -> Result<chrono::NaiveTime, ParamError> {
    chrono::NaiveTime::from_hms_nano_opt(h.into(), m.into(), s.into(), ns)
        .ok_or(ParamError::Time(h, m, s, ns))
}

fn decimal(s: String) -> Result<rust_decimal::Decimal, ParamError> {
    rust_decimal::Decimal::from_str_exact(&s).map_err(|e| ParamError::Decimal(s, e))
}

type WitRange<T> = (Option<(T, RangeBoundKind)>, Option<(T, RangeBoundKind)>);

fn bound_type(kind: RangeBoundKind) -> postgres_range::BoundType {
    match kind {
        RangeBoundKind::Inclusive => postgres_range::BoundType::Inclusive,
        RangeBoundKind::Exclusive => postgres_range::BoundType::Exclusive,
    }
}

fn bound_kind(t: postgres_range::BoundType) -> RangeBoundKind {
    match t {
        postgres_range::BoundType::Inclusive => RangeBoundKind::Inclusive,
        postgres_range::BoundType::Exclusive => RangeBoundKind::Exclusive,
    }
}

fn to_pg_range<T: postgres_range::Normalizable + PartialOrd>(
    (lower, upper): WitRange<T>,
) -> postgres_range::Range<T> {
    postgres_range::Range::new(
        lower.map(|(v, k)| postgres_range::RangeBound::new(v, bound_type(k))),
        upper.map(|(v, k)| postgres_range::RangeBound::new(v, bound_type(k))),
    )
}

fn to_sql_param(value: ParameterValue) -> Result<SqlParam, ParamError> {
    use ParameterValue as P;
    Ok(match value {
        P::Boolean(v) => Box::new(v),
        P::Int8(v) => Box::new(v),
        P::Int16(v) => Box::new(v),
        P::Int32(v) => Box::new(v),
        P::Int64(v) => Box::new(v),
        P::Floating32(v) => Box::new(v),
        P::Floating64(v) => Box::new(v),
        P::Str(v) => Box::new(v),
        P::Binary(v) => Box::new(v),
        P::Date((y, m, d)) => Box::new(date(y, m, d)?),
        P::Time((h, m, s, ns)) => Box::new(time(h, m, s, ns)?),
        P::Datetime((y, mo, d, h, mi, s, ns)) => Box::new(chrono::NaiveDateTime::new(
            date(y, mo, d)?,
            time(h, mi, s, ns)?,
        )),
        P::Timestamp(secs) => Box::new(
            chrono::DateTime::<chrono::Utc>::from_timestamp(secs, 0)
                .ok_or(ParamError::Timestamp(secs))?,
        ),
        P::Uuid(v) => match uuid::Uuid::parse_str(&v) {
            Ok(u) => Box::new(u),
            Err(e) => return Err(ParamError::Uuid(v, e)),
        },
        P::Jsonb(bytes) => match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(j) => Box::new(j),
            Err(e) => {
                return Err(ParamError::Json(
                    String::from_utf8_lossy(&bytes).into_owned(),
                    e,
                ))
            }
        },
        P::Decimal(v) => Box::new(decimal(v)?),
        P::RangeInt32(r) => Box::new(to_pg_range(r)),
        P::RangeInt64(r) => Box::new(to_pg_range(r)),
        P::RangeDecimal((lower, upper)) => {
            let bound = |b: Option<(String, RangeBoundKind)>| {
                b.map(|(v, k)| decimal(v).map(|d| (RangeDecimal(d), k)))
                    .transpose()
            };
            Box::new(to_pg_range((bound(lower)?, bound(upper)?)))
        }
        P::ArrayInt32(v) => Box::new(v),
        P::ArrayInt64(v) => Box::new(v),
        P::ArrayDecimal(v) => Box::new(
            v.into_iter()
                .map(|d| d.map(decimal).transpose())
                .collect::<Result<Vec<_>, _>>()?,
        ),
        P::ArrayStr(v) => Box::new(v),
        P::Interval(i) => Box::new(PgInterval(i)),
        P::DbNull => Box::new(SqlNull),
    })
}

type BoxError = Box<dyn std::error::Error + Sync + Send>;

/// NULL of whatever type the statement expects (an `Option::<T>::None` would insist on
/// `T`'s type, and the guest did not say which).
#[derive(Debug)]
struct SqlNull;

impl ToSql for SqlNull {
    fn to_sql(&self, _: &Type, _: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
        Ok(IsNull::Yes)
    }
    fn accepts(_: &Type) -> bool {
        true
    }
    fn to_sql_checked(&self, _: &Type, _: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
        Ok(IsNull::Yes)
    }
}

/// The WIT interval in PostgreSQL's binary form: microseconds, days, months.
#[derive(Debug)]
struct PgInterval(Interval);

impl ToSql for PgInterval {
    fn to_sql(&self, _: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
        out.extend_from_slice(&self.0.micros.to_be_bytes());
        out.extend_from_slice(&self.0.days.to_be_bytes());
        out.extend_from_slice(&self.0.months.to_be_bytes());
        Ok(IsNull::No)
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::INTERVAL
    }
    tokio_postgres::types::to_sql_checked!();
}

#[derive(Debug, thiserror::Error)]
#[error("an interval is 16 bytes, got {0}")]
struct IntervalLength(usize);

impl<'a> FromSql<'a> for PgInterval {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        let bad = || Box::new(IntervalLength(raw.len())) as BoxError;
        let micros = raw
            .get(0..8)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(bad)?;
        let days = raw
            .get(8..12)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(bad)?;
        let months = raw
            .get(12..16)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(bad)?;
        if raw.len() != 16 {
            return Err(bad());
        }
        Ok(Self(Interval {
            micros: i64::from_be_bytes(micros),
            days: i32::from_be_bytes(days),
            months: i32::from_be_bytes(months),
        }))
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::INTERVAL
    }
}

/// A decimal as a range bound (postgres_range needs `Normalizable`; a decimal range is
/// continuous, so its bounds stay as written).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
struct RangeDecimal(rust_decimal::Decimal);

impl postgres_range::Normalizable for RangeDecimal {
    fn normalize<S: postgres_range::BoundSided>(
        bound: postgres_range::RangeBound<S, Self>,
    ) -> postgres_range::RangeBound<S, Self> {
        bound
    }
}

impl ToSql for RangeDecimal {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
        self.0.to_sql(ty, out)
    }
    fn accepts(ty: &Type) -> bool {
        <rust_decimal::Decimal as ToSql>::accepts(ty)
    }
    tokio_postgres::types::to_sql_checked!();
}

impl<'a> FromSql<'a> for RangeDecimal {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        rust_decimal::Decimal::from_sql(ty, raw).map(Self)
    }
    fn accepts(ty: &Type) -> bool {
        <rust_decimal::Decimal as FromSql>::accepts(ty)
    }
}

/// A value of a type devhost (like Spin) has no case for: its binary form as sent.
struct Raw(Vec<u8>);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(Self(raw.to_vec()))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

// ---- results ----------------------------------------------------------------

/// The WIT column type of a PostgreSQL type (Spin's mapping).
fn data_type(ty: &Type) -> DbDataType {
    match *ty {
        Type::BOOL => DbDataType::Boolean,
        Type::BYTEA => DbDataType::Binary,
        Type::FLOAT4 => DbDataType::Floating32,
        Type::FLOAT8 => DbDataType::Floating64,
        Type::INT2 => DbDataType::Int16,
        Type::INT4 => DbDataType::Int32,
        Type::INT8 => DbDataType::Int64,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR => DbDataType::Str,
        Type::TIMESTAMP | Type::TIMESTAMPTZ => DbDataType::Datetime,
        Type::DATE => DbDataType::Date,
        Type::TIME => DbDataType::Time,
        Type::UUID => DbDataType::Uuid,
        Type::JSONB => DbDataType::Jsonb,
        Type::NUMERIC => DbDataType::Decimal,
        Type::INT4_RANGE => DbDataType::RangeInt32,
        Type::INT8_RANGE => DbDataType::RangeInt64,
        Type::NUM_RANGE => DbDataType::RangeDecimal,
        Type::INT4_ARRAY => DbDataType::ArrayInt32,
        Type::INT8_ARRAY => DbDataType::ArrayInt64,
        Type::NUMERIC_ARRAY => DbDataType::ArrayDecimal,
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY | Type::BPCHAR_ARRAY => DbDataType::ArrayStr,
        Type::INTERVAL => DbDataType::Interval,
        _ => DbDataType::Other(ty.name().to_string()),
    }
}

fn convert_row(row: &Row) -> Result<Vec<DbValue>, ValueError> {
    (0..row.len()).map(|i| convert_value(row, i)).collect()
}

/// Column `i` of `row` as a `T`, NULL as `db-null`, through `f`.
fn get<'a, T: FromSql<'a>>(
    row: &'a Row,
    i: usize,
    f: impl FnOnce(T) -> Result<DbValue, ValueError>,
) -> Result<DbValue, ValueError> {
    match row.try_get::<_, Option<T>>(i)? {
        Some(v) => f(v),
        None => Ok(DbValue::DbNull),
    }
}

fn from_pg_range<T: Copy + postgres_range::Normalizable + PartialOrd, U>(
    r: postgres_range::Range<T>,
    f: impl Fn(T) -> U,
) -> WitRange<U> {
    (
        r.lower().map(|b| (f(b.value), bound_kind(b.type_))),
        r.upper().map(|b| (f(b.value), bound_kind(b.type_))),
    )
}

fn convert_value(row: &Row, i: usize) -> Result<DbValue, ValueError> {
    use chrono::{Datelike, Timelike};
    use DbValue as V;
    let Some(column) = row.columns().get(i) else {
        return Ok(V::DbNull);
    };
    // chrono's month, day, hour, minute and second always fit a u8.
    let small = |n: u32| u8::try_from(n).unwrap_or(u8::MAX);
    match *column.type_() {
        Type::BOOL => get(row, i, |v| Ok(V::Boolean(v))),
        Type::BYTEA => get(row, i, |v| Ok(V::Binary(v))),
        Type::FLOAT4 => get(row, i, |v| Ok(V::Floating32(v))),
        Type::FLOAT8 => get(row, i, |v| Ok(V::Floating64(v))),
        Type::INT2 => get(row, i, |v| Ok(V::Int16(v))),
        Type::INT4 => get(row, i, |v| Ok(V::Int32(v))),
        Type::INT8 => get(row, i, |v| Ok(V::Int64(v))),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR => get(row, i, |v| Ok(V::Str(v))),
        // As Spin: both read as a `NaiveDateTime`, which the driver only takes from a
        // `timestamp`, so a `timestamptz` column fails to convert on Spin too.
        Type::TIMESTAMP | Type::TIMESTAMPTZ => get(row, i, |v: chrono::NaiveDateTime| {
            Ok(V::Datetime((
                v.year(),
                small(v.month()),
                small(v.day()),
                small(v.hour()),
                small(v.minute()),
                small(v.second()),
                v.nanosecond(),
            )))
        }),
        Type::DATE => get(row, i, |v: chrono::NaiveDate| {
            Ok(V::Date((v.year(), small(v.month()), small(v.day()))))
        }),
        Type::TIME => get(row, i, |v: chrono::NaiveTime| {
            Ok(V::Time((
                small(v.hour()),
                small(v.minute()),
                small(v.second()),
                v.nanosecond(),
            )))
        }),
        Type::UUID => get(row, i, |v: uuid::Uuid| Ok(V::Uuid(v.to_string()))),
        Type::JSONB => get(row, i, |v: serde_json::Value| {
            Ok(V::Jsonb(serde_json::to_vec(&v)?))
        }),
        Type::NUMERIC => get(row, i, |v: rust_decimal::Decimal| {
            Ok(V::Decimal(v.to_string()))
        }),
        Type::INT4_RANGE => get(row, i, |r: postgres_range::Range<i32>| {
            Ok(V::RangeInt32(from_pg_range(r, |v| v)))
        }),
        Type::INT8_RANGE => get(row, i, |r: postgres_range::Range<i64>| {
            Ok(V::RangeInt64(from_pg_range(r, |v| v)))
        }),
        Type::NUM_RANGE => get(row, i, |r: postgres_range::Range<RangeDecimal>| {
            Ok(V::RangeDecimal(from_pg_range(r, |d| d.0.to_string())))
        }),
        Type::INT4_ARRAY => get(row, i, |v| Ok(V::ArrayInt32(v))),
        Type::INT8_ARRAY => get(row, i, |v| Ok(V::ArrayInt64(v))),
        Type::NUMERIC_ARRAY => get(row, i, |v: Vec<Option<rust_decimal::Decimal>>| {
            Ok(V::ArrayDecimal(
                v.into_iter().map(|d| d.map(|d| d.to_string())).collect(),
            ))
        }),
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY | Type::BPCHAR_ARRAY => {
            get(row, i, |v| Ok(V::ArrayStr(v)))
        }
        Type::INTERVAL => get(row, i, |v: PgInterval| Ok(V::Interval(v.0))),
        _ => get(row, i, |v: Raw| Ok(V::Unsupported(v.0))),
    }
}

/// Roughly what a value holds on the host, for [`MAX_RESULT_BYTES`].
fn value_size(v: &DbValue) -> usize {
    let base = std::mem::size_of::<DbValue>();
    let opt_strings = |v: &[Option<String>]| {
        v.iter()
            .map(|s| std::mem::size_of::<Option<String>>() + s.as_ref().map_or(0, String::len))
            .sum::<usize>()
    };
    base + match v {
        DbValue::Str(s) | DbValue::Uuid(s) | DbValue::Decimal(s) => s.len(),
        DbValue::Binary(b) | DbValue::Jsonb(b) | DbValue::Unsupported(b) => b.len(),
        DbValue::ArrayInt32(a) => a.len() * std::mem::size_of::<Option<i32>>(),
        DbValue::ArrayInt64(a) => a.len() * std::mem::size_of::<Option<i64>>(),
        DbValue::ArrayDecimal(a) | DbValue::ArrayStr(a) => opt_strings(a),
        _ => 0,
    }
}

// ---- the WIT interface ------------------------------------------------------

impl Host for HostState {}

impl HostConnection for HostState {
    async fn open(
        &mut self,
        address: String,
    ) -> wasmtime::Result<Result<Resource<PgConnection>, Error>> {
        let allowed = self.outbound.allowed.clone();
        let pools = self.postgres.clone();
        let conn = match connect(&allowed, &pools, &address).await {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!(component = %self.outbound.component_id, "postgres open failed: {e:?}");
                return Ok(Err(e));
            }
        };
        self.calls.pg_open();
        Ok(Ok(self.table.push(conn)?))
    }

    async fn query(
        &mut self,
        conn: Resource<PgConnection>,
        statement: String,
        params: Vec<ParameterValue>,
    ) -> wasmtime::Result<Result<RowSet, Error>> {
        self.calls.pg_statement();
        let conn = self.table.get(&conn)?;
        Ok(conn.query(&statement, params).await)
    }

    async fn execute(
        &mut self,
        conn: Resource<PgConnection>,
        statement: String,
        params: Vec<ParameterValue>,
    ) -> wasmtime::Result<Result<u64, Error>> {
        self.calls.pg_statement();
        let conn = self.table.get(&conn)?;
        Ok(conn.execute(&statement, params).await)
    }

    async fn drop(&mut self, conn: Resource<PgConnection>) -> wasmtime::Result<()> {
        self.table.delete(conn)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_against_allowed_hosts_with_spins_messages(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let allowed =
            AllowedHosts::parse(&["postgres://db.internal", "postgres://127.0.0.1:6543"])?;
        assert!(check_address(&allowed, "postgres://user:pw@db.internal/app").is_ok());
        assert!(check_address(&allowed, "postgres://db.internal:5432/app").is_ok());
        assert!(check_address(&allowed, "host=127.0.0.1 port=6543 dbname=x").is_ok());
        let denied = |address: &str| match check_address(&allowed, address) {
            Err(Error::ConnectionFailed(m)) => m,
            other => format!("unexpected {other:?}"),
        };
        assert_eq!(
            denied("postgres://127.0.0.1:5432/app"),
            "address postgres://127.0.0.1:5432 is not permitted"
        );
        // The driver fills in 5432 for a URL without a port, so the message shows it (on
        // Spin too); a key=value string without one shows none.
        assert_eq!(
            denied("postgres://other.internal/app"),
            "address postgres://other.internal:5432 is not permitted"
        );
        assert_eq!(
            denied("host=other.internal dbname=app"),
            "address postgres://other.internal is not permitted"
        );
        assert_eq!(
            denied("host=/run/postgresql dbname=x"),
            "Unix sockets are not supported on WebAssembly"
        );
        assert!(!denied("postgres://db.internal:notaport/app").is_empty());
        Ok(())
    }

    #[test]
    fn parameters_that_cannot_be_converted_are_refused() {
        assert!(matches!(
            to_sql_param(ParameterValue::Date((2024, 2, 30))),
            Err(ParamError::Date(2024, 2, 30))
        ));
        assert!(matches!(
            to_sql_param(ParameterValue::Decimal("1.2.3".into())),
            Err(ParamError::Decimal(..))
        ));
        assert!(matches!(
            to_sql_param(ParameterValue::Uuid("nope".into())),
            Err(ParamError::Uuid(..))
        ));
        assert!(to_sql_param(ParameterValue::Jsonb(b"{\"a\":1}".to_vec())).is_ok());
        assert!(to_sql_param(ParameterValue::DbNull).is_ok());
    }

    #[test]
    fn null_binds_to_any_type_and_intervals_round_trip() -> Result<(), BoxError> {
        let mut out = bytes::BytesMut::new();
        assert!(matches!(
            SqlNull.to_sql_checked(&Type::TIMESTAMPTZ, &mut out)?,
            IsNull::Yes
        ));
        let i = Interval {
            micros: -5,
            days: 3,
            months: 14,
        };
        PgInterval(i).to_sql_checked(&Type::INTERVAL, &mut out)?;
        let back = PgInterval::from_sql(&Type::INTERVAL, &out)?.0;
        assert_eq!((back.micros, back.days, back.months), (-5, 3, 14));
        assert!(PgInterval::from_sql(&Type::INTERVAL, &out[..15]).is_err());
        Ok(())
    }

    #[test]
    fn pools_are_kept_per_address_up_to_the_cap() -> Result<(), PoolError> {
        let pools = PgPools::default();
        for n in 0..POOLS_KEPT + 3 {
            pools.pool(&format!("postgres://127.0.0.1:1/db{n}?sslmode=disable"))?;
        }
        let cache = pools.inner.lock().unwrap_or_else(|p| p.into_inner());
        assert_eq!(cache.pools.len(), POOLS_KEPT);
        assert!(!cache
            .pools
            .contains_key("postgres://127.0.0.1:1/db0?sslmode=disable"));
        Ok(())
    }
}
