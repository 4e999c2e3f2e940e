//! What every host's [`crate::Sql`] does alike whichever engine it reaches: dispatch by
//! engine, and on PostgreSQL remember the first failed statement (see
//! [`crate::Sql::take_failure`]). The hosts supply only how one statement runs.

use std::cell::RefCell;

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

impl<S: Connection, P: Connection> Engines<S, P> {
    pub(crate) fn postgres(connection: P) -> Self {
        Self::Postgres {
            connection,
            failure: RefCell::new(None),
        }
    }

    pub(crate) fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        match self {
            Self::Sqlite(connection) => connection.run(sql, params),
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
