//! Interfaces Spin offers that devhost does not back: outbound redis, mysql, the
//! older postgres interfaces (`fermyon:spin/postgres` v1 and v2; the current
//! `spin:postgres/postgres@4.0.0` is implemented in `postgres.rs`), mqtt and llm.
//! A component that merely imports them must still start, as it
//! does on Spin; calling them returns the interface's own error variant ("not
//! supported by devhost") instead of trapping, so the component can handle it
//! like any other backend failure.
//!
//! The same mechanism answers "denied" to a dependency that does not inherit its
//! importer's configuration, for every Spin capability it imports.

use wasmtime::component::types::{ComponentFunc, ComponentItem, Type};
use wasmtime::component::{Component, Linker, ResourceType, Val};
use wasmtime::Engine;

use super::HostState;

/// Import name prefixes of the interfaces handled here.
const UNSUPPORTED: &[&str] = &[
    "fermyon:spin/redis",
    "fermyon:spin/mysql",
    "fermyon:spin/postgres",
    "fermyon:spin/mqtt",
    "fermyon:spin/llm",
];

/// Error-variant cases (with a string payload) preferred for the answer, in order.
const PREFERRED_CASES: &[&str] = &[
    "undefined",
    "other",
    "connection-failed",
    "runtime-error",
    "io",
    "upstream",
    "unexpected",
];

/// Spin capabilities a dependency without `dependencies_inherit_configuration` is denied.
const DENIED_TO_DEPENDENCIES: &[&str] = &[
    "fermyon:spin/key-value",
    "fermyon:spin/sqlite",
    "fermyon:spin/variables",
    "spin:sqlite/sqlite",
    "spin:postgres/postgres",
    "wasi:config/store",
    "wasi:http/outgoing-handler",
    "wasi:keyvalue/",
];

/// Error cases preferred for a denial (payload-less cases first).
const DENIAL_CASES: &[&str] = &["access-denied", "HTTP-request-denied"];

/// Defines stubs for every unsupported interface `component` imports;
/// returns the names of the interfaces stubbed.
pub fn define_stubs(
    linker: &mut Linker<HostState>,
    engine: &Engine,
    component: &Component,
) -> wasmtime::Result<Vec<String>> {
    define_error_stubs(
        linker,
        engine,
        component,
        UNSUPPORTED,
        &[],
        "is not supported by devhost",
    )
}

/// Defines "denied" answers for the Spin capabilities (and the unsupported
/// interfaces) a capability-less dependency imports.
pub fn define_denials(
    linker: &mut Linker<HostState>,
    engine: &Engine,
    component: &Component,
) -> wasmtime::Result<Vec<String>> {
    let mut names = define_error_stubs(
        linker,
        engine,
        component,
        DENIED_TO_DEPENDENCIES,
        DENIAL_CASES,
        "is denied to a dependency without dependencies_inherit_configuration",
    )?;
    names.extend(define_stubs(linker, engine, component)?);
    Ok(names)
}

fn define_error_stubs(
    linker: &mut Linker<HostState>,
    engine: &Engine,
    component: &Component,
    prefixes: &'static [&'static str],
    preferred_bare: &'static [&'static str],
    reason: &'static str,
) -> wasmtime::Result<Vec<String>> {
    let ty = component.component_type();
    let mut stubbed = Vec::new();
    for (name, import) in ty.imports(engine) {
        if !prefixes.iter().any(|p| name.starts_with(p)) {
            continue;
        }
        let ComponentItem::ComponentInstance(inst) = import.ty else {
            continue;
        };
        let mut li = linker.instance(name)?;
        for (item, ext) in inst.exports(engine) {
            match ext.ty {
                ComponentItem::ComponentFunc(_) => {
                    let iface = name.to_string();
                    let func = item.to_string();
                    li.func_new(item, move |_store, fty, _params, results| {
                        answer_error(&iface, &func, &fty, results, preferred_bare, reason)
                    })?;
                }
                ComponentItem::Resource(_) => {
                    li.resource(item, ResourceType::host::<()>(), |_, _| Ok(()))?;
                }
                _ => {}
            }
        }
        stubbed.push(name.to_string());
    }
    Ok(stubbed)
}

fn answer_error(
    iface: &str,
    func: &str,
    fty: &ComponentFunc,
    results: &mut [Val],
    preferred_bare: &[&str],
    reason: &str,
) -> wasmtime::Result<()> {
    let message = format!("{iface} {reason}");
    let mut types = fty.results();
    if let (Some(Type::Result(r)), Some(slot)) = (types.next(), results.first_mut()) {
        if let Some(err) = r
            .err()
            .and_then(|e| error_value(&e, &message, preferred_bare))
        {
            *slot = Val::Result(Err(Some(Box::new(err))));
            return Ok(());
        }
    }
    wasmtime::bail!("{iface}#{func} called: {message}")
}

/// Builds a value of an error type carrying `message` when possible.
fn error_value(ty: &Type, message: &str, preferred_bare: &[&str]) -> Option<Val> {
    match ty {
        Type::String => Some(Val::String(message.to_string())),
        Type::Variant(v) => {
            let cases: Vec<_> = v.cases().collect();
            if let Some(c) = preferred_bare
                .iter()
                .find_map(|n| cases.iter().find(|c| c.name == *n && c.ty.is_none()))
            {
                return Some(Val::Variant(c.name.to_string(), None));
            }
            let with_string = |name: &str| {
                cases
                    .iter()
                    .find(|c| c.name == name && matches!(c.ty, Some(Type::String)))
            };
            if let Some(c) = PREFERRED_CASES.iter().find_map(|n| with_string(n)) {
                return Some(Val::Variant(
                    c.name.to_string(),
                    Some(Box::new(Val::String(message.to_string()))),
                ));
            }
            if let Some(c) = cases.iter().find(|c| matches!(c.ty, Some(Type::String))) {
                return Some(Val::Variant(
                    c.name.to_string(),
                    Some(Box::new(Val::String(message.to_string()))),
                ));
            }
            cases
                .iter()
                .find(|c| c.ty.is_none())
                .map(|c| Val::Variant(c.name.to_string(), None))
        }
        Type::Enum(e) => e.names().next().map(|n| Val::Enum(n.to_string())),
        _ => None,
    }
}
