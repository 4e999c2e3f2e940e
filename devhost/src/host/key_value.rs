//! `fermyon:spin/key-value@2.0.0` with Spin's two local-or-server store types:
//!
//! - `spin`: SQLite files (same table layout as Spin's, so a `.spin/sqlite_key_value.db`
//!   written by devhost is readable by `spin up` and the other way round);
//! - `redis`: a Redis server, as Spin's `key-value-redis`: one connection manager per
//!   store, made on the first `open`; GET, SET, DEL, EXISTS and `KEYS *`. As in Spin the
//!   label is not part of the Redis key, so every label on one server shares its keys.
//!
//! The batch, counter and compare-and-swap operations here serve `wasi:keyvalue`
//! (`wasi_keyvalue.rs`), which opens the same stores.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use redis::aio::ConnectionManager;
use rusqlite::{params, OptionalExtension};
use wasmtime::component::Resource;

use super::bindings::fermyon::spin::key_value::{Error, Host, HostStore};
use super::store_file::StoreFileError;
use super::store_file::{StoreKind, StoreTuning};
use super::HostState;

const KIND: StoreKind = StoreKind("key-value store");

const UPSERT: &str = "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
     ON CONFLICT(store, key) DO UPDATE SET value = excluded.value";

/// Why a key-value store could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum KeyValueError {
    #[error(transparent)]
    File(#[from] StoreFileError),
    /// The URL itself is not printed: it may hold a password.
    #[error("key-value store '{label}': invalid Redis URL: {source}")]
    RedisUrl {
        label: String,
        source: redis::RedisError,
    },
}

/// One store type's backend.
#[derive(Clone)]
pub enum KvBackend {
    /// One SQLite database holding one or more labelled stores.
    Sqlite(SqliteKv),
    Redis(RedisKv),
}

/// A `spin` store: one connection for the store's life, with prepared statements, as
/// Spin's `spin` type keeps it.
#[derive(Clone)]
pub struct SqliteKv {
    conn: Arc<Mutex<rusqlite::Connection>>,
}

/// A `redis` store.
#[derive(Clone)]
pub struct RedisKv {
    client: redis::Client,
    /// Made by the first `open` (as Spin), then shared: the manager multiplexes and
    /// reconnects by itself.
    conn: Arc<tokio::sync::OnceCell<ConnectionManager>>,
}

impl KvBackend {
    /// Opens (creating if needed) the SQLite database at `path`; `None` = in memory.
    /// Only the journal mode depends on `tuning`.
    pub fn open(
        label: &str,
        path: Option<&Path>,
        tuning: StoreTuning,
    ) -> Result<Self, KeyValueError> {
        let conn = KIND.open(label, path, tuning)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
                store TEXT NOT NULL,
                key   TEXT NOT NULL,
                value BLOB NOT NULL,
                PRIMARY KEY (store, key)
            );",
        )
        .map_err(|e| KIND.error(label, path, e))?;
        Ok(Self::Sqlite(SqliteKv {
            conn: Arc::new(Mutex::new(conn)),
        }))
    }

    /// A Redis store at `url` (`redis://host:port[/db]`). Nothing connects yet: as in
    /// Spin, a bad URL fails at start-up and an unreachable server at the first `open`.
    pub fn redis(label: &str, url: &str) -> Result<Self, KeyValueError> {
        let client = redis::Client::open(url).map_err(|source| KeyValueError::RedisUrl {
            label: label.to_string(),
            source,
        })?;
        Ok(Self::Redis(RedisKv {
            client,
            conn: Arc::new(tokio::sync::OnceCell::new()),
        }))
    }

    /// What `open` does beyond the grant check: Redis connects on first use.
    async fn ready(&self) -> Result<(), Error> {
        match self {
            KvBackend::Sqlite(_) => Ok(()),
            KvBackend::Redis(r) => {
                let mut conn = r.connection().await?;
                // As Spin: a failed PING is ignored, the manager reconnects in the background.
                let _ = redis::cmd("PING").query_async::<()>(&mut conn).await;
                Ok(())
            }
        }
    }

    pub(crate) async fn get(&self, label: &str, key: &str) -> Result<Option<Vec<u8>>, Error> {
        match self {
            KvBackend::Sqlite(s) => s.with(|c| {
                c.prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                    .query_row(params![label, key], |row| row.get::<_, Vec<u8>>(0))
                    .optional()
            }),
            KvBackend::Redis(r) => r.query(redis::cmd("GET").arg(key)).await,
        }
    }

    pub(crate) async fn set(&self, label: &str, key: &str, value: &[u8]) -> Result<(), Error> {
        match self {
            KvBackend::Sqlite(s) => s.set(label, key, value),
            KvBackend::Redis(r) => r.query(redis::cmd("SET").arg(key).arg(value)).await,
        }
    }

    pub(crate) async fn delete(&self, label: &str, key: &str) -> Result<(), Error> {
        match self {
            KvBackend::Sqlite(s) => s.with(|c| {
                c.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                    .execute(params![label, key])
                    .map(|_| ())
            }),
            KvBackend::Redis(r) => r.query(redis::cmd("DEL").arg(key)).await,
        }
    }

    pub(crate) async fn exists(&self, label: &str, key: &str) -> Result<bool, Error> {
        match self {
            KvBackend::Sqlite(s) => s.with(|c| {
                c.prepare_cached(
                    "SELECT EXISTS(SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2)",
                )?
                .query_row(params![label, key], |row| row.get::<_, bool>(0))
            }),
            KvBackend::Redis(r) => r.query(redis::cmd("EXISTS").arg(key)).await,
        }
    }

    pub(crate) async fn get_keys(&self, label: &str) -> Result<Vec<String>, Error> {
        match self {
            KvBackend::Sqlite(s) => s.with(|c| {
                let mut stmt =
                    c.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1")?;
                let rows = stmt.query_map(params![label], |row| row.get::<_, String>(0))?;
                rows.collect()
            }),
            KvBackend::Redis(r) => r.query(redis::cmd("KEYS").arg("*")).await,
        }
    }

    /// The values of those `keys` that exist (a SQLite store leaves missing keys out, as
    /// Spin's; a Redis one answers `none` for them, as the WIT says: Spin's Redis store
    /// sends `KEYS` here and fails).
    pub(crate) async fn get_many(
        &self,
        label: &str,
        keys: Vec<String>,
    ) -> Result<Vec<(String, Option<Vec<u8>>)>, Error> {
        match self {
            KvBackend::Sqlite(s) => s.with(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2",
                )?;
                let mut found = Vec::new();
                for key in keys {
                    let value = stmt
                        .query_row(params![label, key], |row| row.get::<_, Vec<u8>>(0))
                        .optional()?;
                    if let Some(v) = value {
                        found.push((key, Some(v)));
                    }
                }
                Ok(found)
            }),
            KvBackend::Redis(r) => {
                let values: Vec<Option<Vec<u8>>> = r.query(redis::cmd("MGET").arg(&keys)).await?;
                Ok(keys.into_iter().zip(values).collect())
            }
        }
    }

    /// Sets every pair (SQLite: in one transaction; Redis: MSET).
    pub(crate) async fn set_many(
        &self,
        label: &str,
        pairs: Vec<(String, Vec<u8>)>,
    ) -> Result<(), Error> {
        match self {
            KvBackend::Sqlite(s) => s.with(|c| {
                let tx = c.unchecked_transaction()?;
                {
                    let mut stmt = tx.prepare_cached(UPSERT)?;
                    for (key, value) in &pairs {
                        stmt.execute(params![label, key, value])?;
                    }
                }
                tx.commit()
            }),
            KvBackend::Redis(r) => r.query(redis::cmd("MSET").arg(&pairs)).await,
        }
    }

    /// Deletes every key (SQLite: in one transaction; Redis: one DEL).
    pub(crate) async fn delete_many(&self, label: &str, keys: Vec<String>) -> Result<(), Error> {
        match self {
            KvBackend::Sqlite(s) => s.with(|c| {
                let tx = c.unchecked_transaction()?;
                {
                    let mut stmt = tx.prepare_cached(
                        "DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2",
                    )?;
                    for key in &keys {
                        stmt.execute(params![label, key])?;
                    }
                }
                tx.commit()
            }),
            KvBackend::Redis(r) => r.query(redis::cmd("DEL").arg(&keys)).await,
        }
    }

    /// Adds `delta` to the number at `key` (0 when absent) and returns the sum. As in
    /// Spin, the two store types keep the number differently: SQLite as 8 little-endian
    /// bytes, Redis (INCRBY) as decimal text.
    pub(crate) async fn increment(&self, label: &str, key: &str, delta: i64) -> Result<i64, Error> {
        match self {
            KvBackend::Sqlite(s) => {
                let outcome = s.with(|c| {
                    let tx = c.unchecked_transaction()?;
                    let old = tx
                        .prepare_cached(
                            "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2",
                        )?
                        .query_row(params![label, key], |row| row.get::<_, Vec<u8>>(0))
                        .optional()?;
                    let current = match old {
                        None => 0,
                        Some(bytes) => match <[u8; 8]>::try_from(bytes.as_slice()) {
                            Ok(b) => i64::from_le_bytes(b),
                            Err(_) => {
                                return Ok(Err(Error::Other(format!(
                                    "the value of '{key}' is not a counter (8 bytes)"
                                ))))
                            }
                        },
                    };
                    let Some(sum) = current.checked_add(delta) else {
                        return Ok(Err(Error::Other(format!(
                            "incrementing '{key}' by {delta} overflows"
                        ))));
                    };
                    tx.prepare_cached(UPSERT)?
                        .execute(params![label, key, sum.to_le_bytes()])?;
                    tx.commit()?;
                    Ok(Ok(sum))
                });
                outcome?
            }
            KvBackend::Redis(r) => r.query(redis::cmd("INCRBY").arg(key).arg(delta)).await,
        }
    }

    /// Sets `key` outside any request (the `--key-value` start-up flag).
    fn seed(&self, label: &str, key: &str, value: &[u8]) -> Result<(), Error> {
        match self {
            KvBackend::Sqlite(s) => s.set(label, key, value),
            // Start-up runs outside the async runtime, so a plain blocking connection.
            KvBackend::Redis(r) => r
                .client
                .get_connection()
                .and_then(|mut c| redis::cmd("SET").arg(key).arg(value).query::<()>(&mut c))
                .map_err(|e| Error::Other(e.to_string())),
        }
    }
}

impl SqliteKv {
    fn with<T>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Result<T, Error> {
        // A commit waits for the disk; hand the worker's other tasks away meanwhile.
        super::sqlite::blocking(|| {
            let conn = self
                .conn
                .lock()
                .map_err(|_| Error::Other("key-value store lock poisoned".into()))?;
            f(&conn).map_err(|e| Error::Other(e.to_string()))
        })
    }

    fn set(&self, label: &str, key: &str, value: &[u8]) -> Result<(), Error> {
        self.with(|c| {
            c.prepare_cached(UPSERT)?
                .execute(params![label, key, value])
                .map(|_| ())
        })
    }

    pub(crate) fn with_conn<T>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Result<T, Error> {
        self.with(f)
    }
}

impl RedisKv {
    async fn connection(&self) -> Result<ConnectionManager, Error> {
        self.conn
            .get_or_try_init(|| self.client.get_connection_manager())
            .await
            .cloned()
            .map_err(redis_error)
    }

    /// A connection of its own, for WATCH (which belongs to a connection, so the shared
    /// manager cannot carry it), as Spin gives each compare-and-swap its own.
    pub(crate) async fn dedicated(&self) -> Result<redis::aio::MultiplexedConnection, Error> {
        self.client
            .get_multiplexed_async_connection()
            .await
            .map_err(redis_error)
    }

    async fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, Error> {
        let mut conn = self.connection().await?;
        cmd.query_async(&mut conn).await.map_err(redis_error)
    }
}

/// Spin answers every Redis failure with `other` and the error's Debug text.
pub(crate) fn redis_error(e: redis::RedisError) -> Error {
    tracing::warn!("key-value error: {e:?}");
    Error::Other(format!("{e:?}"))
}

/// All stores of the app, by label.
#[derive(Clone, Default)]
pub struct KeyValueStores {
    stores: BTreeMap<String, KvBackend>,
}

impl KeyValueStores {
    pub fn insert(&mut self, label: &str, backend: KvBackend) {
        self.stores.insert(label.to_string(), backend);
    }

    pub fn contains(&self, label: &str) -> bool {
        self.stores.contains_key(label)
    }

    /// Sets `key` in store `label` (the `--key-value` start-up flag).
    pub fn seed(&self, label: &str, key: &str, value: &[u8]) -> Result<(), String> {
        let backend = self
            .stores
            .get(label)
            .ok_or_else(|| format!("no key-value store '{label}'"))?;
        backend
            .seed(label, key, value)
            .map_err(|e| format!("{e:?}"))
    }
}

/// What one component may open: the labels in its `key_value_stores`.
pub struct ComponentKeyValue {
    pub(crate) allowed: Arc<HashSet<String>>,
    pub(crate) stores: Arc<KeyValueStores>,
}

/// The resource behind a `store` handle (and a wasi:keyvalue `bucket`).
pub struct StoreHandle {
    pub(crate) label: String,
    pub(crate) backend: KvBackend,
}

impl HostState {
    /// Opens store `label` for this component: the checks and connection of both
    /// key-value interfaces' `open`.
    pub(crate) async fn kv_open(&mut self, label: String) -> Result<StoreHandle, Error> {
        // Spin checks the grant first: an ungranted label is access-denied
        // whether or not such a store exists.
        if !self.key_value.allowed.contains(&label) {
            return Err(Error::AccessDenied);
        }
        let Some(backend) = self.key_value.stores.stores.get(&label).cloned() else {
            return Err(Error::NoSuchStore);
        };
        backend.ready().await?;
        Ok(StoreHandle { label, backend })
    }

    /// The store behind `store`, cloned so no borrow of the table is held across an await.
    pub(crate) fn kv_store(
        &self,
        store: &Resource<StoreHandle>,
    ) -> wasmtime::Result<(String, KvBackend)> {
        let s = self.table.get(store)?;
        Ok((s.label.clone(), s.backend.clone()))
    }
}

impl Host for HostState {}

impl HostStore for HostState {
    async fn open(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<StoreHandle>, Error>> {
        match self.kv_open(label).await {
            Ok(store) => Ok(Ok(self.table.push(store)?)),
            Err(e) => Ok(Err(e)),
        }
    }

    async fn get(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        self.calls.kv_read();
        let (label, backend) = self.kv_store(&store)?;
        Ok(backend.get(&label, &key).await)
    }

    async fn set(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        self.calls.kv_write();
        let (label, backend) = self.kv_store(&store)?;
        Ok(backend.set(&label, &key, &value).await)
    }

    async fn delete(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<(), Error>> {
        self.calls.kv_write();
        let (label, backend) = self.kv_store(&store)?;
        Ok(backend.delete(&label, &key).await)
    }

    async fn exists(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<bool, Error>> {
        self.calls.kv_read();
        let (label, backend) = self.kv_store(&store)?;
        Ok(backend.exists(&label, &key).await)
    }

    async fn get_keys(
        &mut self,
        store: Resource<StoreHandle>,
    ) -> wasmtime::Result<Result<Vec<String>, Error>> {
        self.calls.kv_read();
        let (label, backend) = self.kv_store(&store)?;
        Ok(backend.get_keys(&label).await)
    }

    async fn drop(&mut self, store: Resource<StoreHandle>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_urls_are_checked_at_start_up_and_tls_is_refused() {
        assert!(KvBackend::redis("default", "redis://127.0.0.1:6379/2").is_ok());
        for url in ["rediss://127.0.0.1:6380", "http://127.0.0.1", "not a url"] {
            assert!(
                matches!(
                    KvBackend::redis("default", url),
                    Err(KeyValueError::RedisUrl { .. })
                ),
                "{url}"
            );
        }
    }

    #[test]
    fn seed_then_read_back_through_sql() -> Result<(), Box<dyn std::error::Error>> {
        let backend = KvBackend::open("default", None, StoreTuning::Spin)?;
        let mut stores = KeyValueStores::default();
        stores.insert("default", backend.clone());
        stores.seed("default", "k", b"v1")?;
        stores.seed("default", "k", b"v2")?;
        let KvBackend::Sqlite(sqlite) = backend else {
            return Err("not a SQLite store".into());
        };
        let v = sqlite
            .with(|c| {
                c.prepare_cached(
                    "SELECT value FROM spin_key_value WHERE store='default' AND key='k'",
                )?
                .query_row([], |r| r.get::<_, Vec<u8>>(0))
            })
            .map_err(|e| format!("{e:?}"))?;
        assert_eq!(v, b"v2");
        assert!(stores.seed("other", "k", b"v").is_err());
        Ok(())
    }
}
