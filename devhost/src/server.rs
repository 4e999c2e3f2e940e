//! The HTTP listeners: the application listener (HTTP + embedded gateway)
//! and the gateway's publish listener.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::StatusCode;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use wasmtime_wasi_http::WasiBody;

use crate::gateway::publish::parse_publish;
use crate::gateway::websocket::{handle_upgrade, is_websocket_upgrade};
use crate::gateway::Gateway;
use crate::host::store_calls::StoreCalls;
use crate::routes::RouteMatch;
use crate::runtime::{text_response, App};
use crate::tls::{self, PeerTls, Tls};

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    /// Embedded GRIP gateway (WebSocket upgrades + publish endpoint); off =
    /// plain HTTP, for running behind a real Pushpin.
    pub gateway: bool,
    pub publish_listen: SocketAddr,
    pub grip_sig_key: Option<Vec<u8>>,
    /// `wss://` and `https://` on the application listener.
    pub tls: Option<Tls>,
}

/// A running host: bound addresses and the serving tasks.
pub struct Running {
    pub http_addr: SocketAddr,
    pub publish_addr: Option<SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Waits until the listeners stop (normally never).
    pub async fn wait(mut self) {
        for t in std::mem::take(&mut self.tasks) {
            let _ = t.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

struct Server {
    app: Arc<App>,
    gateway: Option<Arc<Gateway>>,
    listen_addr: SocketAddr,
    tls: Option<Tls>,
}

/// How long a client may take over its TLS handshake before the connection is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Binds the listeners and starts serving in background tasks.
pub async fn serve(app: Arc<App>, opts: ServeOptions) -> anyhow::Result<Running> {
    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", opts.listen))?;
    let http_addr = listener.local_addr()?;
    let gateway = opts
        .gateway
        .then(|| Arc::new(Gateway::new(opts.grip_sig_key.clone())));
    let server = Arc::new(Server {
        app,
        gateway: gateway.clone(),
        listen_addr: http_addr,
        tls: opts.tls.clone(),
    });
    let mut tasks = vec![tokio::spawn(accept_loop(listener, server))];

    let mut publish_addr = None;
    if let Some(gw) = gateway {
        let listener = TcpListener::bind(opts.publish_listen).await.map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on {} for publishing: {e}",
                opts.publish_listen
            )
        })?;
        publish_addr = Some(listener.local_addr()?);
        tasks.push(tokio::spawn(publish_loop(listener, gw)));
    }
    Ok(Running {
        http_addr,
        publish_addr,
        tasks,
    })
}

/// Answers go out as soon as they are written. With Nagle's algorithm on, a response
/// written in two parts (head, then the body the component streams) waited for the
/// client's delayed ACK: a steady 40 ms on every GRIP request from Pushpin.
fn no_delay(stream: &tokio::net::TcpStream) {
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!("TCP_NODELAY not set: {e}");
    }
}

async fn accept_loop(listener: TcpListener, server: Arc<Server>) {
    loop {
        let (stream, client) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                continue;
            }
        };
        no_delay(&stream);
        let server = server.clone();
        tokio::spawn(async move {
            let Some(tls) = server.tls.clone() else {
                return serve_http(server, TokioIo::new(stream), client, None).await;
            };
            match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, tls.acceptor.accept(stream)).await {
                Ok(Ok(stream)) => {
                    let peer = Arc::new(tls.peer(stream.get_ref().1));
                    serve_http(server, TokioIo::new(stream), client, Some(peer)).await;
                }
                Ok(Err(e)) => tracing::info!(%client, "TLS handshake failed: {e}"),
                Err(_) => tracing::info!(%client, "TLS handshake timed out"),
            }
        });
    }
}

async fn serve_http<IO>(
    server: Arc<Server>,
    io: TokioIo<IO>,
    client: SocketAddr,
    peer: Option<Arc<PeerTls>>,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let svc = service_fn(move |req| {
        let server = server.clone();
        let peer = peer.clone();
        async move { Ok::<_, Infallible>(server.route_request(req, client, peer.as_deref()).await) }
    });
    if let Err(e) = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, svc)
        .with_upgrades()
        .await
    {
        tracing::debug!(%client, "connection ended: {e}");
    }
}

impl Server {
    async fn route_request(
        &self,
        mut req: hyper::Request<Incoming>,
        client: SocketAddr,
        peer: Option<&PeerTls>,
    ) -> http::Response<WasiBody> {
        let started = Instant::now();
        // Where devhost meets the clients itself, it is the terminator: what the components
        // read under its header names is what it saw, never what a client claimed. Behind
        // Pushpin (no gateway, no TLS) the headers are the terminator's in front and pass on.
        if self.gateway.is_some() || self.tls.is_some() {
            tls::strip(req.headers_mut());
        }
        if let Some(peer) = peer {
            peer.apply(req.headers_mut());
        }
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let path = req.uri().path().to_string();
        let Some(route) = self.app.router().route(&path) else {
            tracing::info!(route = "(none)", path = %path, status = 404, "request");
            return text_response(StatusCode::NOT_FOUND, "Not Found\n");
        };
        let host = req
            .headers()
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string)
            .unwrap_or_else(|| self.listen_addr.to_string());
        let base_url = format!("{scheme}://{host}");

        if let Some(gw) = &self.gateway {
            if is_websocket_upgrade(req.headers()) {
                let resp = handle_upgrade(
                    gw.clone(),
                    self.app.clone(),
                    route.clone(),
                    req,
                    client,
                    base_url,
                )
                .await;
                tracing::info!(
                    component = %route.component_id,
                    route = %route.raw_route,
                    status = resp.status().as_u16(),
                    duration_ms = started.elapsed().as_millis() as u64,
                    "websocket handshake"
                );
                return resp;
            }
        }
        let req = req.map(|b| b.map_err(wasmtime_wasi_http::Error::from).boxed_unsync());
        dispatch_logged(&self.app, &route, req, client, &base_url).await
    }
}

/// Runs one request through a component and logs one line about it.
pub(crate) async fn dispatch_logged(
    app: &App,
    route: &RouteMatch,
    req: http::Request<WasiBody>,
    client: SocketAddr,
    base_url: &str,
) -> http::Response<WasiBody> {
    let started = Instant::now();
    let calls = Arc::new(StoreCalls::default());
    let resp = app
        .handle(route, req, client, base_url, calls.clone())
        .await;
    // What the request cost, chained requests included, as of its response head.
    let c = calls.counts();
    tracing::info!(
        component = %route.component_id,
        route = %route.raw_route,
        status = resp.status().as_u16(),
        duration_ms = started.elapsed().as_millis() as u64,
        instances = c.instances,
        sqlite_opens = c.sqlite_opens,
        sqlite_statements = c.sqlite_statements,
        sqlite_commits = c.sqlite_commits,
        pg_opens = c.pg_opens,
        pg_statements = c.pg_statements,
        kv_reads = c.kv_reads,
        kv_writes = c.kv_writes,
        "request"
    );
    resp
}

async fn publish_loop(listener: TcpListener, gateway: Arc<Gateway>) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("publish accept failed: {e}");
                continue;
            }
        };
        no_delay(&stream);
        let gateway = gateway.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let gateway = gateway.clone();
                async move { Ok::<_, Infallible>(handle_publish(&gateway, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

async fn handle_publish(
    gateway: &Gateway,
    req: hyper::Request<Incoming>,
) -> http::Response<WasiBody> {
    let path = req.uri().path();
    if path != "/publish/" && path != "/publish" {
        return text_response(StatusCode::NOT_FOUND, "Not Found\n");
    }
    if req.method() != http::Method::POST {
        return text_response(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed\n");
    }
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return text_response(StatusCode::BAD_REQUEST, &format!("{e}\n")),
    };
    match parse_publish(&body) {
        Ok(items) => {
            for (channel, msg) in items {
                let n = gateway.subscriptions.publish(&channel, &msg);
                tracing::info!(%channel, receivers = n, "published");
            }
            text_response(StatusCode::OK, "Published\n")
        }
        Err(e) => text_response(StatusCode::BAD_REQUEST, &format!("{e}\n")),
    }
}
