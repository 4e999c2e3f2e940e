//! Native stores for tests of domain code: SQLite files on disk through rusqlite, or, when
//! [`TEST_DATABASE_URL`] names a PostgreSQL database, one schema of it per file path, so the
//! same tests also run against the scale-out store.

use std::cell::RefCell;
use std::path::Path;

use crate::dialect::postgres as pg_dialect;
use crate::engines::{self, Engines};
use crate::{Dialect, KeyValue, Row, Sql, SqlValue, StoreError};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};

/// The environment variable that moves every [`NativeSql`] to PostgreSQL
/// (`postgres://user@host:port/db`).
pub const TEST_DATABASE_URL: &str = "CSMS_TEST_DATABASE_URL";

/// A SQLite database file, like Spin's `.spin/sqlite_db.db`, or its PostgreSQL stand-in.
pub struct NativeSql(Engines<SqliteConnection, PostgresClient>);

struct SqliteConnection(rusqlite::Connection);

/// Boxed: a client is several times the size of a SQLite connection.
struct PostgresClient(Box<RefCell<postgres::Client>>);

impl engines::Connection for SqliteConnection {
    fn run(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        sqlite_execute(&self.0, sql, params)
    }
}

impl engines::Connection for PostgresClient {
    fn run(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        postgres_execute(&mut self.0.borrow_mut(), sql, params)
    }
}

impl NativeSql {
    /// Opens the database at `path`. Under [`TEST_DATABASE_URL`] the path names a schema
    /// instead: two opens of one path share it, as two connections share a file, and an
    /// empty file at the path stands for it, so a test that removes the file to start from
    /// an empty database gets an empty schema.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        match std::env::var(TEST_DATABASE_URL) {
            Ok(url) if !url.is_empty() => {
                let fresh = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(path)
                    .is_ok();
                let schema = schema_name(path);
                if fresh {
                    let mut client = postgres::Client::connect(&url, postgres::NoTls)
                        .map_err(|e| StoreError::Sql(format!("connecting to {url}: {e}")))?;
                    client
                        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .map_err(|e| StoreError::Sql(format!("dropping {schema}: {e}")))?;
                }
                Self::open_postgres(&url, &schema)
            }
            _ => Self::open_sqlite(path),
        }
    }

    pub fn open_sqlite(path: &Path) -> Result<Self, StoreError> {
        let conn = rusqlite::Connection::open(path).map_err(|e| StoreError::Sql(e.to_string()))?;
        // Several test instances may share a file, as Spin instances do; they wait for
        // each other's locks as on Spin.
        Engines::sqlite(SqliteConnection(conn)).map(Self)
    }

    /// A connection to `url` whose unqualified names resolve in `schema` (created if new).
    pub fn open_postgres(url: &str, schema: &str) -> Result<Self, StoreError> {
        let mut client = postgres::Client::connect(url, postgres::NoTls)
            .map_err(|e| StoreError::Sql(format!("connecting to {url}: {e}")))?;
        let create = format!("CREATE SCHEMA IF NOT EXISTS {schema}");
        // Two connections creating one schema at once: one of them fails, and finds it made.
        if client.batch_execute(&create).is_err() {
            client
                .batch_execute(&create)
                .map_err(|e| StoreError::Sql(format!("{create}: {e}")))?;
        }
        client
            .batch_execute(&format!("SET search_path TO {schema}"))
            .map_err(|e| StoreError::Sql(e.to_string()))?;
        Ok(Self(Engines::postgres(PostgresClient(Box::new(
            RefCell::new(client),
        )))))
    }
}

/// A schema name for a path: stable, and a valid unquoted identifier.
fn schema_name(path: &Path) -> String {
    use sha2::Digest;
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let digest = sha2::Sha256::digest(absolute.to_string_lossy().as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("test_{hex}")
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
        self.0.execute(sql, params)
    }

    fn dialect(&self) -> Dialect {
        self.0.dialect()
    }

    fn take_failure(&self) -> Option<String> {
        self.0.take_failure()
    }
}

fn sqlite_execute(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[SqlValue],
) -> Result<Vec<Row>, StoreError> {
    let err = |e: rusqlite::Error| StoreError::Sql(format!("{e} in {sql}"));
    let mut stmt = conn.prepare(sql).map_err(err)?;
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

fn postgres_execute(
    client: &mut postgres::Client,
    sql: &str,
    params: &[SqlValue],
) -> Result<Vec<Row>, StoreError> {
    use postgres::types::{ToSql, Type};
    let translated = pg_dialect::translate(sql, params);
    let statement = translated.sql;
    let err = |e: postgres::Error| {
        StoreError::Sql(match e.as_db_error() {
            Some(db) => format!(
                "{} (SQLSTATE {}) in {statement}",
                db.message(),
                db.code().code()
            ),
            None => format!("{e} in {statement}"),
        })
    };
    let bound: Vec<Box<dyn ToSql + Sync>> = translated
        .params
        .iter()
        .map(|p| -> Box<dyn ToSql + Sync> {
            match p {
                SqlValue::Null => Box::new(Option::<String>::None),
                SqlValue::Integer(v) => Box::new(*v),
                SqlValue::Real(v) => Box::new(*v),
                SqlValue::Text(v) => Box::new(v.clone()),
                SqlValue::Blob(v) => Box::new(v.clone()),
            }
        })
        .collect();
    let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b.as_ref()).collect();
    let rows = client.query(statement.as_str(), &refs).map_err(err)?;
    let unsupported =
        |ty: &Type| StoreError::Sql(format!("column type {ty} is not read, in {statement}"));
    rows.iter()
        .map(|row| {
            (0..row.len())
                .map(|i| {
                    let ty = row.columns()[i].type_();
                    let value = match *ty {
                        Type::INT8 => row
                            .try_get::<_, Option<i64>>(i)
                            .map(|v| v.map(SqlValue::Integer)),
                        Type::INT4 => row
                            .try_get::<_, Option<i32>>(i)
                            .map(|v| v.map(|v| SqlValue::Integer(v.into()))),
                        Type::INT2 => row
                            .try_get::<_, Option<i16>>(i)
                            .map(|v| v.map(|v| SqlValue::Integer(v.into()))),
                        Type::BOOL => row
                            .try_get::<_, Option<bool>>(i)
                            .map(|v| v.map(|v| SqlValue::Integer(v.into()))),
                        Type::FLOAT8 => row
                            .try_get::<_, Option<f64>>(i)
                            .map(|v| v.map(SqlValue::Real)),
                        Type::FLOAT4 => row
                            .try_get::<_, Option<f32>>(i)
                            .map(|v| v.map(|v| SqlValue::Real(v.into()))),
                        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => row
                            .try_get::<_, Option<String>>(i)
                            .map(|v| v.map(SqlValue::Text)),
                        Type::BYTEA => row
                            .try_get::<_, Option<Vec<u8>>>(i)
                            .map(|v| v.map(SqlValue::Blob)),
                        Type::NUMERIC => row
                            .try_get::<_, Option<rust_decimal::Decimal>>(i)
                            .map(|v| v.map(|v| pg_dialect::numeric(&v.to_string()))),
                        _ => return Err(unsupported(ty)),
                    };
                    value.map(|v| v.unwrap_or(SqlValue::Null)).map_err(err)
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Row)
        })
        .collect()
}

/// A key-value store in a SQLite file, like Spin's `.spin/sqlite_key_value.db`.
pub struct NativeKeyValue(NativeSql);

impl NativeKeyValue {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let sql = NativeSql::open_sqlite(path)?;
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

    fn compare_and_swap(&self, key: &str, current: &[u8], new: &[u8]) -> Result<bool, StoreError> {
        let swapped = self.0.execute(
            "UPDATE spin_key_value SET value = ? WHERE key = ? AND value = ? RETURNING key",
            &[
                SqlValue::Blob(new.to_vec()),
                key.into(),
                SqlValue::Blob(current.to_vec()),
            ],
        )?;
        Ok(!swapped.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A read-then-write transaction that another connection's write overtakes between its
    /// read and its write: PostgreSQL refuses the stale write (SQLSTATE 40001) and the body
    /// runs again on the new value, so no increment is lost. SQLite cannot interleave so:
    /// `BEGIN IMMEDIATE` holds the write lock from the start and the other writer waits.
    #[test]
    fn an_overtaken_read_modify_write_runs_again_and_loses_no_update() {
        let dir = std::env::temp_dir().join(format!("csms-store-rmw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        let _ = std::fs::remove_file(&path);
        let db = NativeSql::open(&path).unwrap();
        if db.dialect() == Dialect::Sqlite {
            return;
        }
        crate::migrate(&db).unwrap();
        db.execute(
            "INSERT INTO tariffs (id, definition, updated_at) VALUES ('counter', '0', 'x')",
            &[],
        )
        .unwrap();
        let other = NativeSql::open(&path).unwrap();
        let increment =
            "UPDATE tariffs SET definition = CAST(CAST(definition AS INTEGER) + 1 AS TEXT) \
                         WHERE id = 'counter'";
        let mut attempts = 0;
        db.transaction(|db| {
            attempts += 1;
            let rows = db.execute("SELECT definition FROM tariffs WHERE id = 'counter'", &[])?;
            let n: i64 = rows[0].text(0, "definition")?.parse().unwrap_or(-1000);
            if attempts == 1 {
                other.execute(increment, &[])?;
            }
            db.execute(
                "UPDATE tariffs SET definition = ? WHERE id = 'counter'",
                &[(n + 1).to_string().into()],
            )?;
            Ok::<(), StoreError>(())
        })
        .unwrap();
        assert_eq!(attempts, 2);
        let rows = db
            .execute("SELECT definition FROM tariffs WHERE id = 'counter'", &[])
            .unwrap();
        assert_eq!(rows[0].text(0, "definition").unwrap(), "2");
    }

    /// PostgreSQL aborts a transaction at its first failed statement and answers the COMMIT
    /// with a ROLLBACK. A body that handled such an error must not be taken as committed.
    #[test]
    fn a_handled_statement_error_on_postgres_fails_the_transaction_instead_of_losing_it() {
        let dir = std::env::temp_dir().join(format!("csms-store-aborted-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        let _ = std::fs::remove_file(&path);
        let db = NativeSql::open(&path).unwrap();
        crate::migrate(&db).unwrap();
        let insert = "INSERT INTO tariffs (id, definition, updated_at) VALUES (?, '{}', 'x')";
        db.execute(insert, &["taken".into()]).unwrap();
        let result = db.transaction(|db| {
            db.execute(insert, &["new".into()])?;
            // A duplicate key, handled: SQLite goes on with the transaction, PostgreSQL not.
            let _ = db.execute(insert, &["taken".into()]);
            Ok::<(), StoreError>(())
        });
        let stored = db
            .execute("SELECT count(*) FROM tariffs WHERE id = 'new'", &[])
            .unwrap()[0]
            .i64(0, "count")
            .unwrap();
        match db.dialect() {
            Dialect::Sqlite => assert!(result.is_ok() && stored == 1, "{result:?}"),
            Dialect::Postgres => {
                let message = result.unwrap_err().to_string();
                assert!(message.contains("(SQLSTATE 23505)"), "{message}");
                assert_eq!(stored, 0);
            }
        }
    }
}
