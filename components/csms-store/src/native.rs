//! SQLite files on disk through rusqlite, for native tests of domain code.

use crate::{KeyValue, Row, Sql, SqlValue, StoreError};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use std::path::Path;

/// A SQLite database file, like Spin's `.spin/sqlite_db.db`.
pub struct NativeSql(rusqlite::Connection);

impl NativeSql {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = rusqlite::Connection::open(path).map_err(|e| StoreError::Sql(e.to_string()))?;
        // Several test instances may share a file, as Spin instances do.
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| StoreError::Sql(e.to_string()))?;
        Ok(Self(conn))
    }
}

impl rusqlite::ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            SqlValue::Null => ToSqlOutput::Owned(Value::Null),
            SqlValue::Integer(v) => ToSqlOutput::Owned(Value::Integer(*v)),
            SqlValue::Real(v) => ToSqlOutput::Owned(Value::Real(*v)),
            SqlValue::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            SqlValue::Blob(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
        })
    }
}

impl Sql for NativeSql {
    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let err = |e: rusqlite::Error| StoreError::Sql(format!("{e} in {sql}"));
        let mut stmt = self.0.prepare(sql).map_err(err)?;
        let columns = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter()))
            .map_err(err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(err)? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i).map_err(err)? {
                    ValueRef::Null => SqlValue::Null,
                    ValueRef::Integer(v) => SqlValue::Integer(v),
                    ValueRef::Real(v) => SqlValue::Real(v),
                    ValueRef::Text(v) => SqlValue::Text(String::from_utf8_lossy(v).into_owned()),
                    ValueRef::Blob(v) => SqlValue::Blob(v.to_vec()),
                });
            }
            out.push(Row(values));
        }
        Ok(out)
    }
}

/// A key-value store in a SQLite file, like Spin's `.spin/sqlite_key_value.db`.
pub struct NativeKeyValue(NativeSql);

impl NativeKeyValue {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let sql = NativeSql::open(path)?;
        sql.execute(
            "CREATE TABLE IF NOT EXISTS spin_key_value (key TEXT PRIMARY KEY, value BLOB NOT NULL)",
            &[],
        )?;
        Ok(Self(sql))
    }
}

impl KeyValue for NativeKeyValue {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let rows = self.0.execute(
            "SELECT value FROM spin_key_value WHERE key = ?",
            &[key.into()],
        )?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|r| match r.0.into_iter().next() {
                Some(SqlValue::Blob(b)) => Some(b),
                Some(SqlValue::Text(t)) => Some(t.into_bytes()),
                _ => None,
            }))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.0.execute(
            "INSERT INTO spin_key_value (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            &[key.into(), SqlValue::Blob(value.to_vec())],
        )?;
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0
            .execute("DELETE FROM spin_key_value WHERE key = ?", &[key.into()])?;
        Ok(())
    }
}
