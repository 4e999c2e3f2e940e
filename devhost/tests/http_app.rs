//! End-to-end tests of the HTTP side: a real spin-sdk 5.2 component (the
//! probe fixture) served by devhost.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use support::{get, request, start, try_start, Host};

/// One app shared by most tests; its components all run the probe.
fn shared() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| {
        let upstream = support::tiny_server("pong");
        let manifest = format!(
            r#"
spin_manifest_version = 2
[application]
name = "probe-app"

[variables]
greeting = {{ default = "hello" }}
token = {{ required = true }}
from_env = {{ default = "default-env" }}

[[trigger.http]]
route = "/probe/..."
component = "probe"

[[trigger.http]]
route = "/probe/exact"
component = "exact"

[[trigger.http]]
route = {{ private = true }}
component = "authz"

[[trigger.http]]
route = "/items/:id/..."
component = "items"

[[trigger.http]]
route = "/nochain/..."
component = "nochain"

[component.probe]
source = "{{probe}}"
key_value_stores = ["default"]
sqlite_databases = ["default"]
allowed_outbound_hosts = ["http://authz.spin.internal", "http://{upstream}"]
[component.probe.variables]
greeting = "{{{{ greeting }}}}"
token = "{{{{ token }}}}"
env = "{{{{ from_env }}}}"

[component.exact]
source = "{{probe}}"

[component.authz]
source = "{{probe}}"

[component.items]
source = "{{probe}}"

[component.nochain]
source = "{{probe}}"
"#
        );
        // The env provider is read at start-up; only this host's variable uses it.
        std::env::set_var("SPIN_VARIABLE_FROM_ENV", "from-the-env");
        let sql = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            sql.path(),
            "CREATE TABLE IF NOT EXISTS seeded (name TEXT); INSERT INTO seeded VALUES ('from-file');",
        )
        .unwrap();
        let sql_arg = format!("@{}", sql.path().display());
        let host = start(&manifest, |a| {
            a.variables.push(("token".into(), "s3cret".into()));
            a.sqlite.push(sql_arg);
            a.request_timeout_secs = 2.0;
            a.max_memory_mib = 64;
        });
        // Keep the upstream address reachable for the outbound test.
        UPSTREAM.set(upstream).ok();
        host
    })
}

static UPSTREAM: OnceLock<std::net::SocketAddr> = OnceLock::new();

fn header_lines(body: &str) -> std::collections::HashMap<String, String> {
    body.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn wildcard_route_sets_spin_headers() {
    let h = shared();
    let r = get(h.http, "/probe/headers?x=1");
    assert_eq!(r.status, 200, "{}", r.body);
    let hs = header_lines(&r.body);
    assert_eq!(
        hs["spin-full-url"],
        format!("http://{}/probe/headers?x=1", h.http)
    );
    assert_eq!(hs["spin-path-info"], "/headers");
    assert_eq!(hs["spin-matched-route"], "/probe/...");
    assert_eq!(hs["spin-raw-component-route"], "/probe/...");
    assert_eq!(hs["spin-component-route"], "/probe");
    assert_eq!(hs["spin-base-path"], "/");
    assert!(
        hs["spin-client-addr"].starts_with("127.0.0.1:"),
        "{}",
        r.body
    );
}

#[test]
fn named_segment_is_exposed_as_spin_path_match() {
    let h = shared();
    let r = get(h.http, "/items/42/headers");
    assert_eq!(r.status, 200, "{}", r.body);
    let hs = header_lines(&r.body);
    assert_eq!(hs["spin-path-match-id"], "42");
    assert_eq!(hs["spin-matched-route"], "/items/:id/...");
    assert_eq!(hs["spin-component-route"], "/items/:id");
    assert_eq!(hs["spin-path-info"], "/headers");
}

#[test]
fn exact_route_beats_wildcard_and_unknown_paths_are_404() {
    let h = shared();
    let r = get(h.http, "/probe/exact");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "probe /probe/exact");
    let r = get(h.http, "/probe/other");
    assert_eq!(r.body, "probe /probe");
    assert_eq!(get(h.http, "/nothing-here").status, 404);
}

#[test]
fn private_component_is_not_reachable_from_outside() {
    let h = shared();
    assert_eq!(get(h.http, "/authz").status, 404);
    assert_eq!(get(h.http, "/authz/headers").status, 404);
}

#[test]
fn key_value_round_trip_persists_in_state_dir() {
    let h = shared();
    let r = request(h.http, "PUT", "/probe/kv/default/greeting", "bonjour");
    assert_eq!((r.status, r.body.as_str()), (200, "stored"));
    let r = get(h.http, "/probe/kv/default/greeting");
    assert_eq!((r.status, r.body.as_str()), (200, "bonjour"));
    let r = get(h.http, "/probe/kv/default/missing");
    assert_eq!(r.body, "<none>");
    assert!(h.dir.path().join(".spin/sqlite_key_value.db").exists());
}

#[test]
fn ungranted_key_value_label_is_access_denied() {
    let h = shared();
    let r = get(h.http, "/probe/kv/other/k");
    assert_eq!(r.status, 403);
    assert!(r.body.contains("AccessDenied"), "{}", r.body);
    // `nochain` was granted no store at all, not even default.
    let r = get(h.http, "/nochain/kv/default/k");
    assert!(r.body.contains("AccessDenied"), "{}", r.body);
}

#[test]
fn sqlite_round_trip_on_disk_and_startup_file() {
    let h = shared();
    let r = request(
        h.http,
        "POST",
        "/probe/sqlite/default",
        "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = request(
        h.http,
        "POST",
        "/probe/sqlite/default",
        "INSERT INTO notes (body) VALUES ('first')",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = request(
        h.http,
        "POST",
        "/probe/sqlite/default",
        "SELECT body FROM notes",
    );
    assert_eq!((r.status, r.body.as_str()), (200, "first"));
    let r = request(
        h.http,
        "POST",
        "/probe/sqlite/default",
        "SELECT name FROM seeded",
    );
    assert_eq!(r.body, "from-file");
    assert!(h.dir.path().join(".spin/sqlite_db.db").exists());
    // The file really holds the data.
    let conn = rusqlite::Connection::open(h.dir.path().join(".spin/sqlite_db.db")).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM notes", [], |r| r.get(0))
        .unwrap();
    assert!(n >= 1);
}

#[test]
fn sqlite3_interface_reports_changes_and_rowid() {
    let h = shared();
    let r = request(
        h.http,
        "POST",
        "/probe/sqlite3/default",
        "CREATE TABLE IF NOT EXISTS v3 (id INTEGER PRIMARY KEY, name TEXT)",
    );
    // The probe binds one parameter; CREATE takes none, so SQLite refuses it.
    assert_eq!(r.status, 500, "{}", r.body);
    request(
        h.http,
        "POST",
        "/probe/sqlite/default",
        "CREATE TABLE IF NOT EXISTS v3 (id INTEGER PRIMARY KEY, name TEXT)",
    );
    let r = request(
        h.http,
        "POST",
        "/probe/sqlite3/default",
        "INSERT INTO v3 (name) VALUES (?1)",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.starts_with("rows=0 changes=1 last="), "{}", r.body);
    let r = request(h.http, "POST", "/probe/sqlite3/nope", "SELECT 1");
    assert!(r.body.contains("AccessDenied"), "{}", r.body);
}

#[test]
fn variables_from_default_cli_and_env() {
    let h = shared();
    assert_eq!(get(h.http, "/probe/var/greeting").body, "hello");
    assert_eq!(get(h.http, "/probe/var/token").body, "s3cret");
    assert_eq!(get(h.http, "/probe/var/env").body, "from-the-env");
    let r = get(h.http, "/probe/var/unknown");
    assert_eq!(r.status, 500);
    assert!(r.body.contains("Undefined"), "{}", r.body);
}

#[test]
fn missing_required_variable_stops_start_up() {
    let manifest = r#"
spin_manifest_version = 2
[application]
name = "x"
[variables]
api_key = { required = true }
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "{probe}"
[component.c.variables]
key = "{{ api_key }}"
"#;
    let err = try_start(manifest, |_| {}).err().expect("start must fail");
    assert!(err.contains("api_key"), "{err}");
    assert!(err.contains("required"), "{err}");
}

#[test]
fn missing_wasm_names_the_build_command() {
    let manifest = r#"
spin_manifest_version = 2
[application]
name = "x"
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "target/nothing.wasm"
[component.c.build]
command = "cargo build --target wasm32-wasip2 --release"
"#;
    let err = try_start(manifest, |_| {}).err().expect("start must fail");
    assert!(err.contains("target/nothing.wasm"), "{err}");
    assert!(
        err.contains("cargo build --target wasm32-wasip2 --release"),
        "{err}"
    );
}

#[test]
fn outbound_allowed_host_is_reached_and_others_denied() {
    let h = shared();
    let upstream = UPSTREAM.get().unwrap();
    let r = get(
        h.http,
        &format!("/probe/outbound?url=http://{upstream}/ping"),
    );
    assert_eq!((r.status, r.body.as_str()), (200, "200 pong"));
    let r = get(h.http, "/probe/outbound?url=http://example.com/");
    assert_eq!(r.status, 502);
    assert!(r.body.contains("HttpRequestDenied"), "{}", r.body);
}

#[test]
fn service_chaining_reaches_private_component() {
    let h = shared();
    let r = get(
        h.http,
        "/probe/outbound?url=http://authz.spin.internal/headers",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.starts_with("200 "), "{}", r.body);
    assert!(
        // Spin drops the *.spin.internal Host, so the URL names localhost.
        r.body.contains("spin-full-url=http://localhost/headers"),
        "{}",
        r.body
    );
    assert!(r.body.contains("spin-path-info=/headers"), "{}", r.body);
}

#[test]
fn service_chaining_needs_the_internal_host_in_allowed_outbound_hosts() {
    let h = shared();
    let r = get(
        h.http,
        "/nochain/outbound?url=http://authz.spin.internal/headers",
    );
    assert_eq!(r.status, 502);
    assert!(r.body.contains("HttpRequestDenied"), "{}", r.body);
}

#[test]
fn trap_is_500_and_host_keeps_serving() {
    let h = shared();
    assert_eq!(get(h.http, "/probe/trap").status, 500);
    assert_eq!(get(h.http, "/probe/headers").status, 200);
    // The guest's panic message went to its stderr log, as with spin up.
    let log = std::fs::read_to_string(h.dir.path().join(".spin/logs/probe_stderr.txt")).unwrap();
    assert!(log.contains("probe asked to trap"), "{log}");
}

#[test]
fn endless_loop_is_stopped_by_the_time_limit() {
    let h = shared();
    let started = Instant::now();
    let r = get(h.http, "/probe/spin");
    assert_eq!(r.status, 500);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(get(h.http, "/probe/headers").status, 200);
}

#[test]
fn memory_limit_traps_big_allocations() {
    let h = shared();
    assert_eq!(get(h.http, "/probe/grow").status, 500);
    assert_eq!(get(h.http, "/probe/headers").status, 200);
}

#[test]
fn runtime_config_defines_extra_stores() {
    let manifest = r#"
spin_manifest_version = 2
[application]
name = "x"
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "{probe}"
key_value_stores = ["cache"]
sqlite_databases = ["reports"]
"#;
    // Without a runtime config the labels are unknown: start-up fails.
    let err = try_start(manifest, |_| {}).err().expect("unknown label");
    assert!(err.contains("cache"), "{err}");

    let rc_dir = tempfile::tempdir().unwrap();
    let rc = rc_dir.path().join("runtime-config.toml");
    std::fs::write(
        &rc,
        "[key_value_store.cache]\ntype = \"spin\"\npath = \"cache.db\"\n\
         [sqlite_database.reports]\ntype = \"spin\"\npath = \"reports.db\"\n",
    )
    .unwrap();
    let rc2 = rc.clone();
    let h = start(manifest, move |a| a.runtime_config_file = Some(rc2));
    let r = request(h.http, "PUT", "/kv/cache/k", "v");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(get(h.http, "/kv/cache/k").body, "v");
    let r = request(h.http, "POST", "/sqlite/reports", "SELECT 41 + 1");
    assert_eq!(r.body, "42");
    assert!(rc_dir.path().join("cache.db").exists());
    assert!(rc_dir.path().join("reports.db").exists());
}

#[test]
fn unsupported_interfaces_return_errors_instead_of_trapping() {
    let h = shared();
    // The probe imports fermyon:spin/redis; devhost does not back it.
    let r = get(h.http, "/probe/redis");
    assert_eq!(r.status, 500);
    assert!(r.body.contains("redis error"), "{}", r.body);
    assert!(r.body.contains("not supported by devhost"), "{}", r.body);
}

#[test]
fn build_flag_runs_build_commands_before_loading() {
    let manifest = r#"
spin_manifest_version = 2
[application]
name = "built"
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "out/probe.wasm"
key_value_stores = ["default"]
[component.c.build]
command = "mkdir -p out && cp {probe} out/probe.wasm"
"#;
    let h = start(manifest, |a| {
        a.build = true;
        a.key_values.push(("seeded".into(), "by-flag".into()));
    });
    assert!(h.dir.path().join("out/probe.wasm").exists());
    assert_eq!(get(h.http, "/kv/default/seeded").body, "by-flag");
}

#[test]
fn core_module_gets_a_clear_error() {
    let manifest = r#"
spin_manifest_version = 2
[application]
name = "core"
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "core.wasm"
"#;
    let err = try_start(manifest, |a| {
        let dir = a.from.parent().unwrap().to_path_buf();
        // The smallest valid core module: magic + version 1.
        std::fs::write(dir.join("core.wasm"), b"\0asm\x01\0\0\0").unwrap();
    })
    .err()
    .expect("a core module cannot be served");
    assert!(err.contains("wasm32-wasip2"), "{err}");
}

#[test]
fn concurrent_requests_each_get_their_own_instance() {
    let h = shared();
    let addr = h.http;
    let threads: Vec<_> = (0..16)
        .map(|i| {
            std::thread::spawn(move || {
                for j in 0..5 {
                    let key = format!("/probe/kv/default/c{i}-{j}");
                    let put = request(addr, "PUT", &key, &format!("v{i}-{j}"));
                    assert_eq!(put.status, 200, "{}", put.body);
                    assert_eq!(get(addr, &key).body, format!("v{i}-{j}"));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
