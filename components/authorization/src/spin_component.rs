//! The Spin adapter: the request and the `default` database from the host, the clock, and
//! the answer back as HTTP.

use anyhow::Context as _;
use csms_store::spin::SpinSql;
use spin_sdk::http::{IncomingRequest, IntoResponse, Request, Response, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
async fn handle(req: IncomingRequest, outparam: ResponseOutparam) {
    spin_response::serve(req, outparam, answer).await;
}

fn answer(req: Request) -> anyhow::Result<impl IntoResponse> {
    let (status, body) = match open() {
        Ok(sql) => {
            let method = req.method().to_string();
            let answer =
                crate::http::handle(&sql, &method, req.path(), req.body(), chrono::Utc::now());
            (answer.status, answer.body)
        }
        // Same contract as every other failure: a status and `{"error": ...}`.
        Err(e) => (500, serde_json::json!({ "error": format!("{e:#}") })),
    };
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build())
}

fn open() -> anyhow::Result<SpinSql> {
    SpinSql::open_default_migrated().context("opening the default database")
}
