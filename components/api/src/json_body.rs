//! Request bodies: strict JSON with errors that name the field at fault.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::problem::ApiError;

/// Parses `body` as `T` (whose types deny unknown fields). The body must be one JSON object
/// (serde would otherwise read a struct from an array, by position). Errors are 400s naming
/// the JSON path (`expiry_date`, `elements[0].price`) and what is wrong with it.
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::bad_request(
            "invalid request body: it must be a JSON object",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ApiError::bad_request(if path == "." {
            format!("invalid request body: {inner}")
        } else {
            format!("invalid field `{path}`: {inner}")
        })
    })
}

/// For `Option<Option<T>>` fields with `#[serde(default)]`: absent is `None` (leave as is),
/// `null` is `Some(None)` (clear), a value is `Some(Some(v))`.
pub(crate) fn present<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        #[serde(default, deserialize_with = "present")]
        note: Option<Option<String>>,
    }

    fn detail(body: &str) -> String {
        match parse::<Body>(body.as_bytes()).unwrap_err() {
            ApiError::BadRequest(detail) => detail,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_field_or_the_syntax_problem() {
        assert!(detail(r#"{"name":"a","nmae":"b"}"#)
            .starts_with("invalid field `nmae`: unknown field `nmae`"));
        assert!(
            detail(r#"{"name":1}"#).starts_with("invalid field `name`: invalid type: integer `1`")
        );
        assert!(detail(r#"{"name":"a""#).starts_with("the request body is not valid JSON"));
        assert!(detail(r#"{"name":"a"} x"#).starts_with("the request body is not valid JSON"));
        assert!(detail(r#"["a"]"#).starts_with("invalid request body: it must be a JSON object"));
        assert!(detail("{}").contains("missing field `name`"));
    }

    #[test]
    fn absent_null_and_value_are_told_apart() {
        let note = |json: &str| parse::<Body>(json.as_bytes()).unwrap().note;
        assert_eq!(note(r#"{"name":"a"}"#), None);
        assert_eq!(note(r#"{"name":"a","note":null}"#), Some(None));
        assert_eq!(note(r#"{"name":"a","note":"n"}"#), Some(Some("n".into())));
    }
}
