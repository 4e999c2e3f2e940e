//! The `devhost` binary itself, run as a subprocess.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn missing_manifest_is_a_clear_error_and_nonzero_exit() {
    let out = Command::new(env!("CARGO_BIN_EXE_devhost"))
        .args(["up", "-f", "/nonexistent/spin.toml"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot read manifest /nonexistent/spin.toml"),
        "{stderr}"
    );
}

#[test]
fn up_serves_the_app_and_logs_each_request() {
    let (dir, _manifest) = support::app_dir(
        r#"
spin_manifest_version = 2
[application]
name = "cli"
[[trigger.http]]
route = "/hello/..."
component = "hello"
[component.hello]
source = "{probe}"
"#,
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_devhost"))
        .args([
            "up",
            "--listen",
            "127.0.0.1:0",
            "--publish-listen",
            "127.0.0.1:0",
            "-f",
        ])
        .arg(dir.path())
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let started = Instant::now();
    let addr = loop {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no start-up line"
        );
        let line = lines.next().expect("devhost exited").unwrap();
        if let Some(rest) = line.split("serving on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let r = support::get(addr.parse().unwrap(), "/hello/headers");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("spin-component-route=/hello"), "{}", r.body);
    let log = loop {
        let line = lines.next().expect("devhost exited").unwrap();
        if line.contains(" request") {
            break line;
        }
    };
    assert!(log.contains("component=hello"), "{log}");
    assert!(log.contains("status=200"), "{log}");
    assert!(log.contains("duration_ms="), "{log}");
    child.kill().unwrap();
    let _ = child.wait();
}
