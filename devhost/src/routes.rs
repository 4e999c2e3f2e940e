//! HTTP route matching with Spin's rules.
//!
//! A route is exact (`/api/health`), may hold single-segment wildcards
//! (`/users/:id`, exposed as `spin-path-match-id`), and may end in a trailing
//! wildcard `/...` (`/ocpp/...` matches `/ocpp`, `/ocpp/` and `/ocpp/CP001`).
//! The most specific route wins, compared segment by segment: a literal
//! segment beats `:name`, which beats the trailing wildcard, and an exact
//! route beats a wildcard that also matches. When two triggers use the same
//! route the later one wins (with a warning), as in Spin. Private routes are
//! not in the table: those components are only reachable through
//! `*.spin.internal`.

use crate::manifest::{HttpTrigger, TriggerRoute};

/// A matched route, with the values Spin puts in the `spin-*` request headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    pub component_id: String,
    /// The route as written in the manifest (`spin-matched-route`, `spin-raw-component-route`).
    pub raw_route: String,
    /// The route without the `/...` suffix (`spin-component-route`).
    pub component_route: String,
    /// The rest of the path after the matched segments (`spin-path-info`).
    pub path_info: String,
    /// `:name` captures (`spin-path-match-<name>`).
    pub captures: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

#[derive(Debug, Clone)]
struct Entry {
    raw: String,
    segments: Vec<Segment>,
    wildcard: bool,
    component_id: String,
}

impl Entry {
    fn parse(raw: &str, component_id: &str) -> Self {
        let (body, wildcard) = match raw.strip_suffix("/...") {
            Some(prefix) => (prefix, true),
            None if raw == "..." => ("", true),
            None => (raw, false),
        };
        let segments = body
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| match s.strip_prefix(':') {
                Some(name) => Segment::Param(name.to_string()),
                None => Segment::Literal(s.to_string()),
            })
            .collect();
        Self {
            raw: raw.to_string(),
            segments,
            wildcard,
            component_id: component_id.to_string(),
        }
    }

    /// Specificity ranks, compared lexicographically (higher wins).
    fn rank(&self) -> Vec<u8> {
        let mut r: Vec<u8> = self
            .segments
            .iter()
            .map(|s| match s {
                Segment::Literal(_) => 3,
                Segment::Param(_) => 2,
            })
            .collect();
        r.push(if self.wildcard { 1 } else { 4 });
        r
    }

    /// Matches `path`; returns the byte length of the consumed prefix and captures.
    fn matches(&self, path: &str) -> Option<(usize, Vec<(String, String)>)> {
        let mut consumed = 0;
        let mut captures = Vec::new();
        let mut rest = path;
        for seg in &self.segments {
            let after_slash = rest.strip_prefix('/')?;
            let len = after_slash.find('/').unwrap_or(after_slash.len());
            let value = &after_slash[..len];
            match seg {
                Segment::Literal(l) if l == value => {}
                Segment::Param(name) if !value.is_empty() => {
                    captures.push((name.clone(), value.to_string()));
                }
                _ => return None,
            }
            consumed += 1 + len;
            rest = &after_slash[len..];
        }
        // An exact route tolerates one trailing slash; a wildcard takes anything.
        if self.wildcard || rest.is_empty() || rest == "/" {
            Some((consumed, captures))
        } else {
            None
        }
    }
}

/// The routing table built from `[[trigger.http]]`.
#[derive(Debug, Clone, Default)]
pub struct Router {
    entries: Vec<Entry>,
}

impl Router {
    /// Builds the table; when a route appears twice the later trigger wins,
    /// and the caller is told about the replaced one.
    pub fn new(triggers: &[HttpTrigger]) -> (Self, Vec<String>) {
        let mut entries: Vec<Entry> = Vec::new();
        let mut warnings = Vec::new();
        for t in triggers {
            let TriggerRoute::Path(raw) = &t.route else {
                continue;
            };
            let entry = Entry::parse(raw, &t.component);
            if let Some(existing) = entries
                .iter_mut()
                .find(|e| e.segments == entry.segments && e.wildcard == entry.wildcard)
            {
                warnings.push(format!(
                    "duplicate route '{raw}': component '{}' replaces component '{}'",
                    t.component, existing.component_id
                ));
                *existing = entry;
                continue;
            }
            entries.push(entry);
        }
        (Self { entries }, warnings)
    }

    /// Finds the most specific route for a request path (no query string).
    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        type Candidate<'a> = (&'a Entry, Vec<u8>, usize, Vec<(String, String)>);
        let mut best: Option<Candidate<'_>> = None;
        for e in &self.entries {
            let Some((consumed, captures)) = e.matches(path) else {
                continue;
            };
            let rank = e.rank();
            if best.as_ref().is_none_or(|(_, r, _, _)| rank > *r) {
                best = Some((e, rank, consumed, captures));
            }
        }
        best.map(|(e, _, consumed, captures)| RouteMatch {
            component_id: e.component_id.clone(),
            raw_route: e.raw.clone(),
            component_route: e.raw.strip_suffix("/...").unwrap_or(&e.raw).to_string(),
            path_info: if e.wildcard {
                path[consumed..].to_string()
            } else {
                String::new()
            },
            captures,
        })
    }

    /// The route a service-chaining request gets: Spin treats it as matched
    /// by `/...`, whatever the component's own route is.
    pub fn chained_route(component_id: &str, path: &str) -> RouteMatch {
        RouteMatch {
            component_id: component_id.to_string(),
            raw_route: "/...".to_string(),
            component_route: String::new(),
            path_info: path.to_string(),
            captures: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        let triggers: Vec<HttpTrigger> = routes
            .iter()
            .map(|(r, c)| HttpTrigger {
                route: if *r == "private" {
                    TriggerRoute::Private
                } else {
                    TriggerRoute::Path(r.to_string())
                },
                component: c.to_string(),
            })
            .collect();
        Router::new(&triggers).0
    }

    #[test]
    fn wildcard_sets_component_route_and_path_info() {
        let r = router(&[("/ocpp/...", "conn")]);
        let m = r.route("/ocpp/CP001");
        assert_eq!(
            m,
            Some(RouteMatch {
                component_id: "conn".into(),
                raw_route: "/ocpp/...".into(),
                component_route: "/ocpp".into(),
                path_info: "/CP001".into(),
                captures: vec![],
            })
        );
        assert_eq!(r.route("/ocpp").map(|m| m.path_info), Some(String::new()));
        assert_eq!(r.route("/ocpp/").map(|m| m.path_info), Some("/".into()));
        assert_eq!(
            r.route("/ocpp/a/b/").map(|m| m.path_info),
            Some("/a/b/".into())
        );
        assert_eq!(r.route("/ocppx"), None);
    }

    #[test]
    fn most_specific_route_wins() {
        let r = router(&[
            ("/...", "root"),
            ("/api/...", "api"),
            ("/api/v1/...", "v1"),
            ("/api/v1/health", "health"),
        ]);
        let id = |p: &str| r.route(p).map(|m| m.component_id);
        assert_eq!(id("/index.html").as_deref(), Some("root"));
        assert_eq!(id("/api/x").as_deref(), Some("api"));
        assert_eq!(id("/api/v1/cp").as_deref(), Some("v1"));
        assert_eq!(id("/api/v1/health").as_deref(), Some("health"));
        assert_eq!(
            r.route("/anything")
                .map(|m| (m.component_route, m.path_info)),
            Some((String::new(), "/anything".to_string()))
        );
    }

    #[test]
    fn exact_route_does_not_match_subpaths() {
        let r = router(&[("/hello", "h")]);
        assert!(r.route("/hello").is_some());
        assert!(r.route("/hello/x").is_none());
    }

    #[test]
    fn private_routes_are_not_routable() {
        let r = router(&[("private", "authz"), ("/ocpp/...", "conn")]);
        assert!(r.route("/authz").is_none());
        let m = Router::chained_route("authz", "/check");
        assert_eq!(m.path_info, "/check");
        assert_eq!(m.raw_route, "/...");
    }

    #[test]
    fn named_segments_capture_and_rank_between_literal_and_wildcard() {
        let r = router(&[
            ("/users/...", "any"),
            ("/users/:id", "one"),
            ("/users/me", "me"),
            ("/users/:id/...", "sub"),
        ]);
        let m = r.route("/users/42");
        assert_eq!(m.as_ref().map(|m| m.component_id.as_str()), Some("one"));
        assert_eq!(
            m.map(|m| m.captures),
            Some(vec![("id".to_string(), "42".to_string())])
        );
        assert_eq!(
            r.route("/users/me").map(|m| m.component_id).as_deref(),
            Some("me")
        );
        let m = r.route("/users/42/cars");
        assert_eq!(
            m.as_ref().map(|m| (
                m.component_id.as_str(),
                m.component_route.as_str(),
                m.path_info.as_str()
            )),
            Some(("sub", "/users/:id", "/cars"))
        );
        assert_eq!(
            r.route("/users").map(|m| m.component_id).as_deref(),
            Some("any")
        );
    }

    #[test]
    fn duplicate_routes_warn_and_last_wins() {
        let triggers = vec![
            HttpTrigger {
                route: TriggerRoute::Path("/a".into()),
                component: "one".into(),
            },
            HttpTrigger {
                route: TriggerRoute::Path("/a".into()),
                component: "two".into(),
            },
        ];
        let (r, warnings) = Router::new(&triggers);
        assert_eq!(warnings.len(), 1);
        assert_eq!(
            r.route("/a").map(|m| m.component_id).as_deref(),
            Some("two")
        );
    }
}
