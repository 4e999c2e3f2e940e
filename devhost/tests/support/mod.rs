//! Test harness: builds the probe component once, writes an app directory,
//! starts devhost in-process on port 0, and speaks plain HTTP/1.1.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use devhost::cli::UpArgs;

/// Builds the fixture components for wasm32-wasip2 (once per test process;
/// cargo makes later runs a no-op) and returns the directory of the .wasm files.
fn fixtures_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixtures");
        for fixture in ["probe", "greeter", "greet-client"] {
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(fixture)
                .join("Cargo.toml");
            let status = Command::new(env!("CARGO"))
                .args([
                    "build",
                    "--release",
                    "--target",
                    "wasm32-wasip2",
                    "--manifest-path",
                ])
                .arg(&manifest)
                .env("CARGO_TARGET_DIR", &target_dir)
                .env_remove("RUSTFLAGS")
                .env_remove("CARGO_ENCODED_RUSTFLAGS")
                .status()
                .expect("running cargo to build a fixture");
            assert!(status.success(), "building fixture {fixture} failed");
        }
        target_dir.join("wasm32-wasip2/release")
    })
    .clone()
}

/// The probe HTTP component.
pub fn probe_wasm() -> PathBuf {
    fixtures_dir().join("probe.wasm")
}

/// An HTTP component importing devhost-test:greet/greeter.
pub fn greet_client_wasm() -> PathBuf {
    fixtures_dir().join("greet_client.wasm")
}

/// The greeter library component (exports devhost-test:greet/greeter).
pub fn greeter_wasm() -> PathBuf {
    fixtures_dir().join("greeter.wasm")
}

/// A running devhost and the temporary app directory it serves.
pub struct Host {
    pub http: SocketAddr,
    pub publish: Option<SocketAddr>,
    pub dir: tempfile::TempDir,
}

/// Writes `spin.toml` (with `{probe}` replaced by the probe's path) into a
/// fresh directory and returns its path and the directory guard.
pub fn app_dir(manifest: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let wasm = probe_wasm();
    let text = manifest
        .replace("{probe}", &wasm.display().to_string())
        .replace("{greeter}", &greeter_wasm().display().to_string())
        .replace("{greet_client}", &greet_client_wasm().display().to_string());
    let path = dir.path().join("spin.toml");
    std::fs::write(&path, text).expect("write spin.toml");
    (dir, path)
}

/// Starts devhost for `manifest`; `tweak` adjusts the flags.
pub fn try_start(manifest: &str, tweak: impl FnOnce(&mut UpArgs)) -> Result<Host, String> {
    // Host logs show up in failing tests' output (RUST_LOG to tune).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_test_writer()
        .try_init();
    let (dir, path) = app_dir(manifest);
    let mut args = UpArgs::for_manifest(path);
    args.listen = "127.0.0.1:0".parse().unwrap();
    args.publish_listen = "127.0.0.1:0".parse().unwrap();
    tweak(&mut args);
    let (tx, rx) = std::sync::mpsc::channel();
    // Each host gets its own runtime thread so it outlives any one test's runtime.
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            match devhost::cli::start(&args).await {
                Ok(running) => {
                    let _ = tx.send(Ok((running.http_addr, running.publish_addr)));
                    running.wait().await;
                }
                Err(e) => {
                    let _ = tx.send(Err(format!("{e:#}")));
                }
            }
        });
    });
    let (http, publish) = rx
        .recv_timeout(Duration::from_secs(300))
        .map_err(|e| format!("host did not start: {e}"))??;
    Ok(Host { http, publish, dir })
}

pub fn start(manifest: &str, tweak: impl FnOnce(&mut UpArgs)) -> Host {
    match try_start(manifest, tweak) {
        Ok(h) => h,
        Err(e) => panic!("devhost failed to start: {e}"),
    }
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: String,
}

/// Sends one HTTP/1.1 request and reads the whole response.
pub fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> Resp {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    parse_response(&raw)
}

pub fn get(addr: SocketAddr, path: &str) -> Resp {
    request(addr, "GET", path, "")
}

fn parse_response(raw: &[u8]) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("response has a header block");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    if headers.get("transfer-encoding").map(String::as_str) == Some("chunked") {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    }
}

fn dechunk(mut input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = input.windows(2).position(|w| w == b"\r\n") {
        let size_line = String::from_utf8_lossy(&input[..end]).to_string();
        let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        input = &input[end + 2..];
        if size == 0 || input.len() < size {
            break;
        }
        out.extend_from_slice(&input[..size]);
        input = &input[(size + 2).min(input.len())..];
    }
    out
}

/// A one-shot HTTP server answering every request with `body`; returns its address.
pub fn tiny_server(body: &'static str) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(resp.as_bytes());
        }
    });
    addr
}

/// What the probe's `wkv` answers on a fresh store; `get_many` is the backend's own.
pub fn wkv_transcript(get_many: &str) -> String {
    [
        "set Ok(())",
        "get Ok(Some(\"1\"))",
        "exists Ok(true)",
        "cursor Err(Error::Other(\"list_keys: cursor not supported\"))",
        "set_many Ok(())",
        get_many,
        "delete_many Ok(())",
        "keys Ok([\"w-a\", \"w-c\"])",
        "incr Ok(5)",
        "incr Ok(3)",
        "current Ok(Some(\"3\"))",
        "racing set Ok(())",
        "swap cas-failed",
        "retry current Ok(Some(\"other\"))",
        "retry swap Ok(())",
        "get Ok(Some(\"mine\"))",
    ]
    .join("\n")
}
