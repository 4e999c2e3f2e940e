//! The routing table: every path the API answers and the methods each accepts.
//!
//! [`ROUTES`] is the single list; the OpenAPI document is checked against it by a test, so a
//! route cannot be added without being documented. Paths are matched segment by segment; a
//! `{name}` segment matches one non-empty segment, which is percent-decoded (`CP%20001` is the
//! id `CP 001`, `a%2Fb` the id `a/b`).

use percent_encoding::percent_decode_str;

use crate::problem::Problem;

/// The methods the API implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
    Post,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// What a route is about; [`crate::execute`] dispatches on it and the method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    OpenApi,
    /// The network at a glance: counts, today's energy and revenue, latest faults.
    Overview,
    /// The actions operators may send, per OCPP version, with the role each needs.
    CommandActions,
    /// The list of charge points.
    ChargePoints,
    ChargePoint,
    ChargePointTariff,
    /// A charge point's connectors and their current status.
    ChargePointConnectors,
    /// One connector's status changes, newest first.
    ConnectorStatusHistory,
    IdTags,
    IdTag,
    Tariffs,
    Tariff,
    /// The charge points a tariff is assigned to.
    TariffChargePoints,
    Transactions,
    Transaction,
    /// A transaction's meter samples, oldest first.
    TransactionMeterValues,
    /// An operator closing a transaction the charge point never stopped.
    TransactionClose,
    /// A charge point's reservations (ReserveNow accepted).
    ChargePointReservations,
    /// The local authorization list versions of a charge point.
    ChargePointLocalList,
    /// The entries of the local list a charge point holds.
    ChargePointLocalListEntries,
    /// Charge detail records as JSON.
    Cdrs,
    /// Charge detail records as CSV.
    CdrsCsv,
    /// `POST` one CSMS-initiated OCPP command to a charge point.
    ChargePointCommand,
    /// A charge point's commands, newest first.
    ChargePointCommands,
    Command,
    /// The configuration keys a charge point reported or accepted.
    ChargePointConfiguration,
    /// The device model a charge point reported.
    ChargePointVariables,
    /// `POST` a new Basic auth password to a charge point (rotation).
    ChargePointPassword,
    /// The charging profiles a charge point holds.
    ChargePointChargingProfiles,
    /// What a station reported with SecurityEventNotification and what the CSMS saw at its
    /// handshakes.
    ChargePointSecurityEvents,
    /// The certificates a station holds.
    ChargePointCertificates,
    /// Certificates of every station that expire soon.
    ExpiringCertificates,
    /// The operator API tokens; `POST` creates one.
    ApiTokens,
    /// `DELETE` revokes a token.
    ApiToken,
    /// Who changed what, newest first.
    AuditLog,
}

/// One path template and the methods it accepts.
#[derive(Debug)]
pub struct Route {
    /// As written in the OpenAPI document, e.g. `/api/v1/charge-points/{id}`.
    pub path: &'static str,
    pub methods: &'static [Method],
    pub resource: Resource,
}

impl Route {
    /// The method among this route's, spelled exactly as HTTP spells it (`GET`, not `get`).
    pub(crate) fn method(&self, requested: &str) -> Option<Method> {
        self.methods
            .iter()
            .copied()
            .find(|m| m.as_str() == requested)
    }

    fn allow(&self) -> String {
        self.methods
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Every route of the API.
pub const ROUTES: &[Route] = &[
    Route {
        path: "/api/v1/openapi.json",
        methods: &[Method::Get],
        resource: Resource::OpenApi,
    },
    Route {
        path: "/api/v1/overview",
        methods: &[Method::Get],
        resource: Resource::Overview,
    },
    Route {
        path: "/api/v1/command-actions",
        methods: &[Method::Get],
        resource: Resource::CommandActions,
    },
    Route {
        path: "/api/v1/charge-points",
        methods: &[Method::Get],
        resource: Resource::ChargePoints,
    },
    Route {
        path: "/api/v1/charge-points/{id}",
        methods: &[Method::Get, Method::Put, Method::Delete],
        resource: Resource::ChargePoint,
    },
    Route {
        path: "/api/v1/charge-points/{id}/tariff",
        methods: &[Method::Put],
        resource: Resource::ChargePointTariff,
    },
    Route {
        path: "/api/v1/charge-points/{id}/connectors",
        methods: &[Method::Get],
        resource: Resource::ChargePointConnectors,
    },
    Route {
        path: "/api/v1/charge-points/{id}/connectors/{connectorId}/status-history",
        methods: &[Method::Get],
        resource: Resource::ConnectorStatusHistory,
    },
    Route {
        path: "/api/v1/id-tags",
        methods: &[Method::Get],
        resource: Resource::IdTags,
    },
    Route {
        path: "/api/v1/id-tags/{idTag}",
        methods: &[Method::Get, Method::Put, Method::Delete],
        resource: Resource::IdTag,
    },
    Route {
        path: "/api/v1/tariffs",
        methods: &[Method::Get],
        resource: Resource::Tariffs,
    },
    Route {
        path: "/api/v1/tariffs/{id}",
        methods: &[Method::Get, Method::Put, Method::Delete],
        resource: Resource::Tariff,
    },
    Route {
        path: "/api/v1/tariffs/{id}/charge-points",
        methods: &[Method::Get],
        resource: Resource::TariffChargePoints,
    },
    Route {
        path: "/api/v1/transactions",
        methods: &[Method::Get],
        resource: Resource::Transactions,
    },
    Route {
        path: "/api/v1/transactions/{id}",
        methods: &[Method::Get],
        resource: Resource::Transaction,
    },
    Route {
        path: "/api/v1/transactions/{id}/close",
        methods: &[Method::Post],
        resource: Resource::TransactionClose,
    },
    Route {
        path: "/api/v1/transactions/{id}/meter-values",
        methods: &[Method::Get],
        resource: Resource::TransactionMeterValues,
    },
    Route {
        path: "/api/v1/cdrs",
        methods: &[Method::Get],
        resource: Resource::Cdrs,
    },
    Route {
        path: "/api/v1/cdrs.csv",
        methods: &[Method::Get],
        resource: Resource::CdrsCsv,
    },
    Route {
        path: "/api/v1/charge-points/{id}/commands/{action}",
        methods: &[Method::Post],
        resource: Resource::ChargePointCommand,
    },
    Route {
        path: "/api/v1/charge-points/{id}/commands",
        methods: &[Method::Get],
        resource: Resource::ChargePointCommands,
    },
    Route {
        path: "/api/v1/charge-points/{id}/reservations",
        methods: &[Method::Get],
        resource: Resource::ChargePointReservations,
    },
    Route {
        path: "/api/v1/charge-points/{id}/local-list",
        methods: &[Method::Get],
        resource: Resource::ChargePointLocalList,
    },
    Route {
        path: "/api/v1/charge-points/{id}/local-list/entries",
        methods: &[Method::Get],
        resource: Resource::ChargePointLocalListEntries,
    },
    Route {
        path: "/api/v1/charge-points/{id}/configuration",
        methods: &[Method::Get],
        resource: Resource::ChargePointConfiguration,
    },
    Route {
        path: "/api/v1/charge-points/{id}/variables",
        methods: &[Method::Get],
        resource: Resource::ChargePointVariables,
    },
    Route {
        path: "/api/v1/charge-points/{id}/charging-profiles",
        methods: &[Method::Get],
        resource: Resource::ChargePointChargingProfiles,
    },
    Route {
        path: "/api/v1/charge-points/{id}/password",
        methods: &[Method::Post],
        resource: Resource::ChargePointPassword,
    },
    Route {
        path: "/api/v1/charge-points/{id}/certificates",
        methods: &[Method::Get],
        resource: Resource::ChargePointCertificates,
    },
    Route {
        path: "/api/v1/certificates/expiring",
        methods: &[Method::Get],
        resource: Resource::ExpiringCertificates,
    },
    Route {
        path: "/api/v1/charge-points/{id}/security-events",
        methods: &[Method::Get],
        resource: Resource::ChargePointSecurityEvents,
    },
    Route {
        path: "/api/v1/commands/{id}",
        methods: &[Method::Get],
        resource: Resource::Command,
    },
    Route {
        path: "/api/v1/api-tokens",
        methods: &[Method::Get, Method::Post],
        resource: Resource::ApiTokens,
    },
    Route {
        path: "/api/v1/api-tokens/{name}",
        methods: &[Method::Delete],
        resource: Resource::ApiToken,
    },
    Route {
        path: "/api/v1/audit-log",
        methods: &[Method::Get],
        resource: Resource::AuditLog,
    },
];

/// A path matched to a route, with its parameters decoded: `param` is the first (empty when
/// the route has none), `sub` the second (`{action}`, `{connectorId}`; empty when it has no
/// second).
#[derive(Debug)]
pub(crate) struct Matched {
    pub(crate) route: &'static Route,
    pub(crate) param: String,
    pub(crate) sub: String,
}

/// Finds the route of `path` (without query string): 404 when none matches, 400 when the
/// parameter is not UTF-8 once decoded.
pub(crate) fn resolve(path: &str) -> Result<Matched, Problem> {
    for route in ROUTES {
        if let Some(mut params) = match_template(route.path, path)? {
            let sub = params.get(1).cloned().unwrap_or_default();
            let param = params.drain(..).next().unwrap_or_default();
            return Ok(Matched { route, param, sub });
        }
    }
    Err(Problem::new(
        404,
        format!("no resource at {path}; see /api/v1/openapi.json for the routes"),
    ))
}

fn match_template(template: &str, path: &str) -> Result<Option<Vec<String>>, Problem> {
    let mut wanted = template.split('/');
    let mut given = path.split('/');
    let mut params = Vec::new();
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Ok(Some(params)),
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') => {
                if g.is_empty() {
                    return Ok(None);
                }
                let param = percent_decode_str(g)
                    .decode_utf8()
                    .map_err(|_| {
                        Problem::new(
                            400,
                            format!("path segment {g:?} is not UTF-8 once percent-decoded"),
                        )
                    })?
                    .into_owned();
                params.push(param);
            }
            (Some(w), Some(g)) if w == g => {}
            _ => return Ok(None),
        }
    }
}

/// 405 with the `Allow` header listing what the route accepts.
pub(crate) fn method_not_allowed(route: &Route, method: &str) -> Problem {
    let allow = route.allow();
    Problem::new(
        405,
        format!(
            "{method} is not supported on {}; allowed: {allow}",
            route.path
        ),
    )
    .with_header("allow", allow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(path: &str) -> (Resource, String) {
        let m = resolve(path).unwrap();
        (m.route.resource, m.param)
    }

    #[test]
    fn ids_are_percent_decoded() {
        assert_eq!(
            resolved("/api/v1/charge-points/CP%20001"),
            (Resource::ChargePoint, "CP 001".to_owned())
        );
        assert_eq!(
            resolved("/api/v1/id-tags/a%2Fb"),
            (Resource::IdTag, "a/b".to_owned())
        );
        assert_eq!(
            resolved("/api/v1/charge-points/CP1/tariff"),
            (Resource::ChargePointTariff, "CP1".to_owned())
        );
        let m = resolve("/api/v1/charge-points/CP%201/commands/Reset").unwrap();
        assert_eq!(
            (m.route.resource, m.param.as_str(), m.sub.as_str()),
            (Resource::ChargePointCommand, "CP 1", "Reset")
        );
        assert_eq!(
            resolved("/api/v1/charge-points/CP1/commands"),
            (Resource::ChargePointCommands, "CP1".to_owned())
        );
        assert_eq!(
            resolved("/api/v1/openapi.json"),
            (Resource::OpenApi, String::new())
        );
        assert_eq!(
            resolved("/api/v1/charge-points"),
            (Resource::ChargePoints, String::new())
        );
        assert_eq!(
            resolved("/api/v1/cdrs.csv"),
            (Resource::CdrsCsv, String::new())
        );
        let m = resolve("/api/v1/charge-points/CP1/connectors/2/status-history").unwrap();
        assert_eq!(
            (m.route.resource, m.param.as_str(), m.sub.as_str()),
            (Resource::ConnectorStatusHistory, "CP1", "2")
        );
    }

    #[test]
    fn unknown_paths_and_empty_ids_are_404() {
        for path in [
            "/api/v1/charge-points/",
            "/api/v1/charge-points//connectors",
            "/api/v1/cdrs.json",
            "/api/v1/charge-points/CP1/",
            "/api/v1/charge-points/CP1/tariff/x",
            "/api/v1/widgets/1",
            "/api/v2/tariffs/t",
            "/",
        ] {
            assert_eq!(resolve(path).unwrap_err().response().status, 404, "{path}");
        }
    }

    #[test]
    fn ids_that_are_not_utf8_are_400() {
        assert_eq!(
            resolve("/api/v1/tariffs/%FF")
                .unwrap_err()
                .response()
                .status,
            400
        );
    }

    #[test]
    fn wrong_method_is_405_with_allow() {
        let route = resolve("/api/v1/transactions/1").unwrap().route;
        assert_eq!(route.method("DELETE"), None);
        let response = method_not_allowed(route, "DELETE").response();
        assert_eq!(response.status, 405);
        assert_eq!(response.header("allow"), Some("GET"));
    }
}
