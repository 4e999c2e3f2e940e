//! Application variables: `fermyon:spin/variables@2.0.0` and
//! `wasi:config/store` (the draft Spin also serves from the same values).
//!
//! Values come, highest priority first, from `--variable k=v`, then
//! `SPIN_VARIABLE_<NAME>` environment variables, then the manifest default.
//! All values are resolved at start-up so a missing required variable stops
//! the host before it serves anything, as `spin up` does.

use std::collections::BTreeMap;

use crate::manifest::{render_template, validate_variable_name, ComponentDef, VariableDef};

use super::bindings::fermyon::spin::variables as spin_vars;
use super::bindings::wasi::config::store as wasi_config;
use super::HostState;

/// Why variables could not be resolved.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VariablesError {
    #[error("required variable '{0}' has no value: pass --variable {0}=VALUE or set SPIN_VARIABLE_{upper}", upper = .0.to_uppercase())]
    MissingRequired(String),
    #[error("component '{component}' variable '{name}': {message}")]
    Template {
        component: String,
        name: String,
        message: String,
    },
}

/// Resolves application variables from the providers.
pub fn resolve_app_variables(
    defs: &BTreeMap<String, VariableDef>,
    cli: &BTreeMap<String, String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<BTreeMap<String, String>, VariablesError> {
    let mut out = BTreeMap::new();
    for (name, def) in defs {
        let value = cli
            .get(name)
            .cloned()
            .or_else(|| env(&format!("SPIN_VARIABLE_{}", name.to_uppercase())))
            .or_else(|| def.default.clone());
        match value {
            Some(v) => {
                out.insert(name.clone(), v);
            }
            None if def.required => return Err(VariablesError::MissingRequired(name.clone())),
            // Not required and no default: Spin treats it as unset.
            None => {}
        }
    }
    Ok(out)
}

/// The variables one component sees, already rendered.
#[derive(Debug, Default)]
pub struct ComponentVariables {
    values: BTreeMap<String, String>,
}

impl ComponentVariables {
    pub fn resolve(
        component: &ComponentDef,
        app_values: &BTreeMap<String, String>,
    ) -> Result<Self, VariablesError> {
        let mut values = BTreeMap::new();
        for (name, template) in &component.variables {
            let v =
                render_template(template, |n| app_values.get(n).cloned()).map_err(|message| {
                    VariablesError::Template {
                        component: component.id.clone(),
                        name: name.clone(),
                        message,
                    }
                })?;
            values.insert(name.clone(), v);
        }
        Ok(Self { values })
    }

    /// A component-less view used for dependencies that inherit nothing.
    pub fn empty() -> Self {
        Self::default()
    }

    fn get(&self, name: &str) -> Result<String, spin_vars::Error> {
        if validate_variable_name(name).is_err() {
            return Err(spin_vars::Error::InvalidName(format!(
                "invalid variable name '{name}'"
            )));
        }
        self.values
            .get(name)
            .cloned()
            .ok_or_else(|| spin_vars::Error::Undefined(format!("no variable for \"{name}\"")))
    }
}

impl spin_vars::Host for HostState {
    fn get(&mut self, name: String) -> wasmtime::Result<Result<String, spin_vars::Error>> {
        Ok(self.variables.get(&name))
    }
}

impl wasi_config::Host for HostState {
    fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<String>, wasi_config::Error>> {
        Ok(Ok(self.variables.values.get(&key).cloned()))
    }

    fn get_all(&mut self) -> wasmtime::Result<Result<Vec<(String, String)>, wasi_config::Error>> {
        Ok(Ok(self
            .variables
            .values
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defs() -> BTreeMap<String, VariableDef> {
        let mut d = BTreeMap::new();
        d.insert(
            "greeting".into(),
            VariableDef {
                default: Some("hello".into()),
                ..Default::default()
            },
        );
        d.insert(
            "token".into(),
            VariableDef {
                required: true,
                ..Default::default()
            },
        );
        d
    }

    #[test]
    fn cli_beats_env_beats_default() -> Result<(), VariablesError> {
        let mut cli = BTreeMap::new();
        cli.insert("token".to_string(), "from-cli".to_string());
        let env = |k: &str| (k == "SPIN_VARIABLE_GREETING").then(|| "from-env".to_string());
        let v = resolve_app_variables(&defs(), &cli, &env)?;
        assert_eq!(v["greeting"], "from-env");
        assert_eq!(v["token"], "from-cli");
        let v = resolve_app_variables(&defs(), &cli, &|_| None)?;
        assert_eq!(v["greeting"], "hello");
        Ok(())
    }

    #[test]
    fn missing_required_variable_is_an_error() {
        let err = resolve_app_variables(&defs(), &BTreeMap::new(), &|_| None);
        assert_eq!(err, Err(VariablesError::MissingRequired("token".into())));
    }

    #[test]
    fn component_sees_only_its_rendered_variables() -> Result<(), VariablesError> {
        let mut comp = ComponentDef {
            id: "c".into(),
            ..Default::default()
        };
        comp.variables
            .insert("url".into(), "http://{{ greeting }}.example".into());
        let mut app = BTreeMap::new();
        app.insert("greeting".to_string(), "hi".to_string());
        let cv = ComponentVariables::resolve(&comp, &app)?;
        assert!(matches!(cv.get("url"), Ok(ref v) if v == "http://hi.example"));
        assert!(matches!(
            cv.get("greeting"),
            Err(spin_vars::Error::Undefined(_))
        ));
        assert!(matches!(
            cv.get("Bad-Name"),
            Err(spin_vars::Error::InvalidName(_))
        ));
        Ok(())
    }
}
