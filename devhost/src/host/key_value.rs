//! `fermyon:spin/key-value@2.0.0`, backed by SQLite files like Spin's `spin`
//! store type (same table layout, so a `.spin/sqlite_key_value.db` written by
//! devhost is readable by `spin up` and the other way round).

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{params, OptionalExtension};
use wasmtime::component::Resource;

use super::bindings::fermyon::spin::key_value::{Error, Host, HostStore};
use super::HostState;

pub use super::store_file::StoreFileError as KeyValueError;
use super::store_file::{StoreKind, StoreTuning};

const KIND: StoreKind = StoreKind("key-value store");

/// One SQLite database holding one or more labelled stores.
#[derive(Clone)]
pub struct KvBackend {
    conn: Arc<Mutex<rusqlite::Connection>>,
}

impl KvBackend {
    /// Opens (creating if needed) the database at `path`; `None` = in memory.
    /// One connection for the store's life, with prepared statements, as Spin's `spin`
    /// type keeps it; only the journal mode depends on `tuning`.
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
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

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
            .with(|c| {
                c.prepare_cached(
                    "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT(store, key) DO UPDATE SET value = excluded.value",
                )?
                .execute(params![label, key, value])
            })
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    }
}

/// What one component may open: the labels in its `key_value_stores`.
pub struct ComponentKeyValue {
    pub(crate) allowed: Arc<HashSet<String>>,
    pub(crate) stores: Arc<KeyValueStores>,
}

/// The resource behind a `store` handle.
pub struct StoreHandle {
    label: String,
    backend: KvBackend,
}

impl Host for HostState {}

impl HostStore for HostState {
    fn open(&mut self, label: String) -> wasmtime::Result<Result<Resource<StoreHandle>, Error>> {
        // Spin checks the grant first: an ungranted label is access-denied
        // whether or not such a store exists.
        if !self.key_value.allowed.contains(&label) {
            return Ok(Err(Error::AccessDenied));
        }
        let Some(backend) = self.key_value.stores.stores.get(&label).cloned() else {
            return Ok(Err(Error::NoSuchStore));
        };
        let handle = self.table.push(StoreHandle { label, backend })?;
        Ok(Ok(handle))
    }

    fn get(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        self.calls.kv_read();
        let s = self.table.get(&store)?;
        Ok(s.backend.with(|c| {
            c.prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .query_row(params![s.label, key], |row| row.get::<_, Vec<u8>>(0))
                .optional()
        }))
    }

    fn set(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        self.calls.kv_write();
        let s = self.table.get(&store)?;
        Ok(s.backend.with(|c| {
            c.prepare_cached(
                "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT(store, key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![s.label, key, value])
            .map(|_| ())
        }))
    }

    fn delete(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<(), Error>> {
        self.calls.kv_write();
        let s = self.table.get(&store)?;
        Ok(s.backend.with(|c| {
            c.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .execute(params![s.label, key])
                .map(|_| ())
        }))
    }

    fn exists(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<bool, Error>> {
        self.calls.kv_read();
        let s = self.table.get(&store)?;
        Ok(s.backend.with(|c| {
            c.prepare_cached(
                "SELECT EXISTS(SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2)",
            )?
            .query_row(params![s.label, key], |row| row.get::<_, bool>(0))
        }))
    }

    fn get_keys(
        &mut self,
        store: Resource<StoreHandle>,
    ) -> wasmtime::Result<Result<Vec<String>, Error>> {
        self.calls.kv_read();
        let s = self.table.get(&store)?;
        Ok(s.backend.with(|c| {
            let mut stmt = c.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1")?;
            let rows = stmt.query_map(params![s.label], |row| row.get::<_, String>(0))?;
            rows.collect()
        }))
    }

    fn drop(&mut self, store: Resource<StoreHandle>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_then_read_back_through_sql() -> Result<(), Box<dyn std::error::Error>> {
        let backend = KvBackend::open("default", None, StoreTuning::Spin)?;
        let mut stores = KeyValueStores::default();
        stores.insert("default", backend.clone());
        stores.seed("default", "k", b"v1")?;
        stores.seed("default", "k", b"v2")?;
        let v = backend
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
