//! Where SQLite and PostgreSQL differ, and nowhere else.
//!
//! The domain code writes one SQL text, in SQLite's spelling: `?` / `?N` placeholders,
//! `julianday(...)` to compare times, `json_extract`, `group_concat`, `COLLATE NOCASE`. A
//! PostgreSQL backend passes every statement through [`postgres::translate`], and the
//! PostgreSQL schema gets, before its first migration, the few functions, aggregates and the
//! collation that make those spellings mean on PostgreSQL what they mean on SQLite
//! ([`postgres::PRELUDE`]). Hand-written dialect code was chosen over a query builder: the
//! statements are already written and tested, and no builder we found builds for
//! wasm32-wasip2 without pulling a database driver with it.

use std::borrow::Cow;

use crate::SqlValue;

/// The SQL engine behind a [`crate::Sql`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Opens a transaction that later writers wait for. SQLite's `IMMEDIATE` takes the
    /// database's write lock at once; PostgreSQL's `SERIALIZABLE` gives the same result for
    /// read-then-write bodies (a conflicting one fails with SQLSTATE 40001 and is run again).
    pub fn begin(self) -> &'static str {
        match self {
            Self::Sqlite => "BEGIN IMMEDIATE",
            Self::Postgres => "BEGIN ISOLATION LEVEL SERIALIZABLE",
        }
    }

    /// Opens a migration's transaction. On PostgreSQL not `SERIALIZABLE`: its snapshot would
    /// be taken by the lock statement before the lock is granted, and a migrator that waited
    /// would not see the version the one before it recorded.
    pub(crate) fn migration_begin(self) -> &'static str {
        match self {
            Self::Sqlite => "BEGIN IMMEDIATE",
            Self::Postgres => "BEGIN",
        }
    }

    /// The statement that makes concurrent migrators wait for each other inside the
    /// migration's transaction (SQLite's write lock already does).
    pub(crate) fn migration_lock(self) -> Option<&'static str> {
        match self {
            Self::Sqlite => None,
            // Any constant key: the lock is released with the transaction.
            Self::Postgres => {
                Some("SELECT 1 FROM (SELECT pg_advisory_xact_lock(7235541)) AS locked")
            }
        }
    }

    /// A migration statement in this dialect's column types.
    pub(crate) fn schema_statement(self, statement: &str) -> Cow<'_, str> {
        match self {
            Self::Sqlite => Cow::Borrowed(statement),
            Self::Postgres => Cow::Owned(postgres::schema_statement(statement)),
        }
    }

    /// The current UTC time as the store writes times (RFC 3339, whole seconds, `Z`).
    pub fn now(self) -> &'static str {
        match self {
            Self::Sqlite => "strftime('%Y-%m-%dT%H:%M:%SZ','now')",
            Self::Postgres => "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
        }
    }

    /// Statements run once, before the first migration.
    pub(crate) fn prelude(self) -> &'static [&'static str] {
        match self {
            Self::Sqlite => &[],
            Self::Postgres => postgres::PRELUDE,
        }
    }
}

/// Whether a store error says the table does not exist yet, in either engine's words.
pub(crate) fn is_missing_table(message: &str) -> bool {
    message.contains("no such table")
        || (message.contains("relation") && message.contains("does not exist"))
}

pub mod postgres {
    use super::SqlValue;

    /// SQLSTATEs after which the whole transaction may be run again unchanged.
    pub const RETRYABLE_STATES: &[&str] = &["40001", "40P01"];

    /// What `julianday`, `json_extract`, `group_concat` and `COLLATE NOCASE` mean on SQLite.
    /// Times are always written as RFC 3339 UTC, which `timestamptz` parses whatever the
    /// session's time zone: that is why `julianday` may be declared immutable, which
    /// PostgreSQL requires of a function used in an index.
    pub const PRELUDE: &[&str] = &[
        "CREATE OR REPLACE FUNCTION julianday(t text) RETURNS double precision \
         LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT SET TimeZone TO 'UTC' \
         AS $$ BEGIN \
         RETURN extract(epoch FROM t::timestamptz)::double precision / 86400.0 + 2440587.5; \
         EXCEPTION WHEN others THEN RETURN NULL; END $$",
        "CREATE OR REPLACE FUNCTION json_extract(document text, path text) RETURNS text \
         LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT \
         AS $$ SELECT document::jsonb #>> string_to_array(substr(path, 3), '.') $$",
        "CREATE OR REPLACE FUNCTION csms_concat_step(acc text, value anyelement, separator text) \
         RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE \
         AS $$ SELECT CASE WHEN value IS NULL THEN acc WHEN acc IS NULL THEN value::text \
         ELSE acc || separator || value::text END $$",
        "CREATE OR REPLACE FUNCTION csms_concat_step(acc text, value anyelement) \
         RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE \
         AS $$ SELECT csms_concat_step(acc, value, ',') $$",
        "CREATE OR REPLACE AGGREGATE group_concat(anyelement, text) \
         (SFUNC = csms_concat_step, STYPE = text)",
        "CREATE OR REPLACE AGGREGATE group_concat(anyelement) \
         (SFUNC = csms_concat_step, STYPE = text)",
        "DO $$ BEGIN \
         IF NOT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'nocase' \
                        AND collnamespace = current_schema()::regnamespace) THEN \
         CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false); \
         END IF; END $$",
    ];

    /// A statement rewritten for PostgreSQL, with the parameters it still binds.
    #[derive(Debug, PartialEq)]
    pub struct Translated<'a> {
        pub sql: String,
        pub params: Vec<&'a SqlValue>,
    }

    /// Rewrites placeholders for PostgreSQL: `?N` becomes `$N`, a bare `?` the next number
    /// after the highest so far (SQLite's rule). Each one is cast to its value's type,
    /// because PostgreSQL binds parameters by type and SQLite's are typed only by value. A
    /// NULL becomes the literal `NULL`, which takes its type from where it stands (a bound
    /// NULL in `? IS NULL` has none, and PostgreSQL refuses it); the other parameters are
    /// numbered again without it. Quoted text, quoted names and comments are copied unchanged.
    pub fn translate<'a>(sql: &str, params: &'a [SqlValue]) -> Translated<'a> {
        let bound: Vec<&SqlValue> = params.iter().filter(|p| !p.is_null()).collect();
        // The number each parameter is bound as, NULLs left out.
        let mut renumbered = Vec::with_capacity(params.len());
        let mut next = 0usize;
        for param in params {
            if !param.is_null() {
                next += 1;
            }
            renumbered.push(next);
        }
        let mut out = String::with_capacity(sql.len() + 8 * params.len());
        let mut chars = sql.char_indices().peekable();
        let mut highest = 0usize;
        while let Some((_, c)) = chars.next() {
            match c {
                '\'' | '"' => {
                    out.push(c);
                    for (_, inner) in chars.by_ref() {
                        out.push(inner);
                        // A doubled quote is an escaped one: the next pass reopens it.
                        if inner == c {
                            break;
                        }
                    }
                }
                '-' if chars.peek().is_some_and(|(_, n)| *n == '-') => {
                    out.push(c);
                    for (_, inner) in chars.by_ref() {
                        out.push(inner);
                        if inner == '\n' {
                            break;
                        }
                    }
                }
                '?' => {
                    let mut digits = String::new();
                    while let Some((_, d)) =
                        chars.peek().copied().filter(|(_, d)| d.is_ascii_digit())
                    {
                        digits.push(d);
                        chars.next();
                    }
                    let number = digits.parse::<usize>().unwrap_or(highest + 1);
                    highest = highest.max(number);
                    match params.get(number.wrapping_sub(1)) {
                        Some(SqlValue::Null) => out.push_str("NULL"),
                        Some(value) => {
                            out.push('$');
                            out.push_str(&renumbered[number - 1].to_string());
                            out.push_str(cast(value));
                        }
                        // Left for PostgreSQL to refuse, with its own words.
                        None => {
                            out.push('$');
                            out.push_str(&number.to_string());
                        }
                    }
                }
                _ => out.push(c),
            }
        }
        Translated {
            sql: out,
            params: bound,
        }
    }

    fn cast(value: &SqlValue) -> &'static str {
        match value {
            SqlValue::Integer(_) => "::int8",
            SqlValue::Real(_) => "::float8",
            SqlValue::Text(_) => "::text",
            SqlValue::Blob(_) => "::bytea",
            SqlValue::Null => "",
        }
    }

    /// SQLite's column types in PostgreSQL's: 64-bit integers everywhere (SQLite's INTEGER
    /// is 64-bit), identity keys for AUTOINCREMENT.
    pub(super) fn schema_statement(statement: &str) -> String {
        let mut out = String::with_capacity(statement.len() + 32);
        let mut rest = statement;
        const IDENTITY: &str = "INTEGER PRIMARY KEY AUTOINCREMENT";
        while let Some(word_start) = rest.find(|c: char| c.is_ascii_alphabetic()) {
            out.push_str(&rest[..word_start]);
            rest = &rest[word_start..];
            if rest.starts_with(IDENTITY) {
                out.push_str("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
                rest = &rest[IDENTITY.len()..];
                continue;
            }
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            out.push_str(match &rest[..end] {
                "INTEGER" => "BIGINT",
                "REAL" => "DOUBLE PRECISION",
                "BLOB" => "BYTEA",
                word => word,
            });
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    }

    /// Whether an error message carries one of [`RETRYABLE_STATES`], as the PostgreSQL
    /// backends write them (`... (SQLSTATE 40001)`).
    pub fn is_retryable(message: &str) -> bool {
        RETRYABLE_STATES
            .iter()
            .any(|state| message.contains(&format!("(SQLSTATE {state})")))
    }

    /// A NUMERIC result (PostgreSQL's SUM of integers) as SQLite would give it: an
    /// integer when it is one.
    pub fn numeric(text: &str) -> SqlValue {
        if let Ok(integer) = text.parse::<i64>() {
            return SqlValue::Integer(integer);
        }
        match text.parse::<f64>() {
            Ok(real) => SqlValue::Real(real),
            Err(_) => SqlValue::Text(text.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::postgres::*;
    use super::*;

    #[test]
    fn placeholders_are_numbered_as_sqlite_numbers_them_and_cast_by_value() {
        let params = [
            1.into(),
            "x".into(),
            SqlValue::Null,
            2.5.into(),
            SqlValue::Blob(vec![]),
        ];
        let translated = translate("SELECT ?, ?3, ? FROM t WHERE a = ?1 AND b IS ?", &params);
        assert_eq!(
            translated.sql,
            "SELECT $1::int8, NULL, $3::float8 FROM t WHERE a = $1::int8 AND b IS $4::bytea"
        );
        assert_eq!(
            translated.params,
            [&params[0], &params[1], &params[3], &params[4]]
        );
    }

    #[test]
    fn question_marks_in_text_names_and_comments_are_left_alone() {
        let sql = translate(
            "SELECT 'a?''b?', \"c?\" -- why?\n FROM t WHERE x = ?",
            &["v".into()],
        )
        .sql;
        assert_eq!(
            sql,
            "SELECT 'a?''b?', \"c?\" -- why?\n FROM t WHERE x = $1::text"
        );
    }

    #[test]
    fn schema_types_become_postgres_types_and_names_containing_them_do_not() {
        let ddl = schema_statement(
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER NOT NULL, \
             r REAL, b BLOB, integer_count INTEGER)",
        );
        assert_eq!(
            ddl,
            "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \
             n BIGINT NOT NULL, r DOUBLE PRECISION, b BYTEA, integer_count BIGINT)"
        );
    }

    #[test]
    fn numeric_results_read_as_sqlite_gives_them() {
        assert_eq!(numeric("42"), SqlValue::Integer(42));
        assert_eq!(numeric("1.5"), SqlValue::Real(1.5));
    }

    #[test]
    fn serialization_failures_are_retryable_and_others_are_not() {
        assert!(is_retryable("could not serialize access (SQLSTATE 40001)"));
        assert!(!is_retryable("duplicate key (SQLSTATE 23505)"));
        assert!(is_missing_table(
            "relation \"schema_migrations\" does not exist"
        ));
        assert!(is_missing_table("no such table: schema_migrations"));
    }
}
