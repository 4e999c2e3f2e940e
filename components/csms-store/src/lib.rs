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
pub mod dialect;
#[cfg(any(feature = "native", target_arch = "wasm32"))]
mod engines;
pub mod lazy;
mod migrations;
pub mod processed_messages;
mod value;

#[cfg(feature = "native")]
pub mod native;
#[cfg(target_arch = "wasm32")]
pub mod spin;

pub use dialect::Dialect;
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

impl StoreError {
    /// Another connection held the write lock for longer than the host's busy timeout
    /// (5 s on Spin and devhost; hosts only pass the message text, SQLite's own), or
    /// PostgreSQL gave up on a transaction that conflicted with another: either way, the
    /// request may be sent again.
    pub fn is_busy(&self) -> bool {
        matches!(self, Self::Sql(message)
            if message.contains(BUSY_MESSAGE) || dialect::postgres::is_retryable(message))
    }

    fn is_sqlite_busy(&self) -> bool {
        matches!(self, Self::Sql(message) if message.contains(BUSY_MESSAGE))
    }

    fn is_retryable_transaction(&self) -> bool {
        matches!(self, Self::Sql(message) if dialect::postgres::is_retryable(message))
    }
}

/// What SQLite says when the write lock stayed taken past the busy timeout.
pub const BUSY_MESSAGE: &str = "database is locked";

/// One database connection: statements run in order, so `BEGIN` / `COMMIT`
/// around several calls makes them atomic.
pub trait Sql {
    /// Runs one statement and returns its rows (empty for non-queries).
    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError>;

    /// The engine behind the connection, for the few statements that differ.
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    /// The first statement error since the last call, on engines where a failed statement
    /// aborts the whole transaction (PostgreSQL; SQLite fails only the statement). A body may
    /// have handled the error, or its own error type may hide it; either way PostgreSQL
    /// would answer its COMMIT with a silent ROLLBACK.
    fn take_failure(&self) -> Option<String> {
        None
    }

    /// Runs `body` inside a transaction: committed when it returns `Ok`,
    /// rolled back otherwise, so nothing half-applied is ever visible. On PostgreSQL a body
    /// that lost a serialization conflict is run again, from the start, in a new transaction.
    fn transaction<T, E>(&self, body: impl FnMut(&Self) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
        Self: Sized,
    {
        self.transaction_begun_by(self.dialect().begin(), body)
    }

    /// [`Sql::transaction`] opened by the statement `begin`.
    fn transaction_begun_by<T, E>(
        &self,
        begin: &str,
        mut body: impl FnMut(&Self) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
        Self: Sized,
    {
        let mut attempt = 1;
        loop {
            match self.transaction_once(begin, &mut body) {
                Err(Attempt::Conflict(_)) if attempt < CONFLICT_ATTEMPTS => attempt += 1,
                Err(Attempt::Conflict(e) | Attempt::Failed(e)) => return Err(e),
                Ok(value) => return Ok(value),
            }
        }
    }

    #[doc(hidden)]
    fn transaction_once<T, E>(
        &self,
        begin: &str,
        body: &mut impl FnMut(&Self) -> Result<T, E>,
    ) -> Result<T, Attempt<E>>
    where
        E: From<StoreError>,
        Self: Sized,
    {
        self.take_failure();
        self.execute(begin, &[])
            .map_err(|e| Attempt::Failed(e.into()))?;
        let outcome = body(self);
        let handled_failure = match &outcome {
            Ok(_) => self.take_failure(),
            Err(_) => None,
        };
        if let Some(message) = handled_failure {
            // The transaction is aborted whatever the body made of the error: committing
            // would only roll it back, and the caller would answer for what was not stored.
            let _ = self.execute("ROLLBACK", &[]);
            let retryable = dialect::postgres::is_retryable(&message);
            let e = StoreError::Sql(format!(
                "a statement failed inside the transaction, which the database then aborted: {message}"
            ));
            return Err(if retryable {
                Attempt::Conflict(e.into())
            } else {
                Attempt::Failed(e.into())
            });
        }
        match outcome {
            Ok(value) => match self.execute("COMMIT", &[]) {
                Ok(_) => Ok(value),
                Err(e) => {
                    // A failed COMMIT (e.g. the database is busy) can leave the
                    // transaction open on this connection; end it so the next
                    // request on the connection starts clean.
                    let _ = self.execute("ROLLBACK", &[]);
                    Err(if e.is_retryable_transaction() {
                        Attempt::Conflict(e.into())
                    } else {
                        Attempt::Failed(e.into())
                    })
                }
            },
            Err(e) => {
                // The original error says what went wrong; a failed rollback
                // leaves nothing committed either.
                let conflict = self
                    .take_failure()
                    .is_some_and(|message| dialect::postgres::is_retryable(&message));
                let _ = self.execute("ROLLBACK", &[]);
                Err(if conflict {
                    Attempt::Conflict(e)
                } else {
                    Attempt::Failed(e)
                })
            }
        }
    }
}

/// How one run of a transaction body ended, when it did not commit.
#[doc(hidden)]
pub enum Attempt<E> {
    /// PostgreSQL aborted the transaction for a conflict; running it again may work.
    Conflict(E),
    Failed(E),
}

/// How often a transaction that lost a serialization conflict is run.
const CONFLICT_ATTEMPTS: usize = 10;

/// A key-value store of byte values.
pub trait KeyValue {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    fn delete(&self, key: &str) -> Result<(), StoreError>;

    /// Writes `new` at `key` only if the key still holds `current`; whether it did. With
    /// several hosts a read-modify-write must not overwrite what another wrote in between.
    fn compare_and_swap(&self, key: &str, current: &[u8], new: &[u8]) -> Result<bool, StoreError>;
}

/// How often [`update`] reads again after another writer changed the value first.
const SWAP_ATTEMPTS: usize = 10;

/// Replaces the value at an existing `key` with what `change` makes of it (`None`: leave it),
/// reading again when another writer changed it in between.
pub fn update(
    kv: &impl KeyValue,
    key: &str,
    mut change: impl FnMut(&[u8]) -> Option<Vec<u8>>,
) -> Result<(), StoreError> {
    for _ in 0..SWAP_ATTEMPTS {
        let Some(current) = kv.get(key)? else {
            return Ok(());
        };
        let Some(new) = change(&current) else {
            return Ok(());
        };
        if kv.compare_and_swap(key, &current, &new)? {
            return Ok(());
        }
    }
    Err(StoreError::KeyValue(format!(
        "{key} changed under every one of {SWAP_ATTEMPTS} attempts to update it"
    )))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Answers each statement from a script of busy failures, recording what ran.
    #[derive(Default)]
    pub(crate) struct Scripted {
        pub(crate) busy: RefCell<Vec<&'static str>>,
        pub(crate) ran: RefCell<Vec<String>>,
    }

    impl Sql for Scripted {
        fn execute(&self, sql: &str, _: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
            self.ran.borrow_mut().push(sql.to_string());
            let mut busy = self.busy.borrow_mut();
            if let Some(at) = busy.iter().position(|s| *s == sql) {
                busy.remove(at);
                return Err(StoreError::Sql(format!("database is locked in {sql}")));
            }
            Ok(Vec::new())
        }
    }

    fn run(busy: Vec<&'static str>) -> (Result<(), StoreError>, Vec<String>) {
        let sql = Scripted {
            busy: RefCell::new(busy),
            ..Default::default()
        };
        let result = sql.transaction(|sql| sql.execute("INSERT", &[]).map(drop));
        (result, sql.ran.into_inner())
    }

    #[test]
    fn a_begin_that_stays_busy_fails_the_transaction_with_nothing_run() {
        let (result, ran) = run(vec!["BEGIN IMMEDIATE"]);
        assert!(result.is_err_and(|e| e.is_busy()));
        assert_eq!(ran, ["BEGIN IMMEDIATE"]);
    }

    #[test]
    fn a_commit_that_stays_busy_is_rolled_back() {
        let (result, ran) = run(vec!["COMMIT"]);
        assert!(result.is_err_and(|e| e.is_busy()));
        assert_eq!(ran, ["BEGIN IMMEDIATE", "INSERT", "COMMIT", "ROLLBACK"]);
    }

    /// PostgreSQL in miniature: the first COMMIT fails for a serialization conflict, which
    /// ends the transaction there and then.
    #[derive(Default)]
    struct ConflictAtFirstCommit {
        commits: RefCell<usize>,
        ran: RefCell<Vec<String>>,
    }

    impl Sql for ConflictAtFirstCommit {
        fn execute(&self, sql: &str, _: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
            self.ran.borrow_mut().push(sql.to_string());
            if sql == "COMMIT" {
                *self.commits.borrow_mut() += 1;
                if *self.commits.borrow() == 1 {
                    return Err(StoreError::Sql(
                        "could not serialize access (SQLSTATE 40001) in COMMIT".into(),
                    ));
                }
            }
            Ok(Vec::new())
        }

        fn dialect(&self) -> Dialect {
            Dialect::Postgres
        }
    }

    #[test]
    fn a_refused_postgres_commit_runs_the_whole_body_again_and_is_never_sent_twice() {
        let sql = ConflictAtFirstCommit::default();
        let mut bodies = 0;
        let result = sql.transaction(|sql| {
            bodies += 1;
            sql.execute("INSERT", &[]).map(drop)
        });
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(bodies, 2);
        let begin = Dialect::Postgres.begin();
        assert_eq!(
            sql.ran.into_inner(),
            [begin, "INSERT", "COMMIT", "ROLLBACK", begin, "INSERT", "COMMIT"]
        );
    }

    #[test]
    fn other_sql_errors_are_not_busy() {
        assert!(!StoreError::Sql("no such table: x".into()).is_busy());
        assert!(!StoreError::KeyValue("database is locked".into()).is_busy());
    }
}
