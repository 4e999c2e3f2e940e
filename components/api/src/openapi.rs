//! The OpenAPI 3.1 document (`openapi.json` beside this file), served as is.

use crate::Response;

/// The OpenAPI 3.1 description of every route in [`crate::router::ROUTES`].
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

pub(crate) fn response() -> Response {
    Response::new(200, "application/json", OPENAPI_JSON.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;
    use crate::router::{Resource, ROUTES};

    const METHODS: &[&str] = &[
        "get", "put", "post", "delete", "patch", "head", "options", "trace",
    ];

    fn document() -> Value {
        serde_json::from_str(OPENAPI_JSON).unwrap()
    }

    #[test]
    fn openapi_lists_every_route() {
        let doc = document();
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .filter(|k| METHODS.contains(&k.as_str()))
                    .map(move |m| (path.clone(), m.to_ascii_uppercase()))
            })
            .collect();
        let routed: BTreeSet<(String, String)> = ROUTES
            .iter()
            .flat_map(|r| {
                r.methods
                    .iter()
                    .map(|m| (r.path.to_owned(), m.as_str().to_owned()))
            })
            .collect();
        assert_eq!(documented, routed);
    }

    #[test]
    fn openapi_is_3_1_and_every_protected_operation_documents_401() {
        let doc = document();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));
        assert_eq!(doc["security"], serde_json::json!([{ "bearer": [] }]));
        for route in ROUTES {
            for method in route.methods {
                let operation = &doc["paths"][route.path][method.as_str().to_ascii_lowercase()];
                assert!(
                    operation["operationId"].is_string(),
                    "{} {}",
                    route.path,
                    method.as_str()
                );
                let public = route.resource == Resource::OpenApi;
                assert_eq!(
                    operation["security"] == serde_json::json!([]),
                    public,
                    "{}",
                    route.path
                );
                if !public {
                    assert!(operation["responses"]["401"].is_object(), "{}", route.path);
                }
            }
        }
    }

    #[test]
    fn every_schema_reference_resolves() {
        let doc = document();
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        assert!(!refs.is_empty());
        for reference in refs {
            let pointer = reference.strip_prefix('#').unwrap();
            assert!(
                doc.pointer(pointer).is_some(),
                "{reference} does not resolve"
            );
        }
    }

    fn collect_refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    match (key.as_str(), v) {
                        ("$ref", Value::String(r)) => out.push(r.clone()),
                        _ => collect_refs(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
            _ => {}
        }
    }
}
