//! The Spin adapter: the request and the `api_token` variable from the host, the stores
//! opened only for requests that get past routing and authentication, the answer back as HTTP.

use anyhow::Context as _;
use csms_store::spin::{SpinKeyValue, SpinSql};
use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;
use spin_sdk::variables;

use crate::Prepared;

#[http_component]
fn handle_request(req: Request) -> anyhow::Result<impl IntoResponse> {
    let answer = serve(&req).unwrap_or_else(|e| crate::internal_error(&e));
    let mut response = Response::builder();
    response.status(answer.status);
    for (name, value) in &answer.headers {
        response.header(name, value);
    }
    Ok(response.body(answer.body).build())
}

fn serve(req: &Request) -> anyhow::Result<crate::Response> {
    let api_token = variables::get("api_token").context("reading the variable api_token")?;
    let method = req.method().to_string();
    let request = crate::Request {
        method: &method,
        path: req.path(),
        authorization: req.header("authorization").and_then(|v| v.as_str()),
        body: req.body(),
    };
    let call = match crate::prepare(&request, &api_token) {
        Prepared::Respond(response) => return Ok(response),
        Prepared::Execute(call) => call,
    };
    let sql = SpinSql::open_default().context("opening the default database")?;
    csms_store::migrate(&sql).context("migrating the database")?;
    let kv = SpinKeyValue::open_default().context("opening the default key-value store")?;
    Ok(crate::execute(&call, &sql, &kv, chrono::Utc::now()))
}
