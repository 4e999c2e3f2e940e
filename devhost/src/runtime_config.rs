//! `--runtime-config-file`: the subset of Spin's runtime-config.toml that a
//! local host can honour (`type = "spin"` key-value stores and SQLite
//! databases backed by local files). Other backend types are refused with a
//! clear message instead of silently using a different store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Errors reading a runtime config file.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeConfigError {
    #[error("cannot read runtime config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid runtime config {path}: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("[{table}.{label}] type = \"{kind}\" is not supported by devhost (only \"spin\")")]
    UnsupportedType {
        table: &'static str,
        label: String,
        kind: String,
    },
}

/// A resolved store: `path = None` means in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    pub path: Option<PathBuf>,
}

/// The parts of runtime-config.toml devhost uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeConfig {
    pub key_value_stores: BTreeMap<String, StoreConfig>,
    pub sqlite_databases: BTreeMap<String, StoreConfig>,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    key_value_store: BTreeMap<String, RawStore>,
    #[serde(default)]
    sqlite_database: BTreeMap<String, RawStore>,
}

#[derive(Deserialize)]
struct RawStore {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    path: Option<String>,
}

impl RuntimeConfig {
    pub fn from_file(path: &Path) -> Result<Self, RuntimeConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| RuntimeConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, base).map_err(|e| match e {
            RuntimeConfigError::Parse { source, .. } => RuntimeConfigError::Parse {
                path: path.to_path_buf(),
                source,
            },
            other => other,
        })
    }

    /// Relative `path`s are resolved against `base` (the file's directory).
    pub fn parse(text: &str, base: &Path) -> Result<Self, RuntimeConfigError> {
        let raw: Raw = toml::from_str(text).map_err(|source| RuntimeConfigError::Parse {
            path: PathBuf::from("runtime-config.toml"),
            source: Box::new(source),
        })?;
        let convert = |table: &'static str, m: BTreeMap<String, RawStore>| {
            m.into_iter()
                .map(|(label, s)| {
                    if s.kind != "spin" {
                        return Err(RuntimeConfigError::UnsupportedType {
                            table,
                            label,
                            kind: s.kind,
                        });
                    }
                    let path = s.path.map(|p| base.join(p));
                    Ok((label, StoreConfig { path }))
                })
                .collect::<Result<BTreeMap<_, _>, _>>()
        };
        Ok(Self {
            key_value_stores: convert("key_value_store", raw.key_value_store)?,
            sqlite_databases: convert("sqlite_database", raw.sqlite_database)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_spin_stores_with_relative_paths() -> Result<(), RuntimeConfigError> {
        let rc = RuntimeConfig::parse(
            r#"
[key_value_store.cache]
type = "spin"
path = "data/cache.db"

[key_value_store.scratch]
type = "spin"

[sqlite_database.reports]
type = "spin"
path = "/abs/reports.db"
"#,
            Path::new("/cfg"),
        )?;
        assert_eq!(
            rc.key_value_stores["cache"].path,
            Some(PathBuf::from("/cfg/data/cache.db"))
        );
        assert_eq!(rc.key_value_stores["scratch"].path, None);
        assert_eq!(
            rc.sqlite_databases["reports"].path,
            Some(PathBuf::from("/abs/reports.db"))
        );
        Ok(())
    }

    #[test]
    fn refuses_backends_devhost_cannot_provide() {
        let err = RuntimeConfig::parse(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://x\"\n",
            Path::new("/"),
        );
        assert!(matches!(
            err,
            Err(RuntimeConfigError::UnsupportedType { kind, .. }) if kind == "redis"
        ));
    }
}
