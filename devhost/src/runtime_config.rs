//! `--runtime-config-file`: the subset of Spin's runtime-config.toml that devhost
//! can honour: key-value stores of `type = "spin"` (local SQLite files) or
//! `type = "redis"` (`url = "redis://host:port"`, as Spin's), and SQLite databases of
//! `type = "spin"`. Other backend types are refused with a clear message instead of
//! silently using a different store.

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
    #[error("[{table}.{label}] type = \"{kind}\" is not supported by devhost (only {supported})")]
    UnsupportedType {
        table: &'static str,
        label: String,
        kind: String,
        supported: &'static str,
    },
    #[error("[key_value_store.{label}] type = \"redis\" needs a url (\"redis://host:port\")")]
    MissingUrl { label: String },
}

/// A resolved store: `path = None` means in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    pub path: Option<PathBuf>,
}

/// A key-value store's backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValueConfig {
    /// `type = "spin"`: a local SQLite file.
    Spin(StoreConfig),
    /// `type = "redis"`: the server at `url`.
    Redis { url: String },
}

/// The parts of runtime-config.toml devhost uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeConfig {
    pub key_value_stores: BTreeMap<String, KeyValueConfig>,
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
    #[serde(default)]
    url: Option<String>,
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
        let unsupported = |table, label, kind, supported| RuntimeConfigError::UnsupportedType {
            table,
            label,
            kind,
            supported,
        };
        let key_value_stores = raw
            .key_value_store
            .into_iter()
            .map(|(label, s)| {
                let config = match s.kind.as_str() {
                    "spin" => KeyValueConfig::Spin(StoreConfig {
                        path: s.path.map(|p| base.join(p)),
                    }),
                    // Spin's redis store reads only `url`.
                    "redis" => match s.url {
                        Some(url) => KeyValueConfig::Redis { url },
                        None => return Err(RuntimeConfigError::MissingUrl { label }),
                    },
                    _ => {
                        return Err(unsupported(
                            "key_value_store",
                            label,
                            s.kind,
                            "\"spin\" and \"redis\"",
                        ))
                    }
                };
                Ok((label, config))
            })
            .collect::<Result<BTreeMap<_, _>, _>>()?;
        let sqlite_databases = raw
            .sqlite_database
            .into_iter()
            .map(|(label, s)| {
                if s.kind != "spin" {
                    return Err(unsupported("sqlite_database", label, s.kind, "\"spin\""));
                }
                let path = s.path.map(|p| base.join(p));
                Ok((label, StoreConfig { path }))
            })
            .collect::<Result<BTreeMap<_, _>, _>>()?;
        Ok(Self {
            key_value_stores,
            sqlite_databases,
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
            rc.key_value_stores["cache"],
            KeyValueConfig::Spin(StoreConfig {
                path: Some(PathBuf::from("/cfg/data/cache.db"))
            })
        );
        assert_eq!(
            rc.key_value_stores["scratch"],
            KeyValueConfig::Spin(StoreConfig { path: None })
        );
        assert_eq!(
            rc.sqlite_databases["reports"].path,
            Some(PathBuf::from("/abs/reports.db"))
        );
        Ok(())
    }

    #[test]
    fn reads_redis_stores_as_spin_writes_them() -> Result<(), RuntimeConfigError> {
        let rc = RuntimeConfig::parse(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:6379\"\n",
            Path::new("/"),
        )?;
        assert_eq!(
            rc.key_value_stores["default"],
            KeyValueConfig::Redis {
                url: "redis://127.0.0.1:6379".into()
            }
        );
        assert!(matches!(
            RuntimeConfig::parse("[key_value_store.x]\ntype = \"redis\"\n", Path::new("/")),
            Err(RuntimeConfigError::MissingUrl { label }) if label == "x"
        ));
        Ok(())
    }

    #[test]
    fn refuses_backends_devhost_cannot_provide() {
        let err = RuntimeConfig::parse(
            "[key_value_store.default]\ntype = \"azure_cosmos\"\n",
            Path::new("/"),
        );
        assert!(matches!(
            err,
            Err(RuntimeConfigError::UnsupportedType { kind, .. }) if kind == "azure_cosmos"
        ));
        let err = RuntimeConfig::parse(
            "[sqlite_database.default]\ntype = \"libsql\"\nurl = \"https://x\"\n",
            Path::new("/"),
        );
        assert!(matches!(
            err,
            Err(RuntimeConfigError::UnsupportedType { kind, .. }) if kind == "libsql"
        ));
    }
}
