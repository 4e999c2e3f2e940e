//! SQL values and rows, independent of the SQLite binding underneath.

use crate::StoreError;

/// A value bound to or read from a statement; SQLite's five storage classes.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl SqlValue {
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }
}

impl From<i64> for SqlValue {
    fn from(v: i64) -> Self {
        SqlValue::Integer(v)
    }
}

impl From<i32> for SqlValue {
    fn from(v: i32) -> Self {
        SqlValue::Integer(v.into())
    }
}

impl From<u32> for SqlValue {
    fn from(v: u32) -> Self {
        SqlValue::Integer(v.into())
    }
}

impl From<bool> for SqlValue {
    fn from(v: bool) -> Self {
        SqlValue::Integer(v.into())
    }
}

impl From<f64> for SqlValue {
    fn from(v: f64) -> Self {
        SqlValue::Real(v)
    }
}

impl From<&str> for SqlValue {
    fn from(v: &str) -> Self {
        SqlValue::Text(v.to_owned())
    }
}

impl From<String> for SqlValue {
    fn from(v: String) -> Self {
        SqlValue::Text(v)
    }
}

impl From<&String> for SqlValue {
    fn from(v: &String) -> Self {
        SqlValue::Text(v.clone())
    }
}

impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(SqlValue::Null, Into::into)
    }
}

/// One result row; columns by position, in the order the query selects them.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<SqlValue>);

impl Row {
    fn column(&self, index: usize, context: &'static str) -> Result<&SqlValue, StoreError> {
        self.0.get(index).ok_or(StoreError::Column {
            context,
            column: index,
            problem: "missing",
        })
    }

    /// An INTEGER column; NULL is an error (use [`Row::opt_i64`]).
    pub fn i64(&self, index: usize, context: &'static str) -> Result<i64, StoreError> {
        self.opt_i64(index, context)?.ok_or(StoreError::Column {
            context,
            column: index,
            problem: "is NULL",
        })
    }

    pub fn opt_i64(&self, index: usize, context: &'static str) -> Result<Option<i64>, StoreError> {
        match self.column(index, context)? {
            SqlValue::Null => Ok(None),
            SqlValue::Integer(v) => Ok(Some(*v)),
            _ => Err(StoreError::Column {
                context,
                column: index,
                problem: "is not an integer",
            }),
        }
    }

    /// A TEXT column; NULL is an error (use [`Row::opt_text`]).
    pub fn text(&self, index: usize, context: &'static str) -> Result<String, StoreError> {
        self.opt_text(index, context)?.ok_or(StoreError::Column {
            context,
            column: index,
            problem: "is NULL",
        })
    }

    pub fn opt_text(
        &self,
        index: usize,
        context: &'static str,
    ) -> Result<Option<String>, StoreError> {
        match self.column(index, context)? {
            SqlValue::Null => Ok(None),
            SqlValue::Text(v) => Ok(Some(v.clone())),
            _ => Err(StoreError::Column {
                context,
                column: index,
                problem: "is not text",
            }),
        }
    }
}
