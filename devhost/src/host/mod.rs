//! Host capabilities offered to components, one module per Spin "factor".
//!
//! `HostState` is the per-request store data. Each capability module
//! implements its generated WIT host trait on `HostState`; `add_to_linker`
//! wires them all. Adding a capability = one new module + one line here.

pub mod key_value;
pub mod outbound_http;
pub mod postgres;
pub mod sqlite;
pub mod stdio;
pub mod store_calls;
pub mod store_file;
pub mod unsupported;
pub mod variables;
pub mod wasi_keyvalue;

use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::StoreLimits;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Generated bindings for the Spin interfaces devhost implements itself.
#[allow(missing_docs, clippy::all)]
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "devhost:host/host",
        // PostgreSQL and Redis wait on the network: those calls are async so a request
        // waiting for its database leaves the worker thread to the others.
        imports: {
            "fermyon:spin/key-value": async | trappable,
            "spin:postgres/postgres": async | trappable,
            "wasi:keyvalue": async | trappable,
            default: trappable,
        },
        with: {
            "fermyon:spin/key-value.store": crate::host::key_value::StoreHandle,
            "fermyon:spin/sqlite.connection": crate::host::sqlite::ConnectionHandle,
            "spin:sqlite/sqlite.connection": crate::host::sqlite::ConnectionHandle,
            "spin:postgres/postgres.connection": crate::host::postgres::PgConnection,
            "wasi:keyvalue/store.bucket": crate::host::key_value::StoreHandle,
            "wasi:keyvalue/atomics.cas": crate::host::wasi_keyvalue::CasHandle,
        },
    });
}

/// Everything a component instance can reach during one request.
pub struct HostState {
    pub(crate) wasi: WasiCtx,
    pub(crate) http: WasiHttpCtx,
    pub(crate) table: ResourceTable,
    pub(crate) outbound: outbound_http::OutboundHooks,
    pub(crate) key_value: key_value::ComponentKeyValue,
    pub(crate) sqlite: sqlite::ComponentSqlite,
    /// This component's PostgreSQL pools (its `allowed_outbound_hosts` are in `outbound`).
    pub(crate) postgres: Arc<postgres::PgPools>,
    pub(crate) variables: Arc<variables::ComponentVariables>,
    /// Instances of this component's dependencies (see `crate::dependencies`).
    pub(crate) dependencies: Vec<wasmtime::component::Instance>,
    pub(crate) limits: StoreLimits,
    /// Shared by the request and every component it chains to.
    pub(crate) calls: Arc<store_calls::StoreCalls>,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outbound,
        }
    }
}

/// Adds WASI 0.2, wasi:http and the Spin interfaces to `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(linker)?;
    bindings::fermyon::spin::key_value::add_to_linker::<_, HasSelf<HostState>>(linker, |s| s)?;
    bindings::fermyon::spin::sqlite::add_to_linker::<_, HasSelf<HostState>>(linker, |s| s)?;
    bindings::spin::sqlite::sqlite::add_to_linker::<_, HasSelf<HostState>>(linker, |s| s)?;
    bindings::spin::postgres::postgres::add_to_linker::<_, HasSelf<HostState>>(linker, |s| s)?;
    bindings::fermyon::spin::variables::add_to_linker::<_, HasSelf<HostState>>(linker, |s| s)?;
    bindings::wasi::config::store::add_to_linker::<_, HasSelf<HostState>>(linker, |s| s)?;
    bindings::wasi::keyvalue::store::add_to_linker::<_, HasSelf<HostState>>(linker, |s| s)?;
    bindings::wasi::keyvalue::atomics::add_to_linker::<_, HasSelf<HostState>>(linker, |s| s)?;
    bindings::wasi::keyvalue::batch::add_to_linker::<_, HasSelf<HostState>>(linker, |s| s)?;
    Ok(())
}
