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
    fn openapi_is_3_1_and_every_protected_operation_documents_its_role_401_and_403() {
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
                    assert_eq!(
                        operation["x-required-role"],
                        crate::access::required(route.resource, *method, "").as_str(),
                        "{} {}",
                        method.as_str(),
                        route.path
                    );
                    if route.resource == Resource::ChargePointCommand {
                        let mut admin: Vec<&str> = csms_commands::operations::OPERATIONS
                            .iter()
                            .filter(|o| o.changes_trust)
                            .flat_map(|o| [o.v16, o.v201])
                            .flatten()
                            .collect();
                        admin.sort_unstable();
                        admin.dedup();
                        assert_eq!(operation["x-admin-actions"], serde_json::json!(admin));
                        assert!(admin.iter().all(|a| crate::access::required(
                            route.resource,
                            *method,
                            a
                        ) == crate::access::Role::Admin));
                    }
                    // 401 without the token, 403 without the role, 400 for an unknown query
                    // parameter.
                    for status in ["400", "401", "403"] {
                        assert!(
                            operation["responses"][status].is_object(),
                            "{} {status}",
                            route.path
                        );
                    }
                }
            }
        }
    }

    /// The parameters of an operation, path-level ones included, references resolved.
    fn parameters(doc: &Value, path: &str, method: &str) -> Vec<Value> {
        let item = &doc["paths"][path];
        let listed = |v: &Value| v.as_array().cloned().unwrap_or_default();
        listed(&item["parameters"])
            .into_iter()
            .chain(listed(&item[method]["parameters"]))
            .map(|p| match p["$ref"].as_str() {
                Some(r) => doc.pointer(r.strip_prefix('#').unwrap()).unwrap().clone(),
                None => p,
            })
            .collect()
    }

    fn names(parameters: &[Value], location: &str) -> BTreeSet<String> {
        parameters
            .iter()
            .filter(|p| p["in"] == location)
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn documented_parameters_are_exactly_those_the_handlers_read() {
        let doc = document();
        for route in ROUTES {
            let in_template: BTreeSet<String> = route
                .path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .map(str::to_owned)
                .collect();
            for method in route.methods {
                let m = method.as_str().to_ascii_lowercase();
                let parameters = parameters(&doc, route.path, &m);
                assert_eq!(names(&parameters, "path"), in_template, "{}", route.path);
                let read: BTreeSet<String> = crate::query_params(route.resource, *method)
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect();
                assert_eq!(
                    names(&parameters, "query"),
                    read,
                    "{} {}",
                    method.as_str(),
                    route.path
                );
                for p in &parameters {
                    assert_eq!(p["required"], p["in"] == "path", "{} {p}", route.path);
                }
            }
        }
    }

    /// The schema of query parameter `name` of `GET path`.
    fn query_schema(doc: &Value, path: &str, name: &str) -> Value {
        let schema = parameters(doc, path, "get")
            .into_iter()
            .find(|p| p["name"] == name && p["in"] == "query")
            .unwrap_or_else(|| panic!("{path} has no {name}"))["schema"]
            .clone();
        match schema["$ref"].as_str() {
            Some(r) => doc.pointer(r.strip_prefix('#').unwrap()).unwrap().clone(),
            None => schema,
        }
    }

    #[test]
    fn documented_values_are_those_the_handlers_accept() {
        let doc = document();
        let enums = [
            (
                "/api/v1/charge-points",
                "status",
                &crate::charge_point_list::CONNECTOR_STATUSES[..],
            ),
            (
                "/api/v1/charge-points",
                "registration_status",
                &crate::charge_point_list::REGISTRATION_STATUSES[..],
            ),
            ("/api/v1/id-tags", "status", &crate::id_tags::STATUSES[..]),
            (
                "/api/v1/transactions",
                "state",
                &crate::transactions::STATES[..],
            ),
            (
                "/api/v1/charge-points/{id}/commands",
                "state",
                &crate::commands::STATES[..],
            ),
        ];
        for (path, name, accepted) in enums {
            assert_eq!(
                query_schema(&doc, path, name)["enum"],
                serde_json::json!(accepted),
                "{path} {name}"
            );
        }
        for route in ROUTES {
            if !crate::query_params(route.resource, crate::router::Method::Get).contains(&"limit") {
                continue;
            }
            let limit = query_schema(&doc, route.path, "limit");
            let (default, max) = if route.resource == Resource::CdrsCsv {
                (crate::cdrs::CSV_MAX_ROWS, crate::cdrs::CSV_MAX_ROWS)
            } else {
                (
                    crate::pagination::DEFAULT_LIMIT,
                    crate::pagination::MAX_LIMIT,
                )
            };
            assert_eq!(limit["minimum"], 1, "{}", route.path);
            assert_eq!(limit["maximum"], max, "{}", route.path);
            assert_eq!(limit["default"], default, "{}", route.path);
            let page = &doc["paths"][route.path]["get"]["responses"]["200"]["content"];
            if route.resource != Resource::CdrsCsv {
                let schema = page["application/json"]["schema"]["$ref"].as_str().unwrap();
                let schema = doc.pointer(schema.strip_prefix('#').unwrap()).unwrap();
                assert_eq!(
                    schema["required"],
                    serde_json::json!(["items", "next_cursor"]),
                    "{}",
                    route.path
                );
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
