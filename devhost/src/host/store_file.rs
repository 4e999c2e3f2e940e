//! The SQLite files behind devhost's local stores: the key-value stores (Spin's `spin` type)
//! and the SQLite databases. Both are opened the same way, so that they fail alike at
//! start-up and get the same journal.

use std::path::{Path, PathBuf};

/// Why a store's file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreFileError {
    #[error("cannot open {kind} '{label}' at {path}: {source}")]
    Open {
        kind: &'static str,
        label: String,
        path: PathBuf,
        // Boxed: rusqlite's error is large and this one travels in every Result of start-up.
        source: Box<rusqlite::Error>,
    },
    #[error("cannot create directory {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// How devhost's stores behave.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StoreTuning {
    /// As Spin's (`crates/sqlite-inproc`, `crates/key-value-spin`): every SQLite `open` is a
    /// new connection with what `rusqlite::Connection::open` sets (SQLite's defaults: the
    /// file's journal mode, `synchronous=FULL`; and rusqlite's 5 s busy timeout), so every
    /// request pays the schema parse. What runs fast here then runs fast on Spin.
    #[default]
    Spin,
    /// devhost's speed-ups (`--tuned-stores`): connections reused across requests with their
    /// prepared statements, WAL on every store file, a 5 s busy timeout.
    Tuned,
}

/// What a store file is, for messages: `key-value store` or `SQLite database`.
#[derive(Debug, Clone, Copy)]
pub struct StoreKind(pub &'static str);

impl StoreKind {
    /// The error of store `label` at `path` failing with `source`.
    pub fn error(
        self,
        label: &str,
        path: Option<&Path>,
        source: rusqlite::Error,
    ) -> StoreFileError {
        StoreFileError::Open {
            kind: self.0,
            label: label.to_string(),
            path: path.map(Path::to_path_buf).unwrap_or_default(),
            source: Box::new(source),
        }
    }

    /// Opens (creating it and its directory if needed) the file at `path`, in WAL mode when
    /// `tuning` says so, or an in-memory database when `path` is `None`.
    pub fn open(
        self,
        label: &str,
        path: Option<&Path>,
        tuning: StoreTuning,
    ) -> Result<rusqlite::Connection, StoreFileError> {
        let Some(file) = path else {
            return rusqlite::Connection::open_in_memory().map_err(|e| self.error(label, path, e));
        };
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StoreFileError::Dir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let conn = rusqlite::Connection::open(file).map_err(|e| self.error(label, path, e))?;
        if tuning == StoreTuning::Tuned {
            write_ahead_log(&conn).map_err(|e| self.error(label, path, e))?;
        }
        Ok(conn)
    }
}

/// WAL lets readers run beside the one writer and costs one sync per commit instead of the
/// rollback journal's several, which is what bounded devhost's write rate. `synchronous`
/// keeps SQLite's default, FULL, on every connection: a commit is on disk before the
/// component answers, so a charge point's CALLRESULT still means durable. The journal mode
/// is stored in the file, so later connections (and `spin up` on the same file) get WAL too.
fn write_ahead_log(conn: &rusqlite::Connection) -> Result<(), rusqlite::Error> {
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
        .map(|_| ())
}
