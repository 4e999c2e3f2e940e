//! The wasmtime engine and the loaded application.
//!
//! Every component is compiled once and pre-linked into an `InstancePre`
//! (`ProxyPre`); each request then gets a fresh `Store` and instance, as in
//! Spin, so no state survives between requests except in the stores.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use http_body_util::{BodyExt, Full};
use wasmtime::component::{InstancePre, Linker, ResourceTable};
use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
    StoreLimitsBuilder, UpdateDeadline,
};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::{WasiBody, WasiHttpCtx, WasiHttpView};

use crate::dependencies::{link_dependencies, ComponentCache};
use crate::host::key_value::{ComponentKeyValue, KeyValueStores, KvBackend};
use crate::host::outbound_http::{AllowedHosts, BoxFut, ChainDispatch, OutboundHooks};
use crate::host::postgres::PgPools;
use crate::host::sqlite::{ComponentSqlite, SqliteBackend, SqliteDatabases};
use crate::host::stdio::{Echo, LoggedOutput};
use crate::host::store_calls::StoreCalls;
pub use crate::host::store_file::StoreTuning;
use crate::host::variables::{resolve_app_variables, ComponentVariables};
use crate::host::{add_to_linker, HostState};
use crate::manifest::{render_template, Manifest};
use crate::routes::{RouteMatch, Router};
use crate::runtime_config::{KeyValueConfig, RuntimeConfig};

/// Per-request resource limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Maximum linear memory per instance, in bytes.
    pub max_memory_bytes: usize,
    /// Wall-clock budget for one request's guest execution.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_memory_bytes: 256 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Everything needed to load an application.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub manifest_path: PathBuf,
    /// Defaults to `.spin/` next to spin.toml.
    pub state_dir: Option<PathBuf>,
    /// `--variable k=v`
    pub variables: BTreeMap<String, String>,
    /// Environment as seen by the host (for `SPIN_VARIABLE_*`); `None` = process env.
    pub env: Option<BTreeMap<String, String>>,
    /// `--sqlite` statements (file contents already read), run on `default`.
    pub sqlite_statements: Vec<String>,
    /// `--key-value k=v`, set in the `default` store.
    pub key_values: Vec<(String, String)>,
    pub runtime_config_file: Option<PathBuf>,
    pub limits: Limits,
    /// Use wasmtime's pooling allocator.
    pub pooling: bool,
    /// Use wasmtime's on-disk compilation cache.
    pub compilation_cache: bool,
    /// Tell `perf` the names of compiled guest functions (a perf map file).
    pub perf_map: bool,
    /// Whether the stores behave as Spin's or take devhost's speed-ups.
    pub store_tuning: StoreTuning,
}

struct LoadedComponent {
    pre: ProxyPre<HostState>,
    /// Dependencies to instantiate (in order) before the component itself.
    deps: Vec<InstancePre<HostState>>,
    allowed_kv: Arc<HashSet<String>>,
    allowed_sqlite: Arc<HashSet<String>>,
    allowed_hosts: Arc<AllowedHosts>,
    /// Spin keeps PostgreSQL pools per component.
    postgres: Arc<PgPools>,
    variables: Arc<ComponentVariables>,
    environment: Vec<(String, String)>,
    stdout: LoggedOutput,
    stderr: LoggedOutput,
}

/// A loaded, ready-to-serve application.
pub struct App {
    engine: Engine,
    components: HashMap<String, LoadedComponent>,
    router: Router,
    kv: Arc<KeyValueStores>,
    sqlite: Arc<SqliteDatabases>,
    limits: Limits,
    self_ref: Weak<App>,
    /// Keeps the epoch ticker thread alive; it stops once this is dropped.
    _ticker: Arc<()>,
    pub(crate) application_name: String,
    /// Top-level requests in flight; see [`CONCURRENT_REQUESTS`].
    admission: tokio::sync::Semaphore,
}

/// Component instances the pooling allocator holds (Spin's size).
const POOLED_COMPONENT_INSTANCES: u32 = 1000;

/// The most instances one top-level request can hold at once: a component,
/// one it chains to, that one's dependency and a further chained component
/// (connection -> transactions + tariff -> authorization).
const INSTANCES_PER_REQUEST: u32 = 4;

/// Requests beyond this wait for a slot instead of running: with a full
/// instance pool wasmtime traps, the gateway answers 500 and closes the
/// socket, and the charge point's reconnect adds load, so a burst (a
/// reconnect storm) collapsed instead of queueing. Only top-level requests
/// take a slot; chained ones run inside their caller's, so they never wait on
/// slots their callers hold.
const CONCURRENT_REQUESTS: usize = (POOLED_COMPONENT_INSTANCES / INSTANCES_PER_REQUEST) as usize;

/// Builds the engine: component model, epoch interruption for time limits,
/// the pooling allocator (falling back to on-demand if the machine cannot
/// reserve the address space), and the on-disk compilation cache.
pub fn build_engine(opts: &LoadOptions) -> anyhow::Result<Engine> {
    let mut cfg = Config::new();
    cfg.wasm_component_model(true);
    cfg.epoch_interruption(true);
    if opts.perf_map {
        cfg.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    if opts.compilation_cache {
        match Cache::new(CacheConfig::new()) {
            Ok(cache) => {
                cfg.cache(Some(cache));
            }
            Err(e) => tracing::warn!("compilation cache disabled: {e:#}"),
        }
    }
    if opts.pooling {
        let mut pool = PoolingAllocationConfig::default();
        // Spin-sized pool: with fewer slots, a burst of concurrent requests
        // (one request can instantiate connection, transactions, authorization
        // and the tariff dependency) trapped instead of being served.
        pool.total_component_instances(POOLED_COMPONENT_INSTANCES);
        pool.total_core_instances(5000);
        pool.total_memories(2000);
        pool.total_tables(5000);
        pool.max_memory_size(opts.limits.max_memory_bytes);
        let mut pooled = cfg.clone();
        pooled.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        match Engine::new(&pooled) {
            Ok(engine) => return Ok(engine),
            Err(e) => tracing::warn!("pooling allocator unavailable, using on-demand: {e:#}"),
        }
    }
    wt(Engine::new(&cfg)).context("creating the wasmtime engine")
}

fn start_epoch_ticker(engine: Engine) -> Arc<()> {
    let token = Arc::new(());
    let weak = Arc::downgrade(&token);
    std::thread::Builder::new()
        .name("devhost-epoch".into())
        .spawn(move || {
            while weak.upgrade().is_some() {
                std::thread::sleep(Duration::from_millis(10));
                engine.increment_epoch();
            }
        })
        .map(|_| ())
        .unwrap_or_else(|e| tracing::error!("cannot start epoch ticker: {e}"));
    token
}

/// Where the label `default` lives, as in `spin up`.
pub fn default_state_dir(manifest: &Manifest) -> PathBuf {
    manifest.base_dir.join(".spin")
}

impl App {
    /// Loads the manifest, resolves variables and stores, compiles components.
    pub fn load(opts: &LoadOptions) -> anyhow::Result<Arc<App>> {
        let manifest = Manifest::from_file(&opts.manifest_path)?;
        let engine = build_engine(opts)?;
        Self::load_manifest(&manifest, opts, engine)
    }

    fn load_manifest(
        manifest: &Manifest,
        opts: &LoadOptions,
        engine: Engine,
    ) -> anyhow::Result<Arc<App>> {
        let state_dir = opts
            .state_dir
            .clone()
            .unwrap_or_else(|| default_state_dir(manifest));
        let runtime_config = match &opts.runtime_config_file {
            Some(p) => RuntimeConfig::from_file(p)?,
            None => RuntimeConfig::default(),
        };

        // Variables: resolve app values, then each component's templates.
        let env_lookup = |k: &str| match &opts.env {
            Some(env) => env.get(k).cloned(),
            None => std::env::var(k).ok(),
        };
        let app_values = resolve_app_variables(&manifest.variables, &opts.variables, &env_lookup)?;

        // Stores: `default` is always available; others come from runtime config.
        let mut kv = KeyValueStores::default();
        let mut sqlite = SqliteDatabases::default();
        let wants_kv: HashSet<&str> = manifest
            .components
            .values()
            .flat_map(|c| c.key_value_stores.iter().map(String::as_str))
            .collect();
        let wants_sqlite: HashSet<&str> = manifest
            .components
            .values()
            .flat_map(|c| c.sqlite_databases.iter().map(String::as_str))
            .collect();
        for (label, cfg) in &runtime_config.key_value_stores {
            let backend = match cfg {
                KeyValueConfig::Spin(file) => {
                    KvBackend::open(label, file.path.as_deref(), opts.store_tuning)?
                }
                KeyValueConfig::Redis { url } => KvBackend::redis(label, url)?,
            };
            kv.insert(label, backend);
        }
        if !kv.contains("default") && (wants_kv.contains("default") || !opts.key_values.is_empty())
        {
            let path = state_dir.join("sqlite_key_value.db");
            kv.insert(
                "default",
                KvBackend::open("default", Some(&path), opts.store_tuning)?,
            );
        }
        for (label, cfg) in &runtime_config.sqlite_databases {
            sqlite.insert(
                label,
                SqliteBackend::open(label, cfg.path.as_deref(), opts.store_tuning)?,
            );
        }
        if !sqlite.contains("default")
            && (wants_sqlite.contains("default") || !opts.sqlite_statements.is_empty())
        {
            let path = state_dir.join("sqlite_db.db");
            sqlite.insert(
                "default",
                SqliteBackend::open("default", Some(&path), opts.store_tuning)?,
            );
        }
        // Spin refuses to start when a component asks for a label nobody defined.
        for c in manifest.components.values() {
            for label in &c.key_value_stores {
                if !kv.contains(label) {
                    bail!(
                        "component '{}' uses key-value store '{label}', which is not defined: \
                         add [key_value_store.{label}] to a --runtime-config-file",
                        c.id
                    );
                }
            }
            for label in &c.sqlite_databases {
                if !sqlite.contains(label) {
                    bail!(
                        "component '{}' uses SQLite database '{label}', which is not defined: \
                         add [sqlite_database.{label}] to a --runtime-config-file",
                        c.id
                    );
                }
            }
        }
        for statements in &opts.sqlite_statements {
            let db = sqlite
                .get("default")
                .context("no default SQLite database for --sqlite")?;
            db.execute_batch(statements)?;
        }
        for (k, v) in &opts.key_values {
            kv.seed("default", k, v.as_bytes())
                .map_err(|e| anyhow::anyhow!("--key-value {k}: {e}"))?;
        }

        let mut base_linker: Linker<HostState> = Linker::new(&engine);
        add_to_linker(&mut base_linker)?;

        // Only components with a trigger are served; the others (libraries
        // such as a tariff) are loaded when something depends on them.
        let triggered: HashSet<&str> = manifest
            .http_triggers
            .iter()
            .map(|t| t.component.as_str())
            .collect();
        let mut cache = ComponentCache::new(&engine);
        let mut components = HashMap::new();
        for c in manifest.components.values() {
            if !c.source.exists() {
                let hint = match &c.build {
                    Some(b) => format!(
                        "build it with `{}` (in {}) or run `devhost up --build`",
                        b.command,
                        b.workdir.display()
                    ),
                    None => "the component has no [build] command; build it first".to_string(),
                };
                bail!(
                    "component '{}': source '{}' not found ({}): {hint}",
                    c.id,
                    c.source_as_written,
                    c.source.display()
                );
            }
        }
        for c in manifest.components.values() {
            if !triggered.contains(c.id.as_str()) {
                continue;
            }
            let started = Instant::now();
            let component = cache
                .get(&c.source)
                .with_context(|| format!("compiling component '{}'", c.id))?;
            let mut linker = base_linker.clone();
            let stubbed = crate::host::unsupported::define_stubs(&mut linker, &engine, &component)?;
            if !stubbed.is_empty() {
                tracing::info!(
                    component = %c.id,
                    "imports {} (not backed by devhost: calls return an error)",
                    stubbed.join(", ")
                );
            }
            let deps = link_dependencies(
                &mut linker,
                &base_linker,
                &engine,
                manifest,
                c,
                &component,
                &mut cache,
            )?;
            // Like Spin, refuse to start a component whose imports nothing provides.
            let pre = wt(linker.instantiate_pre(&component)).with_context(|| {
                format!(
                    "component '{}' imports an interface that neither devhost nor its \
                     [component.{}.dependencies] provide",
                    c.id, c.id
                )
            })?;
            let pre = wt(ProxyPre::new(pre)).with_context(|| {
                format!(
                    "component '{}' does not export wasi:http/incoming-handler",
                    c.id
                )
            })?;
            tracing::debug!(component = %c.id, elapsed = ?started.elapsed(), "component ready");

            let hosts: Vec<String> = c
                .allowed_outbound_hosts
                .iter()
                .map(|h| render_template(h, |n| app_values.get(n).cloned()))
                .collect::<Result<_, _>>()
                .map_err(|e| anyhow::anyhow!("component '{}' allowed_outbound_hosts: {e}", c.id))?;
            components.insert(
                c.id.clone(),
                LoadedComponent {
                    pre,
                    deps,
                    allowed_kv: Arc::new(c.key_value_stores.iter().cloned().collect()),
                    allowed_sqlite: Arc::new(c.sqlite_databases.iter().cloned().collect()),
                    allowed_hosts: Arc::new(AllowedHosts::parse(&hosts)?),
                    postgres: Arc::new(PgPools::default()),
                    variables: Arc::new(ComponentVariables::resolve(c, &app_values)?),
                    environment: c
                        .environment
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    stdout: LoggedOutput::open(&state_dir.join("logs"), &c.id, Echo::Stdout),
                    stderr: LoggedOutput::open(&state_dir.join("logs"), &c.id, Echo::Stderr),
                },
            );
        }

        let (router, warnings) = Router::new(&manifest.http_triggers);
        for w in warnings {
            tracing::warn!("{w}");
        }
        let ticker = start_epoch_ticker(engine.clone());
        Ok(Arc::new_cyclic(|self_ref| App {
            engine,
            components,
            router,
            kv: Arc::new(kv),
            sqlite: Arc::new(sqlite),
            limits: opts.limits.clone(),
            self_ref: self_ref.clone(),
            _ticker: ticker,
            admission: tokio::sync::Semaphore::new(CONCURRENT_REQUESTS),
            application_name: manifest.application_name.clone(),
        }))
    }

    /// The routing table.
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Handles one request for a matched route, waiting for a slot when
    /// [`CONCURRENT_REQUESTS`] are already running. Never fails: guest errors
    /// and traps become a 500 response and are logged with the component id.
    pub async fn handle(
        &self,
        route: &RouteMatch,
        req: http::Request<WasiBody>,
        client_addr: SocketAddr,
        scheme_and_host: &str,
        calls: Arc<StoreCalls>,
    ) -> http::Response<WasiBody> {
        // The semaphore is never closed, so acquiring only fails if it were.
        let _slot = self.admission.acquire().await;
        self.handle_admitted(route, req, client_addr, scheme_and_host, calls)
            .await
    }

    async fn handle_admitted(
        &self,
        route: &RouteMatch,
        mut req: http::Request<WasiBody>,
        client_addr: SocketAddr,
        scheme_and_host: &str,
        calls: Arc<StoreCalls>,
    ) -> http::Response<WasiBody> {
        let path_and_query = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".to_string());
        let full_url = format!("{scheme_and_host}{path_and_query}");
        let headers = req.headers_mut();
        let spin_headers = [
            ("spin-full-url", full_url.as_str()),
            ("spin-path-info", route.path_info.as_str()),
            ("spin-matched-route", route.raw_route.as_str()),
            ("spin-raw-component-route", route.raw_route.as_str()),
            ("spin-component-route", route.component_route.as_str()),
            ("spin-base-path", "/"),
        ];
        for (name, value) in spin_headers {
            if let Ok(v) = http::HeaderValue::from_str(value) {
                headers.insert(name, v);
            }
        }
        if let Ok(v) = http::HeaderValue::from_str(&client_addr.to_string()) {
            headers.insert("spin-client-addr", v);
        }
        for (name, value) in &route.captures {
            let name = format!("spin-path-match-{}", name.to_ascii_lowercase());
            if let (Ok(n), Ok(v)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                headers.insert(n, v);
            }
        }
        if !headers.contains_key(http::header::HOST) {
            let host = scheme_and_host
                .split_once("://")
                .map(|(_, h)| h)
                .unwrap_or(scheme_and_host);
            if let Ok(v) = http::HeaderValue::from_str(host) {
                headers.insert(http::header::HOST, v);
            }
        }

        match self.invoke(&route.component_id, req, calls).await {
            Ok(resp) => resp,
            Err(e) => {
                tracing::error!(component = %route.component_id, "request failed: {e:#}");
                text_response(
                    http::StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal Server Error\n",
                )
            }
        }
    }

    async fn invoke(
        &self,
        component_id: &str,
        req: http::Request<WasiBody>,
        calls: Arc<StoreCalls>,
    ) -> anyhow::Result<http::Response<WasiBody>> {
        let comp = self
            .components
            .get(component_id)
            .with_context(|| format!("no component '{component_id}'"))?;
        let mut wasi = WasiCtx::builder();
        wasi.stdout(comp.stdout.clone()).stderr(comp.stderr.clone());
        for (k, v) in &comp.environment {
            wasi.env(k, v);
        }
        let state = HostState {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            outbound: OutboundHooks {
                component_id: component_id.to_string(),
                allowed: comp.allowed_hosts.clone(),
                chain: self
                    .self_ref
                    .upgrade()
                    .map(|a| Arc::new(Chain(a)) as Arc<dyn ChainDispatch>),
                calls: calls.clone(),
            },
            key_value: ComponentKeyValue {
                allowed: comp.allowed_kv.clone(),
                stores: self.kv.clone(),
            },
            sqlite: ComponentSqlite {
                allowed: comp.allowed_sqlite.clone(),
                dbs: self.sqlite.clone(),
            },
            postgres: comp.postgres.clone(),
            variables: comp.variables.clone(),
            dependencies: Vec::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(self.limits.max_memory_bytes)
                .trap_on_grow_failure(true)
                .build(),
            calls: calls.clone(),
        };
        calls.instances(1 + comp.deps.len() as u64);
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        // Yield to tokio on every epoch tick so a spinning guest cannot starve
        // other requests, and trap once the request's time budget is spent.
        let deadline = Instant::now() + self.limits.request_timeout;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= deadline {
                Ok(UpdateDeadline::Interrupt)
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });

        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, req)?;
        let out = store.data_mut().http().new_response_outparam(sender)?;
        let pre = comp.pre.clone();
        let deps = comp.deps.clone();
        let id = component_id.to_string();
        let task = tokio::task::spawn(async move {
            for dep in &deps {
                let instance = dep.instantiate_async(&mut store).await?;
                store.data_mut().dependencies.push(instance);
            }
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, incoming, out)
                .await
        });
        match receiver.await {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(code)) => bail!("component '{id}' answered with error code {code:?}"),
            Err(_) => match task.await {
                Ok(Ok(())) => bail!("component '{id}' never set a response"),
                Ok(Err(e)) => {
                    Err(anyhow::Error::from(e).context(format!("component '{id}' trapped")))
                }
                Err(e) => bail!("component '{id}' task failed: {e}"),
            },
        }
    }

    /// Dispatches a service-chaining request (`http://<id>.spin.internal/...`).
    pub async fn handle_chained(
        &self,
        component_id: &str,
        mut req: http::Request<WasiBody>,
        calls: Arc<StoreCalls>,
    ) -> http::Response<WasiBody> {
        let path = req.uri().path().to_string();
        let route = Router::chained_route(component_id, &path);
        // As Spin: the `*.spin.internal` Host is dropped, so the component sees
        // `localhost` in spin-full-url, and the URI is made origin-relative.
        req.headers_mut().remove(http::header::HOST);
        if let Some(pq) = req.uri().path_and_query().cloned() {
            if let Ok(uri) = http::Uri::builder()
                .scheme("http")
                .authority("localhost")
                .path_and_query(pq)
                .build()
            {
                *req.uri_mut() = uri;
            }
        }
        // The caller is the host itself.
        let client = SocketAddr::from(([127, 0, 0, 1], 0));
        self.handle_admitted(&route, req, client, "http://localhost", calls)
            .await
    }
}

/// wasmtime has its own error type; convert so `anyhow::Context` applies.
fn wt<T>(r: wasmtime::Result<T>) -> anyhow::Result<T> {
    r.map_err(anyhow::Error::from)
}

/// A small response with a text body.
pub fn text_response(status: http::StatusCode, body: &str) -> http::Response<WasiBody> {
    let body = Full::new(bytes::Bytes::from(body.to_string()))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut resp = http::Response::new(body);
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain"),
    );
    resp
}

struct Chain(Arc<App>);

impl ChainDispatch for Chain {
    fn dispatch(
        &self,
        component_id: String,
        request: http::Request<WasiBody>,
        calls: Arc<StoreCalls>,
    ) -> BoxFut<Result<http::Response<WasiBody>, String>> {
        let app = self.0.clone();
        Box::pin(async move {
            let started = Instant::now();
            let resp = app.handle_chained(&component_id, request, calls).await;
            tracing::info!(
                component = %component_id,
                route = "(service chaining)",
                status = resp.status().as_u16(),
                duration_ms = started.elapsed().as_millis() as u64,
                "request"
            );
            Ok(resp)
        })
    }

    fn has_component(&self, component_id: &str) -> bool {
        self.0.components.contains_key(component_id)
    }
}

/// Runs each component's `[build] command` (the `--build` flag).
pub fn build_components(manifest_path: &Path) -> anyhow::Result<()> {
    let manifest = Manifest::from_file(manifest_path)?;
    for c in manifest.components.values() {
        let Some(build) = &c.build else { continue };
        tracing::info!(component = %c.id, command = %build.command, "building");
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(&build.command)
            .current_dir(&build.workdir)
            .status()
            .with_context(|| format!("running build command of component '{}'", c.id))?;
        if !status.success() {
            bail!(
                "build command of component '{}' failed ({status}): {}",
                c.id,
                build.command
            );
        }
    }
    Ok(())
}
