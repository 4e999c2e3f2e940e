//! The storage seam between the CSMS domain code and its host.
//!
//! Domain code talks to [`Sql`] and [`KeyValue`]; on Spin they are backed by
//! the `default` SQLite database and key-value store the component is granted
//! ([`spin`] module, wasm only), in native tests by SQLite files on disk
//! ([`native`], feature `native`). Both run the same SQL, so a test that passes
//! natively exercises the statements the components run.
//!
//! [`migrate`] creates the schema idempotently; every component calls it
//! before its first statement, because on Spin no process outlives a request
//! and any component may be the first to touch a fresh database.

pub mod credentials;
mod migrations;
pub mod processed_messages;
mod value;

#[cfg(feature = "native")]
pub mod native;
#[cfg(target_arch = "wasm32")]
pub mod spin;

pub use migrations::{migrate, SCHEMA_VERSION};
pub use value::{Row, SqlValue};

/// A failure of the store itself (not of the data in it).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sql: {0}")]
    Sql(String),
    #[error("key-value: {0}")]
    KeyValue(String),
    #[error("column {column} of {context}: {problem}")]
    Column {
        context: &'static str,
        column: usize,
        problem: &'static str,
    },
}

/// One SQLite connection: statements run in order, so `BEGIN` / `COMMIT`
/// around several calls makes them atomic.
pub trait Sql {
    /// Runs one statement and returns its rows (empty for non-queries).
    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError>;

    /// Runs `body` inside a transaction: committed when it returns `Ok`,
    /// rolled back otherwise, so nothing half-applied is ever visible.
    fn transaction<T, E>(&self, body: impl FnOnce(&Self) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
        Self: Sized,
    {
        self.execute("BEGIN IMMEDIATE", &[])?;
        match body(self) {
            Ok(value) => match self.execute("COMMIT", &[]) {
                Ok(_) => Ok(value),
                Err(e) => {
                    // A failed COMMIT (e.g. the database is busy) can leave the
                    // transaction open on this connection; end it so the next
                    // request on the connection starts clean.
                    let _ = self.execute("ROLLBACK", &[]);
                    Err(e.into())
                }
            },
            Err(e) => {
                // The original error says what went wrong; a failed rollback
                // leaves nothing committed either.
                let _ = self.execute("ROLLBACK", &[]);
                Err(e)
            }
        }
    }
}

/// A key-value store of byte values.
pub trait KeyValue {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    fn delete(&self, key: &str) -> Result<(), StoreError>;
}
