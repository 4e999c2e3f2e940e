//! `GET /api/v1/command-actions`: the actions an operator may send, per OCPP version, with
//! the role each needs; derived from the operations registry, so a client such as the
//! dashboard offers exactly what `POST .../commands/{action}` accepts.

use csms_commands::operations;
use ocpp_protocol::OcppVersion;
use serde::Serialize;

use crate::access::{self, Role};
use crate::problem::ApiError;
use crate::router::{Method, Resource};
use crate::Reply;

#[derive(Debug, Serialize)]
struct CommandAction {
    ocpp_version: &'static str,
    action: &'static str,
    required_role: &'static str,
}

pub(crate) fn list() -> Result<Reply, ApiError> {
    let mut items = Vec::new();
    for (version, name) in [
        (OcppVersion::V16, "ocpp1.6"),
        (OcppVersion::V201, "ocpp2.0.1"),
    ] {
        for action in operations::catalogue(version) {
            let role: Role = access::required(Resource::ChargePointCommand, Method::Post, action);
            items.push(CommandAction {
                ocpp_version: name,
                action,
                required_role: role.as_str(),
            });
        }
    }
    Reply::ok(&serde_json::json!({ "items": items }))
}

#[cfg(test)]
mod tests {
    use crate::test_support::Bench;

    #[test]
    fn each_version_lists_its_own_names_with_their_role() {
        let bench = Bench::new();
        let answer = bench.call("GET", "/api/v1/command-actions", "");
        assert_eq!(answer.status, 200, "{}", answer.body);
        let items = answer.body["items"].as_array().unwrap();
        let find = |version: &str, action: &str| {
            items
                .iter()
                .find(|i| i["ocpp_version"] == version && i["action"] == action)
                .map(|i| i["required_role"].as_str().unwrap().to_owned())
        };
        assert_eq!(
            find("ocpp1.6", "RemoteStartTransaction").as_deref(),
            Some("operator")
        );
        assert_eq!(
            find("ocpp2.0.1", "RequestStartTransaction").as_deref(),
            Some("operator")
        );
        assert_eq!(find("ocpp2.0.1", "RemoteStartTransaction"), None);
        assert_eq!(
            find("ocpp2.0.1", "InstallCertificate").as_deref(),
            Some("admin")
        );
        assert_eq!(find("ocpp1.6", "Reset").as_deref(), Some("operator"));
    }
}
