//! Component dependencies (`[component.X.dependencies]`): an import of one
//! component is satisfied by the export of another, as Spin does with
//! wasm-compose at load time.
//!
//! devhost links instead of composing: each request instantiates the
//! dependency in the importer's store first, and the importer's imported
//! functions forward their calls to that instance. A dependency gets no Spin
//! capabilities (key-value, SQLite, variables, outbound HTTP answer "denied")
//! unless the importer sets `dependencies_inherit_configuration = true`, in
//! which case it shares the importer's grants.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, ComponentExportIndex, InstancePre, Linker};
use wasmtime::Engine;

use crate::host::{unsupported, HostState};
use crate::manifest::{ComponentDef, DependencyDef, Manifest};

/// Compiles each distinct .wasm file once per load.
pub struct ComponentCache<'a> {
    engine: &'a Engine,
    compiled: HashMap<PathBuf, Component>,
}

impl<'a> ComponentCache<'a> {
    pub fn new(engine: &'a Engine) -> Self {
        Self {
            engine,
            compiled: HashMap::new(),
        }
    }

    pub fn get(&mut self, path: &Path) -> anyhow::Result<Component> {
        if let Some(c) = self.compiled.get(path) {
            return Ok(c.clone());
        }
        // Spin converts wasm32-wasip1 core modules with its componentize step;
        // devhost needs real components, so say so instead of a parse error.
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        if bytes.starts_with(b"\0asm\x01\0\0\0") {
            bail!(
                "{} is a core Wasm module (e.g. built for wasm32-wasip1), not a component: \
                 build it for wasm32-wasip2, which makes rustc emit a component",
                path.display()
            );
        }
        let c = Component::new(self.engine, &bytes)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("compiling {}", path.display()))?;
        self.compiled.insert(path.to_path_buf(), c.clone());
        Ok(c)
    }
}

/// `ns:pkg/iface@1.2.3` -> `ns:pkg/iface`
fn unversioned(name: &str) -> &str {
    name.split_once('@').map(|(n, _)| n).unwrap_or(name)
}

/// Whether a dependency key (`ns:pkg/iface`, `ns:pkg/iface@v`, or a whole
/// package `ns:pkg` / `ns:pkg@v`) covers the import `import_name`.
pub fn key_matches(key: &str, import_name: &str) -> bool {
    let key_base = unversioned(key);
    let import_base = unversioned(import_name);
    if key.contains('@') && key_base.contains('/') {
        return key == import_name || key_base == import_base;
    }
    if key_base.contains('/') {
        return key_base == import_base;
    }
    // Package-level key: every interface of that package.
    import_base
        .split_once('/')
        .is_some_and(|(pkg, _)| pkg == key_base)
}

/// Adds the capability-less host for a dependency that inherits nothing:
/// WASI 0.2 and wasi:http types, with every Spin capability denied.
fn deny_all_linker(engine: &Engine, dep: &Component) -> anyhow::Result<Linker<HostState>> {
    let mut l: Linker<HostState> = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut l)?;
    let options = wasmtime_wasi_http::p2::bindings::LinkOptions::default();
    wasmtime_wasi_http::p2::bindings::http::types::add_to_linker::<_, wasmtime_wasi_http::WasiHttp>(
        &mut l,
        &options.into(),
        |s: &mut HostState| wasmtime_wasi_http::WasiHttpView::http(s),
    )?;
    unsupported::define_denials(&mut l, engine, dep)?;
    Ok(l)
}

/// Links `importer`'s dependencies into `linker`; returns the dependency
/// instance-pres, in the order the forwarding functions expect them in
/// `HostState::dependencies`.
pub fn link_dependencies(
    linker: &mut Linker<HostState>,
    base_linker: &Linker<HostState>,
    engine: &Engine,
    manifest: &Manifest,
    importer: &ComponentDef,
    importer_component: &Component,
    cache: &mut ComponentCache<'_>,
) -> anyhow::Result<Vec<InstancePre<HostState>>> {
    let mut pres = Vec::new();
    let importer_type = importer_component.component_type();
    for (key, dep) in &importer.dependencies {
        let (dep_path, label) = match dep {
            DependencyDef::Component(id) => {
                let Some(def) = manifest.components.get(id) else {
                    bail!(
                        "component '{}' depends on unknown component '{id}'",
                        importer.id
                    );
                };
                if !def.dependencies.is_empty() {
                    bail!(
                        "component '{}' depends on '{id}', which has dependencies itself; \
                         devhost does not link nested dependencies",
                        importer.id
                    );
                }
                (def.source.clone(), format!("component '{id}'"))
            }
            DependencyDef::Path(p) => (p.clone(), p.display().to_string()),
        };
        if !dep_path.exists() {
            bail!(
                "component '{}' dependency '{key}': {} not found",
                importer.id,
                dep_path.display()
            );
        }
        let dep_component = cache.get(&dep_path)?;
        let dep_type = dep_component.component_type();

        let dep_linker = if importer.dependencies_inherit_configuration {
            let mut l = base_linker.clone();
            unsupported::define_stubs(&mut l, engine, &dep_component)?;
            l
        } else {
            deny_all_linker(engine, &dep_component)?
        };
        let dep_pre = dep_linker
            .instantiate_pre(&dep_component)
            .map_err(anyhow::Error::from)
            .with_context(|| {
                format!("linking dependency {label} of component '{}'", importer.id)
            })?;
        let dep_index = pres.len();
        pres.push(dep_pre);

        let mut matched = false;
        for (import_name, import) in importer_type.imports(engine) {
            if !key_matches(key, import_name) {
                continue;
            }
            let ComponentItem::ComponentInstance(import_inst) = import.ty else {
                continue;
            };
            matched = true;
            let export_name = dep_type
                .exports(engine)
                .map(|(n, _)| n)
                .find(|n| unversioned(n) == unversioned(import_name))
                .with_context(|| {
                    format!(
                        "dependency {label} of component '{}' does not export {import_name}",
                        importer.id
                    )
                })?;
            let iface_idx = dep_component
                .get_export_index(None, export_name)
                .with_context(|| format!("{label} export {export_name}"))?;
            let mut li = linker.instance(import_name)?;
            for (func_name, item) in import_inst.exports(engine) {
                match item.ty {
                    ComponentItem::ComponentFunc(_) => {
                        let func_idx = dep_component
                            .get_export_index(Some(&iface_idx), func_name)
                            .with_context(|| {
                                format!("{label} does not export {export_name}#{func_name}")
                            })?;
                        define_forwarder(&mut li, func_name, dep_index, func_idx)?;
                    }
                    ComponentItem::Resource(_) => bail!(
                        "dependency interface {import_name} of component '{}' has resources; \
                         devhost only links function-only interfaces",
                        importer.id
                    ),
                    _ => {}
                }
            }
            tracing::info!(component = %importer.id, import = %import_name, dependency = %label, "linked dependency");
        }
        if !matched {
            bail!(
                "component '{}' has no import matching dependency '{key}'",
                importer.id
            );
        }
    }
    Ok(pres)
}

fn define_forwarder(
    li: &mut wasmtime::component::LinkerInstance<'_, HostState>,
    func_name: &str,
    dep_index: usize,
    func_idx: ComponentExportIndex,
) -> anyhow::Result<()> {
    li.func_new_async(func_name, move |mut store, _ty, params, results| {
        Box::new(async move {
            let Some(instance) = store.data().dependencies.get(dep_index).copied() else {
                wasmtime::bail!("dependency {dep_index} was not instantiated");
            };
            let Some(func) = instance.get_func(&mut store, func_idx) else {
                wasmtime::bail!("dependency export disappeared");
            };
            func.call_async(&mut store, params, results).await
        })
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_keys_match_interfaces_and_packages() {
        let import = "ocpp-csms:tariff/pricing@0.1.0";
        assert!(key_matches("ocpp-csms:tariff/pricing", import));
        assert!(key_matches("ocpp-csms:tariff/pricing@0.1.0", import));
        assert!(key_matches("ocpp-csms:tariff", import));
        assert!(key_matches("ocpp-csms:tariff@0.1.0", import));
        assert!(!key_matches("ocpp-csms:tariff/other", import));
        assert!(!key_matches("ocpp-csms:billing", import));
    }
}
