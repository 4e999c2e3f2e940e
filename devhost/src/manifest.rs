//! Loading `spin.toml` (manifest version 2) into the resolved shape devhost runs.
//!
//! Only the parts `spin up` acts on for HTTP applications are modelled; unknown
//! keys are ignored (as Spin ignores keys that belong to other triggers/tools).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Errors found while reading or validating a manifest.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read manifest {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid manifest {path}: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("unsupported spin_manifest_version {0}: devhost reads version 2")]
    Version(i64),
    #[error("{0}")]
    Invalid(String),
}

/// A parsed, validated manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Directory holding spin.toml; relative paths are resolved from here.
    pub base_dir: PathBuf,
    pub application_name: String,
    pub variables: BTreeMap<String, VariableDef>,
    pub http_triggers: Vec<HttpTrigger>,
    pub components: BTreeMap<String, ComponentDef>,
}

/// `[variables] name = { default = "..", required = true, secret = true }`
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VariableDef {
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub secret: bool,
    #[serde(default)]
    pub description: Option<String>,
}

/// One `[[trigger.http]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpTrigger {
    pub route: TriggerRoute,
    pub component: String,
}

/// A trigger's route: a public path pattern or `{ private = true }`.
#[derive(Debug, Clone, PartialEq)]
pub enum TriggerRoute {
    Path(String),
    Private,
}

/// One `[component.<id>]` table.
#[derive(Debug, Clone, Default)]
pub struct ComponentDef {
    pub id: String,
    /// Absolute path to the `.wasm` file.
    pub source: PathBuf,
    /// `source` as written in the manifest, for error messages.
    pub source_as_written: String,
    pub key_value_stores: Vec<String>,
    pub sqlite_databases: Vec<String>,
    pub allowed_outbound_hosts: Vec<String>,
    /// `[component.<id>.variables]`: name -> template (`"{{ app_var }}"` or literal).
    pub variables: BTreeMap<String, String>,
    /// `environment = { K = "V" }`: WASI environment variables.
    pub environment: BTreeMap<String, String>,
    pub build: Option<BuildDef>,
    pub dependencies: BTreeMap<String, DependencyDef>,
    pub dependencies_inherit_configuration: bool,
}

/// `[component.<id>.build]`
#[derive(Debug, Clone, PartialEq)]
pub struct BuildDef {
    pub command: String,
    /// Absolute working directory for the command.
    pub workdir: PathBuf,
}

/// `[component.<id>.dependencies] "pkg:name/iface" = ...`
#[derive(Debug, Clone, PartialEq)]
pub enum DependencyDef {
    Component(String),
    Path(PathBuf),
}

// ---- raw serde shapes -------------------------------------------------------

#[derive(Deserialize)]
struct RawManifest {
    spin_manifest_version: i64,
    application: RawApplication,
    #[serde(default)]
    variables: BTreeMap<String, VariableDef>,
    #[serde(default)]
    trigger: RawTriggers,
    #[serde(default)]
    component: BTreeMap<String, RawComponent>,
}

#[derive(Deserialize)]
struct RawApplication {
    name: String,
}

#[derive(Deserialize, Default)]
struct RawTriggers {
    #[serde(default)]
    http: Vec<RawHttpTrigger>,
}

#[derive(Deserialize)]
struct RawHttpTrigger {
    route: RawRoute,
    component: RawComponentRef,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawRoute {
    Path(String),
    Private { private: bool },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawComponentRef {
    Id(String),
    // Only matched to report that inline components are unsupported.
    Inline(#[allow(dead_code)] toml::Table),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawSource {
    Path(String),
    // Only matched to report that remote sources are unsupported.
    Other(#[allow(dead_code)] toml::Table),
}

#[derive(Deserialize)]
struct RawComponent {
    source: RawSource,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    sqlite_databases: Vec<String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    #[serde(default)]
    build: Option<RawBuild>,
    #[serde(default)]
    dependencies: BTreeMap<String, RawDependency>,
    #[serde(default)]
    dependencies_inherit_configuration: bool,
}

#[derive(Deserialize)]
struct RawBuild {
    command: RawCommand,
    #[serde(default)]
    workdir: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawCommand {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawDependency {
    Component { component: String },
    Path { path: String },
    // Only matched to report an unsupported dependency form.
    Other(#[allow(dead_code)] toml::Table),
}

impl Manifest {
    /// Reads and validates the manifest at `path`.
    pub fn from_file(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let base_dir = if base_dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            base_dir
        };
        let base_dir = std::fs::canonicalize(&base_dir).unwrap_or(base_dir);
        Self::parse(&text, &base_dir).map_err(|e| match e {
            ManifestError::Parse { source, .. } => ManifestError::Parse {
                path: path.to_path_buf(),
                source,
            },
            other => other,
        })
    }

    /// Parses manifest text; relative paths are resolved against `base_dir`.
    pub fn parse(text: &str, base_dir: &Path) -> Result<Self, ManifestError> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| ManifestError::Parse {
            path: PathBuf::from("spin.toml"),
            source: Box::new(e),
        })?;
        if raw.spin_manifest_version != 2 {
            return Err(ManifestError::Version(raw.spin_manifest_version));
        }
        for name in raw.variables.keys() {
            validate_variable_name(name)?;
        }
        for (name, def) in &raw.variables {
            if def.required && def.default.is_some() {
                return Err(ManifestError::Invalid(format!(
                    "variable '{name}' cannot be both required and have a default"
                )));
            }
        }

        let mut components = BTreeMap::new();
        for (id, rc) in raw.component {
            let comp = convert_component(&id, rc, base_dir)?;
            components.insert(id, comp);
        }

        let mut http_triggers = Vec::new();
        for t in raw.trigger.http {
            let component = match t.component {
                RawComponentRef::Id(id) => id,
                RawComponentRef::Inline(_) => return Err(ManifestError::Invalid(
                    "inline component tables in [[trigger.http]] are not supported by devhost; \
                         use component = \"<id>\""
                        .into(),
                )),
            };
            if !components.contains_key(&component) {
                return Err(ManifestError::Invalid(format!(
                    "[[trigger.http]] refers to component '{component}', which has no [component.{component}] table"
                )));
            }
            let route = match t.route {
                RawRoute::Path(p) => {
                    if !p.starts_with('/') {
                        return Err(ManifestError::Invalid(format!(
                            "route '{p}' of component '{component}' must start with '/'"
                        )));
                    }
                    TriggerRoute::Path(p)
                }
                RawRoute::Private { private: true } => TriggerRoute::Private,
                RawRoute::Private { private: false } => {
                    return Err(ManifestError::Invalid(format!(
                        "route of component '{component}': `private = false` is not a route"
                    )))
                }
            };
            http_triggers.push(HttpTrigger { route, component });
        }

        // Component variables may only reference declared application variables.
        for comp in components.values() {
            for (name, template) in &comp.variables {
                validate_variable_name(name)?;
                for var in template_references(template).map_err(ManifestError::Invalid)? {
                    if !raw.variables.contains_key(&var) {
                        return Err(ManifestError::Invalid(format!(
                            "component '{}' variable '{name}' refers to undeclared application variable '{var}'",
                            comp.id
                        )));
                    }
                }
            }
            for host in &comp.allowed_outbound_hosts {
                for var in template_references(host).map_err(ManifestError::Invalid)? {
                    if !raw.variables.contains_key(&var) {
                        return Err(ManifestError::Invalid(format!(
                            "component '{}' allowed_outbound_hosts refers to undeclared variable '{var}'",
                            comp.id
                        )));
                    }
                }
            }
            for dep in comp.dependencies.values() {
                if let DependencyDef::Component(other) = dep {
                    if !components.contains_key(other) {
                        return Err(ManifestError::Invalid(format!(
                            "component '{}' depends on unknown component '{other}'",
                            comp.id
                        )));
                    }
                }
            }
        }

        Ok(Manifest {
            base_dir: base_dir.to_path_buf(),
            application_name: raw.application.name,
            variables: raw.variables,
            http_triggers,
            components,
        })
    }
}

fn convert_component(
    id: &str,
    rc: RawComponent,
    base_dir: &Path,
) -> Result<ComponentDef, ManifestError> {
    let source_as_written = match rc.source {
        RawSource::Path(p) => p,
        RawSource::Other(_) => {
            return Err(ManifestError::Invalid(format!(
                "component '{id}': only local `source = \"path.wasm\"` is supported by devhost \
                 (remote url/digest sources need network access)"
            )))
        }
    };
    let build = match rc.build {
        None => None,
        Some(b) => {
            let command = match b.command {
                RawCommand::One(c) => c,
                RawCommand::Many(cs) => cs.join(" && "),
            };
            let workdir = match b.workdir {
                Some(w) => base_dir.join(w),
                None => base_dir.to_path_buf(),
            };
            Some(BuildDef { command, workdir })
        }
    };
    let mut dependencies = BTreeMap::new();
    for (name, dep) in rc.dependencies {
        let dep = match dep {
            RawDependency::Component { component } => DependencyDef::Component(component),
            RawDependency::Path { path } => DependencyDef::Path(base_dir.join(path)),
            RawDependency::Other(_) => {
                return Err(ManifestError::Invalid(format!(
                    "component '{id}' dependency '{name}': only `{{ component = \"..\" }}` and \
                     `{{ path = \"..\" }}` are supported by devhost"
                )))
            }
        };
        dependencies.insert(name, dep);
    }
    Ok(ComponentDef {
        id: id.to_string(),
        source: base_dir.join(&source_as_written),
        source_as_written,
        key_value_stores: rc.key_value_stores,
        sqlite_databases: rc.sqlite_databases,
        allowed_outbound_hosts: rc.allowed_outbound_hosts,
        variables: rc.variables,
        environment: rc.environment,
        build,
        dependencies,
        dependencies_inherit_configuration: rc.dependencies_inherit_configuration,
    })
}

/// Spin requires variable names to be lower_snake_case: `[a-z][a-z0-9_]*`.
pub fn validate_variable_name(name: &str) -> Result<(), ManifestError> {
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && !name.ends_with('_')
        && !name.contains("__");
    if ok {
        Ok(())
    } else {
        Err(ManifestError::Invalid(format!(
            "invalid variable name '{name}': must be lower_snake_case ([a-z][a-z0-9_]*)"
        )))
    }
}

/// Names of the variables referenced by `{{ name }}` in `template`.
pub fn template_references(template: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("unterminated '{{{{' in template '{template}'"))?;
        out.push(after[..end].trim().to_string());
        rest = &after[end + 2..];
    }
    Ok(out)
}

/// Replaces every `{{ name }}` in `template` using `lookup`.
pub fn render_template(
    template: &str,
    mut lookup: impl FnMut(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("unterminated '{{{{' in template '{template}'"))?;
        let name = after[..end].trim();
        let value = lookup(name).ok_or_else(|| format!("no value for variable '{name}'"))?;
        out.push_str(&value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
spin_manifest_version = 2

[application]
name = "ocpp"

[variables]
api_token = { required = true, secret = true }
greeting = { default = "hello" }

[[trigger.http]]
route = "/ocpp/..."
component = "connection"

[[trigger.http]]
route = { private = true }
component = "authorization"

[component.connection]
source = "target/connection.wasm"
key_value_stores = ["default"]
allowed_outbound_hosts = ["http://authorization.spin.internal"]
[component.connection.variables]
token = "{{ api_token }}"
[component.connection.build]
command = "cargo build --release"
workdir = "components/connection"

[component.authorization]
source = "target/authorization.wasm"
sqlite_databases = ["default"]
[component.authorization.dependencies]
"ocpp:tariff/pricing" = { component = "connection" }
"#;

    #[test]
    fn parses_triggers_components_and_variables() -> Result<(), ManifestError> {
        let m = Manifest::parse(SAMPLE, Path::new("/app"))?;
        assert_eq!(m.application_name, "ocpp");
        assert_eq!(m.http_triggers.len(), 2);
        assert_eq!(
            m.http_triggers[0].route,
            TriggerRoute::Path("/ocpp/...".into())
        );
        assert_eq!(m.http_triggers[1].route, TriggerRoute::Private);
        let c = &m.components["connection"];
        assert_eq!(c.source, PathBuf::from("/app/target/connection.wasm"));
        assert_eq!(c.key_value_stores, vec!["default".to_string()]);
        assert_eq!(c.variables["token"], "{{ api_token }}");
        let build = c
            .build
            .clone()
            .ok_or(ManifestError::Invalid("no build".into()))?;
        assert_eq!(build.workdir, PathBuf::from("/app/components/connection"));
        assert!(m.variables["api_token"].required);
        assert_eq!(m.variables["greeting"].default.as_deref(), Some("hello"));
        assert_eq!(
            m.components["authorization"].dependencies["ocpp:tariff/pricing"],
            DependencyDef::Component("connection".into())
        );
        Ok(())
    }

    #[test]
    fn rejects_trigger_for_unknown_component() {
        let text = SAMPLE.replace("component = \"authorization\"", "component = \"nope\"");
        let err = Manifest::parse(&text, Path::new("/app"));
        assert!(matches!(err, Err(ManifestError::Invalid(m)) if m.contains("nope")));
    }

    #[test]
    fn rejects_component_variable_referencing_undeclared_variable() {
        let text = SAMPLE.replace("{{ api_token }}", "{{ missing }}");
        let err = Manifest::parse(&text, Path::new("/app"));
        assert!(matches!(err, Err(ManifestError::Invalid(m)) if m.contains("missing")));
    }

    #[test]
    fn rejects_other_manifest_versions() {
        let text = SAMPLE.replace("spin_manifest_version = 2", "spin_manifest_version = 1");
        assert!(matches!(
            Manifest::parse(&text, Path::new("/app")),
            Err(ManifestError::Version(1))
        ));
    }

    #[test]
    fn variable_names_must_be_snake_case() {
        assert!(validate_variable_name("api_token").is_ok());
        assert!(validate_variable_name("ApiToken").is_err());
        assert!(validate_variable_name("1abc").is_err());
        assert!(validate_variable_name("a-b").is_err());
    }

    #[test]
    fn renders_templates() -> Result<(), String> {
        let out = render_template("http://{{ host }}:{{port}}/x", |n| match n {
            "host" => Some("example.com".into()),
            "port" => Some("8080".into()),
            _ => None,
        })?;
        assert_eq!(out, "http://example.com:8080/x");
        assert!(render_template("{{ nope }}", |_| None).is_err());
        assert_eq!(
            template_references("a {{ x }} b {{y}}")?,
            vec!["x".to_string(), "y".to_string()]
        );
        Ok(())
    }
}
