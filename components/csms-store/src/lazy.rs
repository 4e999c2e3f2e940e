//! A database opened at its first statement.
//!
//! On Spin every `open` is a new SQLite connection whose first statement parses the whole
//! schema again, and a PostgreSQL open takes a pooled connection and resets it. A component
//! that answers most requests from the key-value store alone (a 1.6 Heartbeat, a message it
//! forwards) should not pay that: [`Lazy`] opens only when a statement is run.

use std::cell::OnceCell;

use crate::{Dialect, Row, Sql, SqlValue, StoreError};

/// `S` from `open`, called at the first statement; an open that failed is tried again at
/// the next statement, and its error is that statement's.
pub struct Lazy<S, F> {
    open: F,
    opened: OnceCell<S>,
}

impl<S: Sql, F: Fn() -> Result<S, StoreError>> Lazy<S, F> {
    pub fn new(open: F) -> Self {
        Self {
            open,
            opened: OnceCell::new(),
        }
    }

    /// Whether a statement has opened the database.
    pub fn is_open(&self) -> bool {
        self.opened.get().is_some()
    }

    fn connection(&self) -> Result<&S, StoreError> {
        if let Some(sql) = self.opened.get() {
            return Ok(sql);
        }
        let sql = (self.open)()?;
        Ok(self.opened.get_or_init(|| sql))
    }
}

impl<S: Sql, F: Fn() -> Result<S, StoreError>> Sql for Lazy<S, F> {
    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.connection()?.execute(sql, params)
    }

    /// Opens the database: the dialect is asked only before a statement that depends on it.
    fn dialect(&self) -> Dialect {
        self.connection().map_or(Dialect::Sqlite, Sql::dialect)
    }

    /// Nothing failed on a database not opened yet.
    fn take_failure(&self) -> Option<String> {
        self.opened.get().and_then(Sql::take_failure)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::cell::Cell;

    struct Counting<'a> {
        statements: &'a Cell<usize>,
    }

    impl Sql for Counting<'_> {
        fn execute(&self, _: &str, _: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
            self.statements.set(self.statements.get() + 1);
            Ok(Vec::new())
        }
    }

    #[test]
    fn the_database_is_opened_once_at_the_first_statement() {
        let opens = Cell::new(0);
        let statements = Cell::new(0);
        let lazy = Lazy::new(|| {
            opens.set(opens.get() + 1);
            Ok(Counting {
                statements: &statements,
            })
        });
        assert_eq!(opens.get(), 0);
        assert!(!lazy.is_open());
        assert_eq!(lazy.take_failure(), None);
        assert_eq!(opens.get(), 0, "asking for failures opens nothing");
        lazy.execute("SELECT 1", &[]).unwrap();
        lazy.transaction(|sql| sql.execute("SELECT 2", &[]).map(drop))
            .unwrap();
        assert_eq!(opens.get(), 1);
        assert_eq!(statements.get(), 4, "SELECT 1, BEGIN, SELECT 2, COMMIT");
    }

    #[test]
    fn a_failed_open_fails_the_statement_and_is_tried_again() {
        let opens = Cell::new(0);
        let statements = Cell::new(0);
        let lazy = Lazy::new(|| {
            opens.set(opens.get() + 1);
            if opens.get() == 1 {
                return Err(StoreError::Sql(
                    "opening database default: unavailable".into(),
                ));
            }
            Ok(Counting {
                statements: &statements,
            })
        });
        let first = lazy.execute("SELECT 1", &[]).unwrap_err();
        assert!(first.to_string().contains("unavailable"), "{first}");
        assert!(!lazy.is_open());
        lazy.execute("SELECT 1", &[]).unwrap();
        assert_eq!((opens.get(), statements.get()), (2, 1));
    }
}
