//! `devhost`: a Spin-compatible local host for the OCPP backend.
//!
//! It runs the same `spin.toml` and `.wasm` files as `spin up` (HTTP trigger,
//! WASI 0.2 components built with spin-sdk 5.2) with the same interfaces and
//! defaults, and embeds a GRIP WebSocket-over-HTTP gateway (what Pushpin does
//! in production) so one command starts a complete backend.
//!
//! Layout, following Spin's factors:
//! - [`manifest`], [`runtime_config`]: reading spin.toml and runtime-config.toml
//! - [`routes`]: HTTP route matching
//! - [`runtime`]: wasmtime engine, pre-instantiated components, per-request stores
//! - [`dependencies`]: `[component.X.dependencies]` linking
//! - [`host`]: one module per host capability (key-value, sqlite, variables, outbound HTTP)
//! - [`gateway`]: the GRIP gateway (event codec, WebSocket bridge, publish, Grip-Sig)
//! - [`server`], [`tls`], [`cli`]: listeners (plain or TLS) and the `devhost up` command

pub mod cli;
pub mod dependencies;
pub mod gateway;
pub mod host;
pub mod manifest;
pub mod routes;
pub mod runtime;
pub mod runtime_config;
pub mod server;
pub mod tls;
