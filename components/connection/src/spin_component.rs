//! The Spin adapter: HTTP in, stores and service chaining from the host.

use crate::forward::{Chain, ForwardError};
use crate::{handle, Config, Env, GripRequest};
use anyhow::Context as _;
use csms_store::spin::{SpinKeyValue, SpinSql};
use serde_json::Value;
use spin_sdk::http::{IncomingRequest, IntoResponse, Request, Response, ResponseOutparam};
use spin_sdk::http_component;
use spin_sdk::variables;

struct SpinChain;

impl Chain for SpinChain {
    fn post_json(&self, url: &str, body: &Value) -> Result<(u16, Value), ForwardError> {
        csms_store::spin::post_json(url, body).map_err(|message| ForwardError::Transport {
            url: url.to_owned(),
            message,
        })
    }
}

fn variable(name: &str) -> anyhow::Result<Option<String>> {
    let value = variables::get(name).with_context(|| format!("reading variable {name}"))?;
    Ok((!value.is_empty()).then_some(value))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[http_component]
async fn handle_request(req: IncomingRequest, outparam: ResponseOutparam) {
    spin_response::serve(req, outparam, answer).await;
}

fn answer(req: Request) -> anyhow::Result<impl IntoResponse> {
    let grip_request = GripRequest {
        path: req.path().to_owned(),
        headers: req
            .headers()
            .filter_map(|(name, value)| Some((name.to_owned(), value.as_str()?.to_owned())))
            .collect(),
        body: req.body().to_vec(),
    };
    let config = Config::from_variables(
        variable("unknown_charge_points")?.as_deref(),
        variable("heartbeat_interval")?.as_deref(),
        variable("grip_sig_key")?.as_deref(),
    )?
    .with_command_timeout(variable("command_timeout_seconds")?.as_deref())?
    .with_client_certificate_organization(variable("client_certificate_organization")?.as_deref());
    // Variables few requests need are read only for those: the trusted CAs for a handshake
    // that forwards a client certificate, the CA's secret key for a SignCertificate.
    let config = if crate::transport::forwards_certificate(&grip_request) {
        config.with_client_ca_certificates(
            variable("client_ca_certificates")?.as_deref(),
            variable("station_ca_certificate")?.as_deref(),
        )
    } else {
        config
    };
    let config = if contains(&grip_request.body, b"SignCertificate") {
        config.with_station_ca(
            variable("station_ca_certificate")?.as_deref(),
            variable("station_ca_key")?.as_deref(),
            variable("station_certificate_validity_days")?.as_deref(),
        )
    } else {
        config
    };
    // Opened at the first statement: a 1.6 Heartbeat, a forwarded message and most others
    // need only the key-value store here.
    let sql = SpinSql::lazy_default_migrated();
    let kv = SpinKeyValue::open_default().context("opening the default key-value store")?;
    let env = Env {
        sql: &sql,
        kv: &kv,
        chain: &SpinChain,
        config: &config,
        now: chrono::Utc::now(),
    };
    let answer = handle(&grip_request, &env);
    let mut response = Response::builder();
    response.status(answer.status);
    for (name, value) in answer.headers {
        response.header(name, value);
    }
    Ok(response.body(answer.body).build())
}
