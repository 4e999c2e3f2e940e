//! `[key_value_store.X] type = "redis"` against a real redis-server, through the probe's
//! `kv` command. Skipped (and said so) only when /usr/bin/redis-server is missing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{get, request, start};

const REDIS_SERVER: &str = "/usr/bin/redis-server";

/// A redis-server on a free port in a temporary directory, stopped when dropped.
struct Redis {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Redis {
    fn start() -> Option<Self> {
        if !Path::new(REDIS_SERVER).exists() {
            eprintln!("skipped: {REDIS_SERVER} is not installed");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        // A free port from the kernel, released just before redis binds it.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(REDIS_SERVER)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Self {
            child,
            port,
            _dir: dir,
        })
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn redis_stores_get_set_delete_exists_and_list_keys() {
    let Some(redis) = Redis::start() else { return };
    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("runtime-config.toml");
    // Spin's format: only `url`. `down` points at a port nothing listens on.
    std::fs::write(
        &config,
        format!(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:{0}\"\n\n\
             [key_value_store.other]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:{0}/0\"\n\n\
             [key_value_store.down]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:1\"\n",
            redis.port
        ),
    )
    .unwrap();
    let host = start(
        r#"
spin_manifest_version = 2
[application]
name = "redis-app"

[[trigger.http]]
route = "/probe/..."
component = "probe"

[component.probe]
source = "{probe}"
key_value_stores = ["default", "other", "down"]
"#,
        |args| {
            args.runtime_config_file = Some(config.clone());
            args.key_values = vec![("seeded".into(), "at-start-up".into())];
        },
    );
    let h = host.http;

    // --key-value seeds the default store, on the server.
    assert_eq!(get(h, "/probe/kv/default/seeded").body, "at-start-up");
    assert_eq!(get(h, "/probe/kv/default/k").body, "<none>");
    assert_eq!(get(h, "/probe/kv/default/k?op=exists").body, "false");
    assert_eq!(
        request(h, "PUT", "/probe/kv/default/k", "v1").body,
        "stored"
    );
    assert_eq!(get(h, "/probe/kv/default/k").body, "v1");
    assert_eq!(get(h, "/probe/kv/default/k?op=exists").body, "true");
    assert_eq!(get(h, "/probe/kv/default/k?op=keys").body, "k,seeded");
    // As in Spin, the label is not part of the Redis key: stores on one server share keys.
    assert_eq!(get(h, "/probe/kv/other/k").body, "v1");
    assert_eq!(
        request(h, "DELETE", "/probe/kv/default/k", "").body,
        "deleted"
    );
    assert_eq!(get(h, "/probe/kv/default/k").body, "<none>");
    assert_eq!(get(h, "/probe/kv/other/k?op=keys").body, "seeded");

    // wasi:keyvalue on the same store; the compare-and-swap is WATCH/MULTI/EXEC.
    let r = get(h, "/probe/wkv/default");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body,
        support::wkv_transcript("get_many Ok([(\"w-a\", Some(\"1\")), (\"w-zz\", None)])")
    );
    // INCRBY keeps the counter as text.
    assert_eq!(get(h, "/probe/kv/default/w-n").body, "3");

    // An unreachable server fails the open with `other`, as in Spin.
    let r = get(h, "/probe/kv/down/k");
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("open error: Error::Other("), "{}", r.body);
}

#[test]
fn a_redis_store_needs_a_url() {
    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("runtime-config.toml");
    std::fs::write(&config, "[key_value_store.default]\ntype = \"redis\"\n").unwrap();
    let err = support::try_start(
        r#"
spin_manifest_version = 2
[application]
name = "redis-app"

[[trigger.http]]
route = "/probe/..."
component = "probe"

[component.probe]
source = "{probe}"
key_value_stores = ["default"]
"#,
        |args| args.runtime_config_file = Some(config.clone()),
    )
    .err()
    .expect("devhost started without a url");
    assert!(err.contains("needs a url"), "{err}");
}
