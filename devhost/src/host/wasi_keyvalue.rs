//! `wasi:keyvalue` 0.2.0-draft2 (`store`, `atomics`, `batch`) over the same stores as
//! `fermyon:spin/key-value` (see `key_value.rs`), as Spin's key-value factor offers it:
//!
//! - `open(identifier)` takes a store label, with the same grant check and errors;
//! - `list-keys` returns every key at once and refuses a cursor ("cursor not supported");
//! - `increment` keeps the counter as Spin's backends do (SQLite: 8 little-endian bytes;
//!   Redis: INCRBY);
//! - compare-and-swap: `cas.new(bucket, key)`, `current()` reads the value (and, on Redis,
//!   WATCHes the key on a connection of the cas' own), `swap(cas, value)` writes only if
//!   the value is still the one read: SQLite `UPDATE ... WHERE value = old` (an unconditional
//!   upsert when nothing was read, as Spin), Redis `MULTI`/`SET`/`EXEC`. A lost race answers
//!   `cas-failed` with a new cas that has already read the newer value.

use redis::aio::MultiplexedConnection;
use rusqlite::{params, OptionalExtension};
use wasmtime::component::Resource;

use super::bindings::fermyon::spin::key_value::Error as SpinError;
use super::bindings::wasi::keyvalue::atomics::{self, CasError};
use super::bindings::wasi::keyvalue::batch;
use super::bindings::wasi::keyvalue::store::{self, Error, KeyResponse};
use super::key_value::{redis_error, KvBackend, StoreHandle};
use super::HostState;

/// The resource behind a `cas` handle.
pub struct CasHandle {
    label: String,
    key: String,
    backend: KvBackend,
    state: CasState,
}

enum CasState {
    /// The value `current` read; `None` also when it has not been called.
    Sqlite { seen: Option<Vec<u8>> },
    /// WATCH belongs to a connection, so each cas has its own.
    Redis { conn: MultiplexedConnection },
}

/// Spin's mapping of the key-value errors onto wasi:keyvalue's.
fn to_wasi(e: SpinError) -> Error {
    match e {
        SpinError::AccessDenied => Error::AccessDenied,
        SpinError::NoSuchStore => Error::NoSuchStore,
        SpinError::StoreTableFull => Error::Other("store table full".into()),
        SpinError::Other(m) => Error::Other(m),
    }
}

impl CasHandle {
    async fn new(label: String, key: String, backend: KvBackend) -> Result<Self, Error> {
        let state = match &backend {
            KvBackend::Sqlite(_) => CasState::Sqlite { seen: None },
            KvBackend::Redis(r) => CasState::Redis {
                conn: r.dedicated().await.map_err(to_wasi)?,
            },
        };
        Ok(Self {
            label,
            key,
            backend,
            state,
        })
    }

    async fn current(&mut self) -> Result<Option<Vec<u8>>, Error> {
        match (&mut self.state, &self.backend) {
            (CasState::Sqlite { seen }, KvBackend::Sqlite(s)) => {
                let value = s
                    .with_conn(|c| {
                        c.prepare_cached(
                            "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2",
                        )?
                        .query_row(params![self.label, self.key], |row| {
                            row.get::<_, Vec<u8>>(0)
                        })
                        .optional()
                    })
                    .map_err(to_wasi)?;
                seen.clone_from(&value);
                Ok(value)
            }
            (CasState::Redis { conn }, _) => {
                redis::cmd("WATCH")
                    .arg(&self.key)
                    .query_async::<()>(conn)
                    .await
                    .map_err(|e| to_wasi(redis_error(e)))?;
                redis::cmd("GET")
                    .arg(&self.key)
                    .query_async(conn)
                    .await
                    .map_err(|e| to_wasi(redis_error(e)))
            }
            (CasState::Sqlite { .. }, KvBackend::Redis(_)) => Err(Error::Other(
                "compare-and-swap of another store type".into(),
            )),
        }
    }

    /// `Ok(false)`: the value changed since `current`.
    async fn swap(&mut self, value: Vec<u8>) -> Result<bool, Error> {
        match (&mut self.state, &self.backend) {
            (CasState::Sqlite { seen }, KvBackend::Sqlite(s)) => {
                let (label, key) = (&self.label, &self.key);
                let changed = s
                    .with_conn(|c| match &*seen {
                        Some(old) => c
                            .prepare_cached(
                                "UPDATE spin_key_value SET value = ?4
                                 WHERE store = ?1 AND key = ?2 AND value = ?3",
                            )?
                            .execute(params![label, key, old, value]),
                        None => c
                            .prepare_cached(
                                "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                                 ON CONFLICT(store, key) DO UPDATE SET value = excluded.value",
                            )?
                            .execute(params![label, key, value]),
                    })
                    .map_err(to_wasi)?;
                Ok(changed == 1)
            }
            (CasState::Redis { conn }, _) => {
                // EXEC answers nil when a WATCHed key changed: the transaction did not run.
                let outcome: redis::Value = redis::pipe()
                    .atomic()
                    .set(&self.key, value)
                    .query_async(conn)
                    .await
                    .map_err(|e| to_wasi(redis_error(e)))?;
                Ok(!matches!(outcome, redis::Value::Nil))
            }
            (CasState::Sqlite { .. }, KvBackend::Redis(_)) => Err(Error::Other(
                "compare-and-swap of another store type".into(),
            )),
        }
    }
}

// ---- store ------------------------------------------------------------------

impl store::Host for HostState {
    async fn open(
        &mut self,
        identifier: String,
    ) -> wasmtime::Result<Result<Resource<StoreHandle>, Error>> {
        match self.kv_open(identifier).await {
            Ok(store) => Ok(Ok(self.table.push(store)?)),
            Err(e) => Ok(Err(to_wasi(e))),
        }
    }
}

impl store::HostBucket for HostState {
    async fn get(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        self.calls.kv_read();
        let (label, backend) = self.kv_store(&bucket)?;
        Ok(backend.get(&label, &key).await.map_err(to_wasi))
    }

    async fn set(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        self.calls.kv_write();
        let (label, backend) = self.kv_store(&bucket)?;
        Ok(backend.set(&label, &key, &value).await.map_err(to_wasi))
    }

    async fn delete(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<(), Error>> {
        self.calls.kv_write();
        let (label, backend) = self.kv_store(&bucket)?;
        Ok(backend.delete(&label, &key).await.map_err(to_wasi))
    }

    async fn exists(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<bool, Error>> {
        self.calls.kv_read();
        let (label, backend) = self.kv_store(&bucket)?;
        Ok(backend.exists(&label, &key).await.map_err(to_wasi))
    }

    async fn list_keys(
        &mut self,
        bucket: Resource<StoreHandle>,
        cursor: Option<String>,
    ) -> wasmtime::Result<Result<KeyResponse, Error>> {
        // Spin returns every key in one answer, so it has no cursor to continue from.
        if cursor.is_some() {
            return Ok(Err(Error::Other("list_keys: cursor not supported".into())));
        }
        self.calls.kv_read();
        let (label, backend) = self.kv_store(&bucket)?;
        Ok(backend
            .get_keys(&label)
            .await
            .map(|keys| KeyResponse { keys, cursor: None })
            .map_err(to_wasi))
    }

    async fn drop(&mut self, bucket: Resource<StoreHandle>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

// ---- batch ------------------------------------------------------------------

impl batch::Host for HostState {
    async fn get_many(
        &mut self,
        bucket: Resource<StoreHandle>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<Vec<(String, Option<Vec<u8>>)>, Error>> {
        let (label, backend) = self.kv_store(&bucket)?;
        if keys.is_empty() {
            return Ok(Ok(Vec::new()));
        }
        self.calls.kv_read();
        Ok(backend.get_many(&label, keys).await.map_err(to_wasi))
    }

    async fn set_many(
        &mut self,
        bucket: Resource<StoreHandle>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let (label, backend) = self.kv_store(&bucket)?;
        if key_values.is_empty() {
            return Ok(Ok(()));
        }
        self.calls.kv_write();
        Ok(backend.set_many(&label, key_values).await.map_err(to_wasi))
    }

    async fn delete_many(
        &mut self,
        bucket: Resource<StoreHandle>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let (label, backend) = self.kv_store(&bucket)?;
        if keys.is_empty() {
            return Ok(Ok(()));
        }
        self.calls.kv_write();
        Ok(backend.delete_many(&label, keys).await.map_err(to_wasi))
    }
}

// ---- atomics ----------------------------------------------------------------

impl atomics::Host for HostState {
    async fn increment(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, Error>> {
        self.calls.kv_write();
        let (label, backend) = self.kv_store(&bucket)?;
        Ok(backend
            .increment(&label, &key, delta)
            .await
            .map_err(to_wasi))
    }

    async fn swap(
        &mut self,
        cas: Resource<CasHandle>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), CasError>> {
        self.calls.kv_write();
        // `swap` takes the cas: it is gone whatever the outcome.
        let mut handle = self.table.delete(cas)?;
        match handle.swap(value).await {
            Ok(true) => Ok(Ok(())),
            Err(e) => Ok(Err(CasError::StoreError(e))),
            Ok(false) => {
                // A new cas that has read the newer value, for the guest's retry.
                let mut retry = match CasHandle::new(handle.label, handle.key, handle.backend).await
                {
                    Ok(c) => c,
                    Err(e) => return Ok(Err(CasError::StoreError(e))),
                };
                self.calls.kv_read();
                if let Err(e) = retry.current().await {
                    return Ok(Err(CasError::StoreError(e)));
                }
                Ok(Err(CasError::CasFailed(self.table.push(retry)?)))
            }
        }
    }
}

impl atomics::HostCas for HostState {
    async fn new(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Resource<CasHandle>, Error>> {
        let (label, backend) = self.kv_store(&bucket)?;
        match CasHandle::new(label, key, backend).await {
            Ok(c) => Ok(Ok(self.table.push(c)?)),
            Err(e) => Ok(Err(e)),
        }
    }

    async fn current(
        &mut self,
        cas: Resource<CasHandle>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        self.calls.kv_read();
        let handle = self.table.get_mut(&cas)?;
        Ok(handle.current().await)
    }

    async fn drop(&mut self, cas: Resource<CasHandle>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}
