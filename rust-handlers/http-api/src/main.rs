//! `http-api`: a small JSON API behind API Gateway HTTP API (payload v2) or a
//! Lambda Function URL.
//!
//! Routes (see [`routes::route`]):
//! - `GET /health`     -> 200 `{"status":"ok"}`
//! - `GET /items/{id}` -> 200 item, or 404 `{"error": "..."}`
//! - `POST /items`     -> 201 created item, or 400 `{"error": "..."}`
//! - wrong method on a known path -> 405 with an `Allow` header
//! - anything else     -> 404
//!
//! This file only adapts `lambda_http` requests and responses; the routing
//! itself is a plain function in `routes.rs`.

mod routes;

use lambda_http::http::header::{ALLOW, CONTENT_TYPE};
use lambda_http::request::RequestContext;
use lambda_http::{service_fn, Body, Error, Request, RequestExt, Response};

/// Returns the request path without the API Gateway stage prefix.
///
/// For a named stage (anything but `$default`) `lambda_http` puts the stage
/// in front of the path (`/prod/items/1`); routes are matched without it.
/// Function URLs and `$default` stages have no prefix.
pub fn route_path(request: &Request) -> &str {
    let path = request.uri().path();
    let stage = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.stage.as_deref(),
        _ => None,
    };
    match stage {
        Some(stage) if stage != "$default" => path
            .strip_prefix('/')
            .and_then(|rest| rest.strip_prefix(stage))
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
            .unwrap_or(path),
        _ => path,
    }
}

/// Handles one HTTP request. Synchronous and free of I/O, so tests call it
/// with hand-built `lambda_http::Request` values.
pub fn handle(request: &Request) -> Response<Body> {
    let api = routes::route(
        request.method(),
        route_path(request),
        request.body().as_ref(),
    );

    let mut builder = Response::builder()
        .status(api.status)
        .header(CONTENT_TYPE, "application/json");
    if let Some(allow) = api.allow {
        builder = builder.header(ALLOW, allow);
    }
    builder
        .body(Body::Text(api.body))
        .expect("status code and headers are valid")
}

async fn function_handler(request: Request) -> Result<Response<Body>, Error> {
    Ok(handle(&request))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(function_handler)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::{Method, StatusCode};
    use serde_json::{json, Value};

    fn request(method: Method, uri: &str, body: Body) -> Request {
        lambda_http::http::Request::builder()
            .method(method)
            .uri(uri)
            .body(body)
            .unwrap()
    }

    fn body_json(response: &Response<Body>) -> Value {
        match response.body() {
            Body::Text(text) => serde_json::from_str(text).expect("body is JSON"),
            other => panic!("expected a text body, got {other:?}"),
        }
    }

    fn event(file: &str) -> Request {
        lambda_http::request::from_str(file).expect("sample event parses")
    }

    #[test]
    fn health_sets_json_content_type() {
        let response = handle(&request(Method::GET, "/health", Body::Empty));
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(body_json(&response), json!({"status": "ok"}));
    }

    #[test]
    fn query_string_is_ignored_for_routing() {
        let response = handle(&request(Method::GET, "/items/2?verbose=1", Body::Empty));
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(body_json(&response)["name"], "Borrow checker mug");
    }

    #[test]
    fn post_item_from_text_and_binary_bodies() {
        let payload = r#"{"name":"Crab cake","price":2.75}"#;
        for body in [
            Body::Text(payload.into()),
            Body::Binary(payload.as_bytes().to_vec()),
        ] {
            let response = handle(&request(Method::POST, "/items", body));
            assert_eq!(response.status(), StatusCode::CREATED);
            assert_eq!(
                body_json(&response),
                json!({"id": 4, "name": "Crab cake", "price": 2.75})
            );
        }
    }

    #[test]
    fn invalid_post_is_400_json() {
        let response = handle(&request(Method::POST, "/items", Body::Text("{".into())));
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        assert!(body_json(&response)["error"].is_string());
    }

    #[test]
    fn method_not_allowed_sets_allow_header() {
        let response = handle(&request(Method::DELETE, "/items/1", Body::Empty));
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[ALLOW], "GET");
        assert!(body_json(&response)["error"].is_string());
    }

    #[test]
    fn unknown_route_is_404_json() {
        let response = handle(&request(Method::GET, "/does/not/exist", Body::Empty));
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(body_json(&response)["error"].is_string());
        assert!(!response.headers().contains_key(ALLOW));
    }

    #[test]
    fn api_gateway_v2_get_item_event() {
        let response = handle(&event(include_str!("../events/get-item.json")));
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.body(),
            &Body::Text(r#"{"id":1,"name":"Ferris plush","price":12.5}"#.into())
        );
    }

    #[test]
    fn api_gateway_v2_base64_post_event() {
        let response = handle(&event(include_str!("../events/post-item.json")));
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(
            body_json(&response),
            json!({"id": 4, "name": "Rubber duck", "price": 5.0})
        );
    }

    #[test]
    fn function_url_event() {
        let response = handle(&event(include_str!("../events/function-url-health.json")));
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(body_json(&response), json!({"status": "ok"}));
    }

    #[test]
    fn named_stage_prefix_is_stripped() {
        let text = include_str!("../events/get-item.json").replace("\"$default\"", "\"prod\"");
        // API Gateway may or may not include the stage in rawPath; both work.
        for raw_path in ["/items/1", "/prod/items/1"] {
            let text = text.replace(
                "\"rawPath\": \"/items/1\"",
                &format!("\"rawPath\": \"{raw_path}\""),
            );
            let request = event(&text);
            assert_eq!(route_path(&request), "/items/1", "rawPath {raw_path}");
            assert_eq!(handle(&request).status(), StatusCode::OK);
        }
    }

    #[test]
    fn stage_is_only_removed_as_a_whole_segment() {
        let text = include_str!("../events/get-item.json")
            .replace("\"$default\"", "\"prod\"")
            .replace(
                "\"rawPath\": \"/items/1\"",
                "\"rawPath\": \"/prodx/health\"",
            );
        assert_eq!(route_path(&event(&text)), "/prodx/health");
    }
}
