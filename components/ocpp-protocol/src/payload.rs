//! Turning a JSON payload into a typed message, with every failure mapped to
//! the OCPP error code that names it.
//!
//! Three checks run in order, each catching what the previous cannot:
//! 1. serde into the `ocpp-types` struct: missing fields, wrong JSON types,
//!    unknown enum values, strings over their `maxLength`, bad timestamps;
//! 2. `ocpp-types`' `Validate`: numeric bounds, `minItems`, long bounded text;
//! 3. a key-by-key comparison of the input with the typed value written back,
//!    which finds properties the schema does not allow (`additionalProperties:
//!    false` in every OCA schema) without a second copy of the schemas.

use crate::{ErrorCode, OcppVersion};
use ocpp_types::validate::{ConstraintClass, Validate};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// A payload that does not satisfy its message's schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct PayloadError {
    pub code: ErrorCode,
    /// Names the offending field by its JSON path.
    pub description: String,
}

impl PayloadError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }
}

/// Objects whose content the schemas leave open: vendor `customData` in 2.x
/// and 2.x `DataTransfer.data`.
const OPEN_OBJECTS: &[&str] = &["customData"];

/// A `maxLength` where the official OCA schemas and `ocpp-types` disagree; the
/// schema wins. Found by the schema conformance test in `tests/conformance`.
struct SchemaBound {
    version: OcppVersion,
    action: &'static str,
    kind: Kind,
    property: &'static str,
    max_chars: usize,
}

const SCHEMA_BOUNDS: &[SchemaBound] = &[
    // ocpp-types allows 255; the 1.6 security extension's schema says 50.
    SchemaBound {
        version: OcppVersion::V16,
        action: "SecurityEventNotification",
        kind: Kind::Request,
        property: "type",
        max_chars: 50,
    },
    // ocpp-types allows 5600; the 2.0.1 schema (with errata) allows 7500.
    SchemaBound {
        version: OcppVersion::V201,
        action: "Get15118EVCertificate",
        kind: Kind::Response,
        property: "exiResponse",
        max_chars: 7500,
    },
];

/// Whether a payload is a CALL's or a CALLRESULT's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Request,
    Response,
}

/// Decodes and validates `payload` as the `kind` payload of `action`.
pub(crate) fn decode<T>(
    version: OcppVersion,
    action: &str,
    kind: Kind,
    payload: &Value,
) -> Result<T, PayloadError>
where
    T: DeserializeOwned + Serialize + Validate,
{
    let bounds: Vec<&SchemaBound> = SCHEMA_BOUNDS
        .iter()
        .filter(|b| b.version == version && b.action == action && b.kind == kind)
        .collect();
    for bound in &bounds {
        if let Some(Value::String(text)) = payload.get(bound.property) {
            let len = text.chars().count();
            if len > bound.max_chars {
                return Err(PayloadError::new(
                    ErrorCode::PropertyConstraintViolation,
                    format!(
                        "{}: expected at most {} characters, got {len}",
                        bound.property, bound.max_chars
                    ),
                ));
            }
        }
    }
    if !payload.is_object() {
        return Err(PayloadError::new(
            ErrorCode::FormatViolation,
            "payload is not a JSON object",
        ));
    }
    let typed: T = serde_path_to_error::deserialize(payload).map_err(|e| classify(payload, &e))?;
    let typed = in_utc::<T>(payload).unwrap_or(typed);
    let overridden = |e: &ocpp_types::validate::ValidationError| {
        matches!(
            e.kind(),
            ocpp_types::validate::ValidationErrorKind::TooLong { .. }
        ) && bounds
            .iter()
            .any(|b| e.path() == [ocpp_types::validate::PathSegment::Field(b.property)])
    };
    if let Err(e) = typed.validate() {
        if !overridden(&e) {
            let code = match e.kind().constraint_class() {
                ConstraintClass::Property => ErrorCode::PropertyConstraintViolation,
                ConstraintClass::Occurrence => ErrorCode::OccurrenceConstraintViolation,
            };
            return Err(PayloadError::new(code, e.to_string()));
        }
    }
    let written = serde_json::to_value(&typed).map_err(|e| {
        PayloadError::new(
            ErrorCode::InternalError,
            format!("re-encoding payload: {e}"),
        )
    })?;
    if let Some(problem) = first_unexpected_property(payload, &written, &mut String::new()) {
        return Err(problem);
    }
    Ok(typed)
}

/// Writes a typed message as its JSON payload.
pub(crate) fn encode<T: Serialize>(message: &T) -> Value {
    // ocpp-types' structs hold only strings, numbers, enums, options and
    // vectors, which serde_json always encodes.
    serde_json::to_value(message).unwrap_or(Value::Null)
}

/// Re-decodes `payload` with every date-time written in UTC, so that a message
/// is always emitted with `Z` whatever offset the charge point used.
///
/// Which strings are date-times only the message type knows; a string counts
/// as one when replacing it with a non-date makes decoding fail right there.
/// Only strings written with a non-zero offset are tried, so the usual `Z`
/// timestamps cost nothing. A field's type does not depend on its array index,
/// so each field is tried once however many array items hold it: a MeterValues
/// of a thousand samples with offsets costs one probe, not a thousand re-decodes
/// of the whole payload. Returns `None` when nothing needs rewriting.
fn in_utc<T: DeserializeOwned>(payload: &Value) -> Option<T> {
    let mut candidates = Vec::new();
    collect_offset_timestamps(payload, &mut Vec::new(), &mut candidates);
    if candidates.is_empty() {
        return None;
    }
    let mut normalised = payload.clone();
    let mut known: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
    for (path, utc) in candidates {
        let shape = render_shape(&path);
        let is_date_time = match known.get(&shape) {
            Some(&known) => known,
            None => {
                let mut probe = payload.clone();
                *leaf_mut(&mut probe, &path)? = Value::String("not a date-time".into());
                let is = match serde_path_to_error::deserialize::<_, T>(&probe) {
                    Err(e) => e.path().to_string() == render_path(&path),
                    Ok(_) => false,
                };
                known.insert(shape, is);
                is
            }
        };
        if is_date_time {
            *leaf_mut(&mut normalised, &path)? = Value::String(utc);
        }
    }
    serde_path_to_error::deserialize(&normalised).ok()
}

#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn collect_offset_timestamps(
    value: &Value,
    path: &mut Vec<Step>,
    out: &mut Vec<(Vec<Step>, String)>,
) {
    match value {
        Value::String(text) => {
            if let Ok(t) = ocpp_types::OcppTimestamp::parse_rfc3339(text) {
                if t.utc_offset_minutes() != 0 {
                    out.push((
                        path.clone(),
                        crate::timestamp::format_utc(crate::timestamp::to_utc(t)),
                    ));
                }
            }
        }
        Value::Object(map) => {
            for (key, v) in map {
                path.push(Step::Key(key.clone()));
                collect_offset_timestamps(v, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(Step::Index(i));
                collect_offset_timestamps(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn leaf_mut<'a>(root: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(root, |node, step| match step {
        Step::Key(k) => node.get_mut(k.as_str()),
        Step::Index(i) => node.get_mut(*i),
    })
}

/// The path as serde_path_to_error writes it (`a.b[0].c`).
fn render_path(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The path with its array indices left out (`a.b[].c`): what the schema types.
fn render_shape(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(_) => out.push_str("[]"),
        }
    }
    out
}

fn classify(payload: &Value, e: &serde_path_to_error::Error<serde_json::Error>) -> PayloadError {
    let path = e.path().to_string();
    let inner = e.inner().to_string();
    let at = |p: &str| {
        if p == "." || p.is_empty() {
            String::new()
        } else {
            format!(" at {p}")
        }
    };
    if let Some(field) = backticked(&inner, "missing field `") {
        let full = if path == "." {
            field.to_owned()
        } else {
            format!("{path}.{field}")
        };
        return PayloadError::new(
            ErrorCode::OccurrenceConstraintViolation,
            format!("required field {full} is missing"),
        );
    }
    if let Some(field) = backticked(&inner, "unknown field `") {
        return PayloadError::new(
            ErrorCode::FormatViolation,
            format!("property {field} is not allowed{}", at(&path)),
        );
    }
    let code = if inner.starts_with("invalid type") {
        ErrorCode::TypeConstraintViolation
    } else if inner.starts_with("invalid length")
        && value_at(payload, &path).is_some_and(Value::is_array)
    {
        ErrorCode::OccurrenceConstraintViolation
    } else {
        // invalid length of a string, invalid value (e.g. a negative count),
        // unknown variant of an enumeration, malformed date-time.
        ErrorCode::PropertyConstraintViolation
    };
    PayloadError::new(code, format!("{}: {inner}", path.trim_start_matches('.')))
}

fn backticked<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?;
    rest.split('`').next()
}

/// Follows a serde_path_to_error path (`a.b[2].c`) into `root`.
fn value_at<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let mut current = root;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, indices) = match part.find('[') {
            Some(i) => (part.get(..i)?, part.get(i..)?),
            None => (part, ""),
        };
        if !name.is_empty() {
            current = current.get(name)?;
        }
        for index in indices.split(['[', ']']).filter(|s| !s.is_empty()) {
            current = current.get(index.parse::<usize>().ok()?)?;
        }
    }
    Some(current)
}

fn first_unexpected_property(
    input: &Value,
    written: &Value,
    path: &mut String,
) -> Option<PayloadError> {
    match (input, written) {
        (Value::Object(inp), Value::Object(out)) => {
            for (key, value) in inp {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                let found = match out.get(key) {
                    None if value.is_null() => Some(PayloadError::new(
                        ErrorCode::TypeConstraintViolation,
                        format!("{path} is null; leave an optional field out instead"),
                    )),
                    None => Some(PayloadError::new(
                        ErrorCode::FormatViolation,
                        format!("property {path} is not allowed in this message"),
                    )),
                    Some(_) if OPEN_OBJECTS.contains(&key.as_str()) => None,
                    Some(out_value) => first_unexpected_property(value, out_value, path),
                };
                if found.is_some() {
                    return found;
                }
                path.truncate(len);
            }
            None
        }
        (Value::Array(inp), Value::Array(out)) => {
            inp.iter().zip(out).enumerate().find_map(|(i, (a, b))| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = first_unexpected_property(a, b, path);
                path.truncate(len);
                found
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_with_indices_are_followed() {
        let v = json!({"a": [{"b": [1, [2, 3]]}]});
        assert_eq!(value_at(&v, "a[0].b[1]"), Some(&json!([2, 3])));
        assert_eq!(value_at(&v, "."), Some(&v));
        assert_eq!(value_at(&v, "a[3]"), None);
    }
}
