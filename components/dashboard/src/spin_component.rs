//! The Spin adapter: the path and `If-None-Match` in, the reply out.

use spin_sdk::http::{IncomingRequest, IntoResponse, Request, Response, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
async fn handle_request(req: IncomingRequest, outparam: ResponseOutparam) {
    spin_response::serve(req, outparam, answer).await;
}

fn answer(req: Request) -> anyhow::Result<impl IntoResponse> {
    let method = req.method().to_string();
    let if_none_match = req.header("if-none-match").and_then(|v| v.as_str());
    let reply = crate::respond(&method, req.path(), if_none_match);
    let mut response = Response::builder();
    response.status(reply.status);
    for (name, value) in reply.headers {
        response.header(name, value);
    }
    Ok(response.body(reply.body.to_vec()).build())
}
