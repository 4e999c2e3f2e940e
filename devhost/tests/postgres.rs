//! `spin:postgres/postgres@4.0.0` through a real guest (the probe's `pg` command) and a
//! real PostgreSQL server: `CSMS_TEST_DATABASE_URL` (for example the URL that
//! `scripts/postgres-throwaway` prints). Without that variable the tests say they were
//! skipped and pass; with it, every assertion runs.
//!
//! Each request's statements run on one connection, so the tests use TEMP tables: they
//! need no cleanup and cannot collide with each other or with other users of the server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use support::{request, start, Host, Resp};

fn database_url() -> Option<String> {
    match std::env::var("CSMS_TEST_DATABASE_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            eprintln!("skipped: CSMS_TEST_DATABASE_URL is not set (no PostgreSQL to test against)");
            None
        }
    }
}

/// `host:port` of a `postgres://user@host:port/db` URL.
fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    rest.split(['/', '?']).next().unwrap_or(rest).to_string()
}

/// The address with a different port (one nobody allowed).
fn other_port(url: &str) -> String {
    let hp = host_port(url);
    let host = hp.rsplit_once(':').map_or(hp.as_str(), |(h, _)| h);
    url.replacen(&hp, &format!("{host}:1"), 1)
}

fn host(url: &str) -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| {
        let allowed = format!("postgres://{}", host_port(url));
        start(
            &format!(
                r#"
spin_manifest_version = 2
[application]
name = "pg-app"

[[trigger.http]]
route = "/pg/..."
component = "pg"

[[trigger.http]]
route = "/nopg/..."
component = "nopg"

[component.pg]
source = "{{probe}}"
allowed_outbound_hosts = ["{allowed}"]

[component.nopg]
source = "{{probe}}"
"#
            ),
            |_| {},
        )
    })
}

/// Runs a probe script (see the probe's `pg`): blocks of `op`, SQL, parameters.
fn run(url: &str, blocks: &[&str]) -> Resp {
    let body = format!("{url}\n{}", blocks.join("\n---\n"));
    request(host(url).http, "POST", "/pg/pg", &body)
}

#[test]
fn open_needs_a_matching_allowed_outbound_host() {
    let Some(url) = database_url() else { return };
    let h = host(&url);
    let resp = request(
        h.http,
        "POST",
        "/nopg/pg",
        &format!("{url}\nquery\nSELECT 1"),
    );
    assert_eq!(resp.status, 500, "{}", resp.body);
    assert!(
        resp.body.contains(&format!(
            "open error: Error::ConnectionFailed(\"address postgres://{} is not permitted\")",
            host_port(&url)
        )),
        "{}",
        resp.body
    );
    // The allowed host with another port is another address.
    let other = other_port(&url);
    let resp = request(
        h.http,
        "POST",
        "/pg/pg",
        &format!("{other}\nquery\nSELECT 1"),
    );
    assert_eq!(resp.status, 500, "{}", resp.body);
    assert!(
        resp.body.contains(&format!(
            "Error::ConnectionFailed(\"address postgres://{} is not permitted\")",
            host_port(&other)
        )),
        "{}",
        resp.body
    );
    // No sslmode = tokio-postgres' `prefer`: TLS is offered (rustls here) and, as this
    // server has none, the connection goes on in plain text, as on Spin.
    let resp = run(&url, &["query\nSELECT 1::int4 AS one"]);
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(
        resp.body,
        "columns=[Column { name: \"one\", data-type: DbDataType::Int32 }]\n[DbValue::Int32(1)]"
    );
}

#[test]
fn sslmode_require_needs_a_server_with_tls() {
    let Some(url) = database_url() else { return };
    let sep = if url.contains('?') { '&' } else { '?' };
    let resp = run(&format!("{url}{sep}sslmode=require"), &["query\nSELECT 1"]);
    assert_eq!(resp.status, 500, "{}", resp.body);
    assert!(
        resp.body.contains("open error: Error::ConnectionFailed("),
        "{}",
        resp.body
    );
    let resp = run(
        &format!("{url}{sep}sslmode=disable"),
        &["query\nSELECT 1::int2 AS n"],
    );
    assert!(resp.body.ends_with("[DbValue::Int16(1)]"), "{}", resp.body);
}

#[test]
fn typed_parameters_and_every_column_type_round_trip() {
    let Some(url) = database_url() else { return };
    let resp = run(
        &url,
        &[
            "execute\nCREATE TEMP TABLE t (id int8 PRIMARY KEY, name text, ok bool, score float8, \
             ratio float4, price numeric(10,2), data bytea, born date, seen timestamp, doc jsonb, \
             tag uuid, small int2, mid int4, note varchar(10), code char(3), span interval, \
             ids int8[], names text[])",
            "execute\nINSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
             $13, $14, $15, $16, $17, $18)\nint64:1\nstr:alice\nbool:true\nfloat64:1.5\n\
             float32:0.25\ndecimal:12.5\nbinary:xyz\ndate:2024-02-29\n\
             datetime:2024-02-29T13:45:30\njsonb:{\"a\": 1}\n\
             uuid:67e55044-10b1-426f-9247-bb680e5fe0c8\nint16:7\nint32:70000\nstr:short\n\
             str:abc\ninterval:1000000,2,3\narray-int64:1,,3\narray-str:a,,c",
            // NULL binds whatever the column's type.
            "execute\nINSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
             $13, $14, $15, $16, $17, $18)\nint64:2\nnull\nnull\nnull\nnull\nnull\nnull\nnull\n\
             null\nnull\nnull\nnull\nnull\nnull\nnull\nnull\nnull\nnull",
            "query\nSELECT * FROM t ORDER BY id",
        ],
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    let answers: Vec<&str> = resp.body.split("\n===\n").collect();
    assert_eq!(answers[..3], ["rows=0", "rows=1", "rows=1"]);
    let mut lines = answers[3].lines();
    let columns = lines.next().unwrap();
    for (name, ty) in [
        ("id", "Int64"),
        ("name", "Str"),
        ("ok", "Boolean"),
        ("score", "Floating64"),
        ("ratio", "Floating32"),
        ("price", "Decimal"),
        ("data", "Binary"),
        ("born", "Date"),
        ("seen", "Datetime"),
        ("doc", "Jsonb"),
        ("tag", "Uuid"),
        ("small", "Int16"),
        ("mid", "Int32"),
        ("note", "Str"),
        ("code", "Str"),
        ("span", "Interval"),
        ("ids", "ArrayInt64"),
        ("names", "ArrayStr"),
    ] {
        let col = format!("Column {{ name: \"{name}\", data-type: DbDataType::{ty} }}");
        assert!(columns.contains(&col), "{col} not in {columns}");
    }
    let jsonb: Vec<u8> = br#"{"a":1}"#.to_vec();
    assert_eq!(
        lines.next().unwrap(),
        format!(
            "[DbValue::Int64(1), DbValue::Str(\"alice\"), DbValue::Boolean(true), \
             DbValue::Floating64(1.5), DbValue::Floating32(0.25), DbValue::Decimal(\"12.50\"), \
             DbValue::Binary([120, 121, 122]), DbValue::Date((2024, 2, 29)), \
             DbValue::Datetime((2024, 2, 29, 13, 45, 30, 0)), DbValue::Jsonb({jsonb:?}), \
             DbValue::Uuid(\"67e55044-10b1-426f-9247-bb680e5fe0c8\"), DbValue::Int16(7), \
             DbValue::Int32(70000), DbValue::Str(\"short\"), DbValue::Str(\"abc\"), \
             DbValue::Interval(Interval {{ micros: 1000000, days: 2, months: 3 }}), \
             DbValue::ArrayInt64([Some(1), None, Some(3)]), \
             DbValue::ArrayStr([Some(\"a\"), None, Some(\"c\")])]"
        )
    );
    let nulls = vec!["DbValue::DbNull"; 17].join(", ");
    assert_eq!(
        lines.next().unwrap(),
        format!("[DbValue::Int64(2), {nulls}]")
    );
    assert_eq!(lines.next(), None);
}

#[test]
fn parameters_bind_with_their_own_type_only() {
    let Some(url) = database_url() else { return };
    // int64 is an int8: PostgreSQL's int4 does not take it (as on Spin).
    let resp = run(&url, &["query\nSELECT $1::int4 AS n\nint64:5"]);
    assert_eq!(resp.status, 500, "{}", resp.body);
    assert!(
        resp.body.contains("Error::QueryFailed(QueryError::Text(")
            && resp
                .body
                .contains("WrongType { postgres: Int4, rust: \\\"i64\\\" }"),
        "{}",
        resp.body
    );
    let resp = run(&url, &["query\nSELECT $1::int4 AS n\nint32:5"]);
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(resp.body.ends_with("[DbValue::Int32(5)]"), "{}", resp.body);
    let resp = run(&url, &["query\nSELECT $1::numeric * 2 AS n\ndecimal:1.25"]);
    assert!(
        resp.body.ends_with("[DbValue::Decimal(\"2.50\")]"),
        "{}",
        resp.body
    );
    // A parameter the host cannot convert at all: query says bad-parameter, execute
    // value-conversion-failed, as in Spin.
    let resp = run(&url, &["query\nSELECT $1::date\ndate:2023-02-30"]);
    assert!(resp.body.contains("Error::BadParameter("), "{}", resp.body);
    let resp = run(&url, &["execute\nSELECT $1::date\ndate:2023-02-30"]);
    assert!(
        resp.body.contains("Error::ValueConversionFailed("),
        "{}",
        resp.body
    );
}

#[test]
fn a_query_matching_no_rows_returns_promptly_with_its_columns() {
    let Some(url) = database_url() else { return };
    let started = Instant::now();
    let resp = run(
        &url,
        &["query\nSELECT 1::int8 AS one, 'x'::text AS two WHERE false"],
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(
        resp.body,
        "columns=[Column { name: \"one\", data-type: DbDataType::Int64 }, \
         Column { name: \"two\", data-type: DbDataType::Str }]"
    );
}

#[test]
fn server_errors_carry_the_sqlstate_and_message() {
    let Some(url) = database_url() else { return };
    let resp = run(&url, &["query\nSELECT * FROM devhost_no_such_table"]);
    assert_eq!(resp.status, 500, "{}", resp.body);
    for part in [
        "Error::QueryFailed(QueryError::DbError(DbError {",
        "severity: \"ERROR\"",
        "code: \"42P01\"",
        "message: \"relation \\\"devhost_no_such_table\\\" does not exist\"",
        // The driver's full text, as Spin's as-text.
        "as-text: \"Error { kind: Db, cause: Some(DbError {",
    ] {
        assert!(resp.body.contains(part), "{part} not in {}", resp.body);
    }
    let resp = run(
        &url,
        &[
            "execute\nCREATE TEMP TABLE u (id int8 PRIMARY KEY)",
            "execute\nINSERT INTO u VALUES (1)",
            "execute\nINSERT INTO u VALUES (1)",
        ],
    );
    assert_eq!(resp.status, 500, "{}", resp.body);
    assert!(resp.body.contains("code: \"23505\""), "{}", resp.body);
    assert!(
        resp.body.contains("(\"constraint\", \"u_pkey\")"),
        "{}",
        resp.body
    );
}

#[test]
fn types_without_a_case_are_unsupported_and_timestamptz_fails_as_on_spin() {
    let Some(url) = database_url() else { return };
    let resp = run(&url, &["query\nSELECT '10.0.0.1'::inet AS addr"]);
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(
        resp.body.starts_with(
            "columns=[Column { name: \"addr\", data-type: DbDataType::Other(\"inet\") }]"
        ),
        "{}",
        resp.body
    );
    assert!(
        resp.body.contains("\n[DbValue::Unsupported(["),
        "{}",
        resp.body
    );
    // Spin reads timestamptz as a naive timestamp, which the driver refuses.
    let resp = run(&url, &["query\nSELECT now() AS t"]);
    assert_eq!(resp.status, 500, "{}", resp.body);
    assert!(
        resp.body.contains("Error::QueryFailed(QueryError::Text(")
            && resp.body.contains("timestamptz"),
        "{}",
        resp.body
    );
}

#[test]
fn a_transaction_lives_on_the_requests_connection() {
    let Some(url) = database_url() else { return };
    let resp = run(
        &url,
        &[
            "execute\nCREATE TEMP TABLE tx (id int8)",
            "execute\nBEGIN",
            "execute\nINSERT INTO tx VALUES ($1), ($2)\nint64:1\nint64:2",
            "execute\nROLLBACK",
            "query\nSELECT count(*) AS n FROM tx",
        ],
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    let answers: Vec<&str> = resp.body.split("\n===\n").collect();
    assert_eq!(answers[2], "rows=2");
    assert!(answers[4].ends_with("[DbValue::Int64(0)]"), "{}", resp.body);
}
