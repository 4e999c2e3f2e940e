//! What every host's [`crate::Sql`] does alike whichever engine it reaches: dispatch by
//! engine, and on PostgreSQL remember the first failed statement (see
//! [`crate::Sql::take_failure`]). The hosts supply only how one statement runs.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use crate::{Dialect, Row, SqlValue, StoreError};

/// One statement on one connection of some engine.
pub(crate) trait Connection {
    fn run(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError>;
}

/// A connection to SQLite `S` or PostgreSQL `P`.
pub(crate) enum Engines<S, P> {
    Sqlite(S),
    Postgres {
        connection: P,
        failure: RefCell<Option<String>>,
    },
}

/// SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25... ms between attempts at a
/// lock, so a writer that lost twice waits 8 ms however soon the lock was released, and
/// the writers that arrive meanwhile take it first: under a steady stream of commits that
/// set the p99 of every writing message (61 ms at 149 msg/s). With the timeout at 1 ms
/// SQLite makes one attempt after 1 ms and returns; [`Engines::execute`] asks again at
/// once, which polls the lock every millisecond, and backs off only when the lock stays
/// taken ([`busy_pause`]). Hosts give no other way to choose the busy handler (Spin opens
/// each connection with rusqlite's 5 s default).
pub(crate) const SQLITE_BUSY_POLL: &str = "PRAGMA busy_timeout = 1";

/// How long a statement keeps asking for a lock another connection holds: three times
/// the hosts' 5 s, since under a burst of thousands of writers the polling is not fair
/// either and one writer can lose every race for seconds while the others progress.
const SQLITE_BUSY_DEADLINE: Duration = Duration::from_secs(15);

impl<S: Connection, P: Connection> Engines<S, P> {
    /// A SQLite connection that polls a taken lock every millisecond ([`SQLITE_BUSY_POLL`]).
    pub(crate) fn sqlite(connection: S) -> Result<Self, StoreError> {
        connection.run(SQLITE_BUSY_POLL, &[])?;
        Ok(Self::Sqlite(connection))
    }

    pub(crate) fn postgres(connection: P) -> Self {
        Self::Postgres {
            connection,
            failure: RefCell::new(None),
        }
    }

    pub(crate) fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        match self {
            Self::Sqlite(connection) => {
                run_while_busy(connection, sql, params, SQLITE_BUSY_DEADLINE)
            }
            Self::Postgres {
                connection,
                failure,
            } => {
                let result = connection.run(sql, params);
                if let Err(StoreError::Sql(message)) = &result {
                    failure.borrow_mut().get_or_insert_with(|| message.clone());
                }
                result
            }
        }
    }

    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Self::Sqlite(_) => Dialect::Sqlite,
            Self::Postgres { .. } => Dialect::Postgres,
        }
    }

    pub(crate) fn take_failure(&self) -> Option<String> {
        match self {
            Self::Sqlite(_) => None,
            Self::Postgres { failure, .. } => failure.borrow_mut().take(),
        }
    }
}

/// Runs the statement again while SQLite refuses it as busy, until `deadline` has passed.
/// A statement refused so changed nothing, inside a transaction or not (a busy COMMIT
/// leaves its transaction open), so running it again is safe.
fn run_while_busy(
    connection: &impl Connection,
    sql: &str,
    params: &[SqlValue],
    deadline: Duration,
) -> Result<Vec<Row>, StoreError> {
    let started = Instant::now();
    let mut refusals = 0u32;
    loop {
        match connection.run(sql, params) {
            Err(e) if e.is_sqlite_busy() && started.elapsed() < deadline => {
                refusals += 1;
                // Not even a zero-length sleep: on Spin that is a host call of its own.
                let pause = busy_pause(refusals);
                if !pause.is_zero() {
                    std::thread::sleep(pause);
                }
            }
            result => return result,
        }
    }
}

/// How long to wait, besides SQLite's own millisecond, after the `refusals`-th busy refusal
/// in a row. The first few ask again at once: the lock is usually free within a commit or
/// two. Then the pause doubles up to 8 ms, so that a storm of hundreds of waiting writers
/// (a thousand stations reconnecting at once) does not spend the host's threads polling.
/// On Spin the pause is a WASI clock wait: no host thread is held.
fn busy_pause(refusals: u32) -> Duration {
    const AT_ONCE: u32 = 4;
    const LONGEST_MS: u64 = 8;
    match refusals.checked_sub(AT_ONCE) {
        None | Some(0) => Duration::ZERO,
        Some(n) => Duration::from_millis((1u64 << (n - 1).min(3)).min(LONGEST_MS)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sql;

    use crate::tests::Scripted;

    impl Connection for Scripted {
        fn run(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
            self.execute(sql, params)
        }
    }

    struct Db(Engines<Scripted, Scripted>);

    impl Sql for Db {
        fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
            self.0.execute(sql, params)
        }
    }

    fn transaction_with_busy(busy: Vec<&'static str>) -> (Result<(), StoreError>, Vec<String>) {
        let connection = Scripted {
            busy: RefCell::new(busy),
            ..Default::default()
        };
        let Ok(engines) = Engines::sqlite(connection) else {
            panic!("the busy pragma was refused");
        };
        let db = Db(engines);
        let result = db.transaction(|sql| sql.execute("INSERT", &[]).map(drop));
        let Engines::Sqlite(connection) = db.0 else {
            panic!("not SQLite");
        };
        (result, connection.ran.into_inner())
    }

    #[test]
    fn a_connection_polls_locks_instead_of_sqlites_growing_sleeps() {
        let (_, ran) = transaction_with_busy(Vec::new());
        assert_eq!(ran[0], SQLITE_BUSY_POLL);
    }

    #[test]
    fn a_busy_begin_is_asked_again_and_the_body_runs_once() {
        let (result, ran) = transaction_with_busy(vec!["BEGIN IMMEDIATE", "BEGIN IMMEDIATE"]);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(
            ran[1..],
            [
                "BEGIN IMMEDIATE",
                "BEGIN IMMEDIATE",
                "BEGIN IMMEDIATE",
                "INSERT",
                "COMMIT"
            ]
        );
    }

    #[test]
    fn a_busy_commit_is_run_again_without_running_the_body_again() {
        let (result, ran) = transaction_with_busy(vec!["COMMIT"]);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(ran[1..], ["BEGIN IMMEDIATE", "INSERT", "COMMIT", "COMMIT"]);
    }

    #[test]
    fn waiters_ask_again_at_once_then_back_off_to_8_ms() {
        let pauses: Vec<u64> = (1..=10)
            .map(|n| u64::try_from(busy_pause(n).as_millis()).unwrap_or(u64::MAX))
            .collect();
        assert_eq!(pauses, [0, 0, 0, 0, 1, 2, 4, 8, 8, 8]);
    }

    #[test]
    fn a_statement_busy_past_the_deadline_fails_as_busy() {
        let connection = Scripted {
            busy: RefCell::new(vec!["SELECT 1"; 3]),
            ..Default::default()
        };
        let result = run_while_busy(&connection, "SELECT 1", &[], Duration::ZERO);
        assert!(result.is_err_and(|e| e.is_busy()));
        assert_eq!(connection.ran.into_inner(), ["SELECT 1"]);
    }
}
