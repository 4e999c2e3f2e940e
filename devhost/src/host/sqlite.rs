//! `fermyon:spin/sqlite@2.0.0` and `spin:sqlite/sqlite@3.0.0`, backed by local
//! SQLite files (label `default` = `<state-dir>/sqlite_db.db`, as `spin up`).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::types::{Value as SqlValue, ValueRef};
use wasmtime::component::Resource;

use super::bindings::fermyon::spin::sqlite as v2;
use super::bindings::spin::sqlite::sqlite as v3;
use super::store_file::{StoreFileError, StoreKind, StoreTuning};
use super::HostState;

const KIND: StoreKind = StoreKind("SQLite database");

/// Why a database could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    #[error(transparent)]
    File(#[from] StoreFileError),
    #[error("running start-up statements on database '{label}': {source}")]
    Statements {
        label: String,
        source: rusqlite::Error,
    },
    #[error("database '{0}' lock poisoned")]
    Poisoned(String),
}

/// One SQLite database file (or in-memory database).
///
/// Every `open` by a component gets its own connection, as on Spin: a
/// transaction one instance opens with `BEGIN` must not absorb the statements
/// of another instance serving a concurrent request.
#[derive(Clone)]
pub struct SqliteBackend {
    label: String,
    location: Location,
}

#[derive(Clone)]
enum Location {
    File {
        path: PathBuf,
        /// With [`StoreTuning::Tuned`], connections no open handle holds, kept for the next
        /// `open`: a new connection parses the whole schema before its first statement, which
        /// was a tenth of devhost's CPU per OCPP message. `None`: a new connection per open,
        /// as Spin.
        idle: Option<Arc<Mutex<Vec<rusqlite::Connection>>>>,
    },
    /// Separate in-memory connections would be separate databases, so an
    /// in-memory database is one shared connection.
    Memory(Arc<Mutex<rusqlite::Connection>>),
}

/// Idle connections kept per database file.
const IDLE_CONNECTIONS: usize = 64;
/// Prepared statements cached per connection (a component uses a few dozen).
const STATEMENT_CACHE: usize = 128;

/// How long a connection waits for another one's write lock before failing.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl SqliteBackend {
    pub fn open(
        label: &str,
        path: Option<&Path>,
        tuning: StoreTuning,
    ) -> Result<Self, SqliteError> {
        let conn = KIND.open(label, path, tuning)?;
        let location = match path {
            // Each request opens its own connection; this one only proved the file opens.
            Some(p) => Location::File {
                path: p.to_path_buf(),
                idle: (tuning == StoreTuning::Tuned).then(|| Arc::new(Mutex::new(vec![conn]))),
            },
            None => Location::Memory(Arc::new(Mutex::new(conn))),
        };
        Ok(Self {
            label: label.to_string(),
            location,
        })
    }

    fn connect(&self) -> Result<Conn, rusqlite::Error> {
        Ok(match &self.location {
            Location::File {
                path,
                idle: Some(idle),
            } => {
                let reused = idle.lock().ok().and_then(|mut idle| idle.pop());
                let conn = match reused {
                    Some(conn) => conn,
                    None => rusqlite::Connection::open(path)?,
                };
                conn.busy_timeout(BUSY_TIMEOUT)?;
                conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                Conn::Own(Pooled {
                    conn: Some(conn),
                    idle: Some(idle.clone()),
                })
            }
            // As Spin: a fresh connection, closed when the handle is dropped, with what
            // `rusqlite::Connection::open` gives (Spin sets nothing else): SQLite's defaults
            // and rusqlite's own 5 s busy timeout.
            Location::File { path, idle: None } => {
                let conn = rusqlite::Connection::open(path)?;
                Conn::Own(Pooled {
                    conn: Some(conn),
                    idle: None,
                })
            }
            Location::Memory(shared) => Conn::Shared(shared.clone()),
        })
    }

    /// Runs a script of statements (the `--sqlite @file.sql` flag).
    pub fn execute_batch(&self, sql: &str) -> Result<(), SqliteError> {
        let statements = |source| SqliteError::Statements {
            label: self.label.clone(),
            source,
        };
        self.connect()
            .map_err(statements)?
            .with(|conn| conn.execute_batch(sql))
            .map_err(|_| SqliteError::Poisoned(self.label.clone()))?
            .map_err(statements)
    }
}

/// Runs a call that may wait for another connection's lock (up to
/// [`BUSY_TIMEOUT`]). On a multi-threaded runtime the worker hands its other
/// tasks away first: otherwise instances waiting for a lock could occupy every
/// worker while the instance holding it never gets a thread to finish on.
pub(crate) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// A component's connection: its own (back to the idle ones when the handle is
/// dropped), or the shared in-memory one.
enum Conn {
    Own(Pooled),
    Shared(Arc<Mutex<rusqlite::Connection>>),
}

struct Pooled {
    /// Always `Some` until dropped.
    conn: Option<rusqlite::Connection>,
    /// Where it goes back when dropped; `None`: it is closed.
    idle: Option<Arc<Mutex<Vec<rusqlite::Connection>>>>,
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        // A handle dropped inside a transaction (the instance trapped or forgot to
        // COMMIT) must not hand it on: closing the connection rolls it back.
        if !conn.is_autocommit() {
            return;
        }
        let Some(idle) = &self.idle else {
            return;
        };
        if let Ok(mut idle) = idle.lock() {
            if idle.len() < IDLE_CONNECTIONS {
                idle.push(conn);
            }
        }
    }
}

impl Conn {
    fn with<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> T) -> Result<T, ()> {
        match self {
            Conn::Own(Pooled {
                conn: Some(conn), ..
            }) => Ok(f(conn)),
            Conn::Own(Pooled { conn: None, .. }) => Err(()),
            Conn::Shared(shared) => shared.lock().map(|conn| f(&conn)).map_err(|_| ()),
        }
    }

    fn execute(&self, sql: &str, params: Vec<SqlValue>) -> Result<Executed, String> {
        blocking(|| {
            self.with(|conn| execute(conn, sql, params))
                .map_err(|()| "database lock poisoned".to_string())?
        })
    }
}

fn execute(
    conn: &rusqlite::Connection,
    sql: &str,
    params: Vec<SqlValue>,
) -> Result<Executed, String> {
    let autocommit_before = conn.is_autocommit();
    let mut stmt = conn.prepare_cached(sql).map_err(|e| e.to_string())?;
    let readonly = stmt.readonly();
    let columns: Vec<String> = stmt.column_names().map(|c| c.to_string()).collect();
    let n = columns.len();
    let mut rows_out = Vec::new();
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params))
        .map_err(|e| e.to_string())?;
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        let mut values = Vec::with_capacity(n);
        for i in 0..n {
            let v = row.get_ref(i).map_err(|e| e.to_string())?;
            values.push(match v {
                ValueRef::Null => SqlValue::Null,
                ValueRef::Integer(i) => SqlValue::Integer(i),
                ValueRef::Real(f) => SqlValue::Real(f),
                ValueRef::Text(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => SqlValue::Blob(b.to_vec()),
            });
        }
        rows_out.push(values);
    }
    drop(rows);
    drop(stmt);
    // A commit: a transaction ended other than by ROLLBACK, or a write outside one.
    let commits = match (autocommit_before, conn.is_autocommit()) {
        (false, true) => !sql
            .trim_start()
            .get(..8)
            .is_some_and(|word| word.eq_ignore_ascii_case("ROLLBACK")),
        (true, true) => !readonly,
        _ => false,
    };
    Ok(Executed {
        columns,
        rows: rows_out,
        last_insert_rowid: conn.last_insert_rowid(),
        changes: conn.changes(),
        commits,
    })
}

struct Executed {
    columns: Vec<String>,
    rows: Vec<Vec<SqlValue>>,
    last_insert_rowid: i64,
    changes: u64,
    /// It committed (see [`StoreCalls`](super::store_calls::StoreCalls)).
    commits: bool,
}

/// All databases of the app, by label.
#[derive(Clone, Default)]
pub struct SqliteDatabases {
    dbs: BTreeMap<String, SqliteBackend>,
}

impl SqliteDatabases {
    pub fn insert(&mut self, label: &str, backend: SqliteBackend) {
        self.dbs.insert(label.to_string(), backend);
    }
    pub fn get(&self, label: &str) -> Option<&SqliteBackend> {
        self.dbs.get(label)
    }
    pub fn contains(&self, label: &str) -> bool {
        self.dbs.contains_key(label)
    }
}

/// What one component may open: the labels in its `sqlite_databases`.
pub struct ComponentSqlite {
    pub(crate) allowed: Arc<HashSet<String>>,
    pub(crate) dbs: Arc<SqliteDatabases>,
}

/// The resource behind a `connection` handle (both interface versions).
pub struct ConnectionHandle {
    conn: Conn,
    last_insert_rowid: i64,
    changes: u64,
}

enum OpenError {
    AccessDenied,
    NoSuchDatabase,
    Io(String),
}

impl HostState {
    fn sqlite_open(&mut self, label: &str) -> Result<ConnectionHandle, OpenError> {
        if !self.sqlite.allowed.contains(label) {
            return Err(OpenError::AccessDenied);
        }
        let backend = self
            .sqlite
            .dbs
            .get(label)
            .ok_or(OpenError::NoSuchDatabase)?;
        let conn = blocking(|| backend.connect())
            .map_err(|e| OpenError::Io(format!("opening database '{label}': {e}")))?;
        self.calls.sqlite_open();
        Ok(ConnectionHandle {
            conn,
            last_insert_rowid: 0,
            changes: 0,
        })
    }
}

// ---- fermyon:spin/sqlite@2.0.0 ---------------------------------------------

fn v2_to_sql(v: v2::Value) -> SqlValue {
    match v {
        v2::Value::Integer(i) => SqlValue::Integer(i),
        v2::Value::Real(f) => SqlValue::Real(f),
        v2::Value::Text(t) => SqlValue::Text(t),
        v2::Value::Blob(b) => SqlValue::Blob(b),
        v2::Value::Null => SqlValue::Null,
    }
}

fn sql_to_v2(v: SqlValue) -> v2::Value {
    match v {
        SqlValue::Integer(i) => v2::Value::Integer(i),
        SqlValue::Real(f) => v2::Value::Real(f),
        SqlValue::Text(t) => v2::Value::Text(t),
        SqlValue::Blob(b) => v2::Value::Blob(b),
        SqlValue::Null => v2::Value::Null,
    }
}

impl v2::Host for HostState {}

impl v2::HostConnection for HostState {
    fn open(
        &mut self,
        database: String,
    ) -> wasmtime::Result<Result<Resource<ConnectionHandle>, v2::Error>> {
        match self.sqlite_open(&database) {
            Ok(h) => Ok(Ok(self.table.push(h)?)),
            Err(OpenError::AccessDenied) => Ok(Err(v2::Error::AccessDenied)),
            Err(OpenError::NoSuchDatabase) => Ok(Err(v2::Error::NoSuchDatabase)),
            Err(OpenError::Io(e)) => Ok(Err(v2::Error::Io(e))),
        }
    }

    fn execute(
        &mut self,
        conn: Resource<ConnectionHandle>,
        statement: String,
        parameters: Vec<v2::Value>,
    ) -> wasmtime::Result<Result<v2::QueryResult, v2::Error>> {
        let calls = self.calls.clone();
        let h = self.table.get_mut(&conn)?;
        let params = parameters.into_iter().map(v2_to_sql).collect();
        let executed = h.conn.execute(&statement, params);
        calls.sqlite_statement(executed.as_ref().is_ok_and(|ex| ex.commits));
        Ok(match executed {
            Ok(ex) => {
                h.last_insert_rowid = ex.last_insert_rowid;
                h.changes = ex.changes;
                Ok(v2::QueryResult {
                    columns: ex.columns,
                    rows: ex
                        .rows
                        .into_iter()
                        .map(|r| v2::RowResult {
                            values: r.into_iter().map(sql_to_v2).collect(),
                        })
                        .collect(),
                })
            }
            Err(e) => Err(v2::Error::Io(e)),
        })
    }

    fn drop(&mut self, conn: Resource<ConnectionHandle>) -> wasmtime::Result<()> {
        self.table.delete(conn)?;
        Ok(())
    }
}

// ---- spin:sqlite/sqlite@3.0.0 ----------------------------------------------

fn v3_to_sql(v: v3::Value) -> SqlValue {
    match v {
        v3::Value::Integer(i) => SqlValue::Integer(i),
        v3::Value::Real(f) => SqlValue::Real(f),
        v3::Value::Text(t) => SqlValue::Text(t),
        v3::Value::Blob(b) => SqlValue::Blob(b),
        v3::Value::Null => SqlValue::Null,
    }
}

fn sql_to_v3(v: SqlValue) -> v3::Value {
    match v {
        SqlValue::Integer(i) => v3::Value::Integer(i),
        SqlValue::Real(f) => v3::Value::Real(f),
        SqlValue::Text(t) => v3::Value::Text(t),
        SqlValue::Blob(b) => v3::Value::Blob(b),
        SqlValue::Null => v3::Value::Null,
    }
}

impl v3::Host for HostState {}

impl v3::HostConnection for HostState {
    fn open(
        &mut self,
        database: String,
    ) -> wasmtime::Result<Result<Resource<ConnectionHandle>, v3::Error>> {
        match self.sqlite_open(&database) {
            Ok(h) => Ok(Ok(self.table.push(h)?)),
            Err(OpenError::AccessDenied) => Ok(Err(v3::Error::AccessDenied)),
            Err(OpenError::NoSuchDatabase) => Ok(Err(v3::Error::NoSuchDatabase)),
            Err(OpenError::Io(e)) => Ok(Err(v3::Error::Io(e))),
        }
    }

    fn execute(
        &mut self,
        conn: Resource<ConnectionHandle>,
        statement: String,
        parameters: Vec<v3::Value>,
    ) -> wasmtime::Result<Result<v3::QueryResult, v3::Error>> {
        let calls = self.calls.clone();
        let h = self.table.get_mut(&conn)?;
        let params = parameters.into_iter().map(v3_to_sql).collect();
        let executed = h.conn.execute(&statement, params);
        calls.sqlite_statement(executed.as_ref().is_ok_and(|ex| ex.commits));
        Ok(match executed {
            Ok(ex) => {
                h.last_insert_rowid = ex.last_insert_rowid;
                h.changes = ex.changes;
                Ok(v3::QueryResult {
                    columns: ex.columns,
                    rows: ex
                        .rows
                        .into_iter()
                        .map(|r| v3::RowResult {
                            values: r.into_iter().map(sql_to_v3).collect(),
                        })
                        .collect(),
                })
            }
            Err(e) => Err(v3::Error::Io(e)),
        })
    }

    fn last_insert_rowid(&mut self, conn: Resource<ConnectionHandle>) -> wasmtime::Result<i64> {
        Ok(self.table.get(&conn)?.last_insert_rowid)
    }

    fn changes(&mut self, conn: Resource<ConnectionHandle>) -> wasmtime::Result<u64> {
        Ok(self.table.get(&conn)?.changes)
    }

    fn drop(&mut self, conn: Resource<ConnectionHandle>) -> wasmtime::Result<()> {
        self.table.delete(conn)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execute_returns_columns_rows_and_counters() -> Result<(), Box<dyn std::error::Error>> {
        let db = SqliteBackend::open("default", None, StoreTuning::Spin)?;
        db.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);")?;
        let conn = db.connect()?;
        let ins = conn.execute(
            "INSERT INTO t (name) VALUES (?1)",
            vec![SqlValue::Text("a".into())],
        )?;
        assert_eq!((ins.last_insert_rowid, ins.changes), (1, 1));
        let q = conn.execute("SELECT id, name FROM t", vec![])?;
        assert_eq!(q.columns, vec!["id".to_string(), "name".to_string()]);
        assert_eq!(
            q.rows,
            vec![vec![SqlValue::Integer(1), SqlValue::Text("a".into())]]
        );
        assert!(conn.execute("SELECT * FROM missing", vec![]).is_err());
        Ok(())
    }

    #[test]
    fn each_open_is_its_own_connection_so_transactions_do_not_mix(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let db = SqliteBackend::open(
            "default",
            Some(&dir.path().join("db.sqlite")),
            StoreTuning::Tuned,
        )?;
        db.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY);")?;
        let (first, second) = (db.connect()?, db.connect()?);
        first.execute("BEGIN", vec![])?;
        first.execute("INSERT INTO t (id) VALUES (1)", vec![])?;
        // Another instance neither sees the uncommitted row nor ends up inside
        // the first one's transaction (which a shared connection would do).
        assert!(second.execute("SELECT id FROM t", vec![])?.rows.is_empty());
        assert!(second.execute("BEGIN", vec![]).is_ok());
        second.execute("ROLLBACK", vec![])?;
        first.execute("COMMIT", vec![])?;
        assert_eq!(second.execute("SELECT id FROM t", vec![])?.rows.len(), 1);
        Ok(())
    }

    #[test]
    fn a_connection_is_reused_only_outside_a_transaction() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let db = SqliteBackend::open(
            "default",
            Some(&dir.path().join("db.sqlite")),
            StoreTuning::Tuned,
        )?;
        db.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY);")?;
        let abandoned = db.connect()?;
        abandoned.execute("BEGIN", vec![])?;
        abandoned.execute("INSERT INTO t (id) VALUES (1)", vec![])?;
        // The instance trapped: its handle goes away inside the transaction.
        drop(abandoned);
        let next = db.connect()?;
        assert!(
            next.execute("BEGIN", vec![]).is_ok(),
            "inherited an open transaction"
        );
        assert!(next.execute("SELECT id FROM t", vec![])?.rows.is_empty());
        next.execute("INSERT INTO t (id) VALUES (2)", vec![])?;
        next.execute("COMMIT", vec![])?;
        drop(next);
        // A connection handed back after COMMIT serves the next open, statements cached.
        let again = db.connect()?;
        assert_eq!(
            again.execute("SELECT id FROM t", vec![])?.rows,
            vec![vec![SqlValue::Integer(2)]]
        );
        Ok(())
    }

    /// What a connection keeps between opens (a TEMP table stands for its statement cache
    /// and parsed schema) survives only with `--tuned-stores`: as on Spin, every open of the
    /// default mode starts from nothing and finds the file's own journal mode.
    #[test]
    fn only_tuned_stores_keep_a_connection_between_opens() -> Result<(), Box<dyn std::error::Error>>
    {
        for (tuning, kept, journal) in [
            (StoreTuning::Spin, false, "delete"),
            (StoreTuning::Tuned, true, "wal"),
        ] {
            let dir = tempfile::tempdir()?;
            let db = SqliteBackend::open("default", Some(&dir.path().join("db.sqlite")), tuning)?;
            let first = db.connect()?;
            first.execute("CREATE TEMP TABLE scratch (x)", vec![])?;
            drop(first);
            let next = db.connect()?;
            let found = next.execute("SELECT name FROM sqlite_temp_master", vec![])?;
            assert_eq!(!found.rows.is_empty(), kept, "{tuning:?}");
            let mode = next.execute("PRAGMA journal_mode", vec![])?;
            assert_eq!(
                mode.rows,
                vec![vec![SqlValue::Text(journal.into())]],
                "{tuning:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn a_write_outside_a_transaction_and_a_commit_count_as_commits(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let db = SqliteBackend::open("default", None, StoreTuning::Spin)?;
        db.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY);")?;
        let conn = db.connect()?;
        let commits = |sql: &str| conn.execute(sql, vec![]).map(|ex| ex.commits);
        assert!(!commits("SELECT * FROM t")?);
        assert!(commits("INSERT INTO t (id) VALUES (1)")?);
        assert!(!commits("BEGIN")?);
        assert!(!commits("INSERT INTO t (id) VALUES (2)")?);
        assert!(commits("COMMIT")?);
        assert!(!commits("BEGIN")?);
        assert!(!commits("ROLLBACK")?);
        Ok(())
    }
}
