//! The `devhost` command line, mirroring `spin up`'s flags.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::host::store_file::StoreTuning;
use crate::runtime::{build_components, App, Limits, LoadOptions};
use crate::server::{serve, ServeOptions};
use crate::tls::{Tls, TlsFiles};

/// A Spin-compatible local host with an embedded GRIP WebSocket gateway.
#[derive(Debug, Parser)]
#[command(name = "devhost", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the application described by spin.toml (like `spin up`).
    Up(UpArgs),
}

/// Flags of `devhost up`.
#[derive(Debug, Args, Clone)]
pub struct UpArgs {
    /// The manifest (spin.toml) or a directory containing one.
    #[arg(short = 'f', long = "from", default_value = "spin.toml")]
    pub from: PathBuf,
    /// Address of the HTTP listener.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Run each component's build command first.
    #[arg(long)]
    pub build: bool,
    /// Where `default` stores live (default: `.spin/` next to spin.toml).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Set an application variable (`name=value`); repeatable.
    #[arg(long = "variable", value_name = "KEY=VALUE", value_parser = parse_kv)]
    pub variables: Vec<(String, String)>,
    /// SQL to run on the default database before serving (`@file.sql` reads a file); repeatable.
    #[arg(long = "sqlite", value_name = "STATEMENT|@FILE")]
    pub sqlite: Vec<String>,
    /// Set a key in the default key-value store (`key=value`); repeatable.
    #[arg(long = "key-value", value_name = "KEY=VALUE", value_parser = parse_kv)]
    pub key_values: Vec<(String, String)>,
    /// Spin runtime config file (`type = "spin"` stores, and `type = "redis"` key-value stores).
    #[arg(long)]
    pub runtime_config_file: Option<PathBuf>,
    /// Serve plain HTTP only (no WebSocket gateway, no publish listener),
    /// e.g. when running behind a real Pushpin.
    #[arg(long)]
    pub no_gateway: bool,
    /// Address of the gateway's Pushpin-compatible publish endpoint.
    #[arg(long, default_value = "127.0.0.1:5561")]
    pub publish_listen: SocketAddr,
    /// HS256 key for the Grip-Sig header the gateway sends to components.
    #[arg(long, env = "DEVHOST_GRIP_SIG_KEY", hide_env_values = true)]
    pub grip_sig_key: Option<String>,
    /// Serve TLS (`https://`, `wss://`) with this PEM certificate chain, as `spin up` does.
    #[arg(long, env = "SPIN_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of `--tls-cert`.
    #[arg(long, env = "SPIN_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Ask TLS clients for a certificate and verify it against these PEM CA certificates
    /// (OCPP security profile 3); the result reaches components as `x-ssl-client-*` headers.
    /// Not in Spin.
    #[arg(long, requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// Maximum linear memory per component instance, in MiB.
    #[arg(long, default_value_t = 256)]
    pub max_memory_mib: usize,
    /// Time budget for one request, in seconds.
    #[arg(long, default_value_t = 30.0)]
    pub request_timeout_secs: f64,
    /// Disable wasmtime's pooling instance allocator.
    #[arg(long)]
    pub no_pooling: bool,
    /// Disable wasmtime's on-disk compilation cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Write /tmp/perf-<pid>.map so that `perf record` names the components' functions.
    #[arg(long, env = "DEVHOST_PERF_MAP")]
    pub perf_map: bool,
    /// devhost's own store speed-ups, which Spin does not have: SQLite connections reused
    /// across requests with their prepared statements, WAL on every store file, a 5 s busy
    /// timeout. Without it the stores behave as Spin's do, so figures predict Spin.
    #[arg(long)]
    pub tuned_stores: bool,
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected KEY=VALUE, got '{s}'"))
}

impl UpArgs {
    /// Default flags for a manifest (what `devhost up -f PATH` would use).
    pub fn for_manifest(path: impl Into<PathBuf>) -> Self {
        let cli = Cli::parse_from(["devhost", "up"]);
        let Command::Up(mut args) = cli.command;
        args.from = path.into();
        args
    }

    fn manifest_path(&self) -> PathBuf {
        if self.from.is_dir() {
            self.from.join("spin.toml")
        } else {
            self.from.clone()
        }
    }

    /// Turns flags into load options (reads `@file` SQL arguments).
    pub fn load_options(&self) -> anyhow::Result<LoadOptions> {
        let mut sqlite_statements = Vec::new();
        for s in &self.sqlite {
            match s.strip_prefix('@') {
                Some(file) => sqlite_statements.push(
                    std::fs::read_to_string(file)
                        .with_context(|| format!("reading --sqlite file {file}"))?,
                ),
                None => sqlite_statements.push(s.clone()),
            }
        }
        Ok(LoadOptions {
            manifest_path: self.manifest_path(),
            state_dir: self.state_dir.clone(),
            variables: self.variables.iter().cloned().collect::<BTreeMap<_, _>>(),
            env: None,
            sqlite_statements,
            key_values: self.key_values.clone(),
            runtime_config_file: self.runtime_config_file.clone(),
            limits: Limits {
                max_memory_bytes: self.max_memory_mib * 1024 * 1024,
                request_timeout: Duration::from_secs_f64(self.request_timeout_secs.max(0.001)),
            },
            pooling: !self.no_pooling,
            compilation_cache: !self.no_cache,
            perf_map: self.perf_map,
            store_tuning: if self.tuned_stores {
                StoreTuning::Tuned
            } else {
                StoreTuning::Spin
            },
        })
    }

    pub fn serve_options(&self) -> anyhow::Result<ServeOptions> {
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(Tls::load(&TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
                client_ca: self.tls_client_ca.clone(),
            })?),
            _ => None,
        };
        // The gateway tells the connection component what TLS it saw in headers the
        // component believes only on Grip-Signed requests: unsigned, every station at
        // profile 2 or 3 would be refused.
        if tls.is_some() && !self.no_gateway && self.grip_sig_key.is_none() {
            anyhow::bail!(
                "--tls-cert with the embedded gateway needs --grip-sig-key (DEVHOST_GRIP_SIG_KEY), \
                 set to the same value as the grip_sig_key variable, for the connection \
                 component to trust the TLS it reports"
            );
        }
        Ok(ServeOptions {
            listen: self.listen,
            gateway: !self.no_gateway,
            publish_listen: self.publish_listen,
            grip_sig_key: self.grip_sig_key.as_ref().map(|k| k.as_bytes().to_vec()),
            tls,
        })
    }
}

/// Loads the app and starts serving; returns once listeners are bound.
pub async fn start(args: &UpArgs) -> anyhow::Result<crate::server::Running> {
    let opts = args.load_options()?;
    if args.build {
        let path = opts.manifest_path.clone();
        tokio::task::spawn_blocking(move || build_components(&path)).await??;
    }
    let load = opts.clone();
    let app = tokio::task::spawn_blocking(move || App::load(&load)).await??;
    let options = args.serve_options()?;
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let running = serve(app.clone(), options).await?;
    tracing::info!(
        app = %app.application_name,
        "serving on {scheme}://{}{}",
        running.http_addr,
        running
            .publish_addr
            .map(|a| format!(" (publish endpoint http://{a}/publish/)"))
            .unwrap_or_default()
    );
    Ok(running)
}

/// Entry point of the binary.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Up(args) => {
            let running = start(&args).await?;
            tokio::select! {
                _ = running.wait() => {}
                _ = tokio::signal::ctrl_c() => tracing::info!("shutting down"),
            }
            Ok(())
        }
    }
}
