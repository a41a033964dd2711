//! Hand-written routing and request handling, independent of Lambda.
//!
//! [`route`] takes a method, a path and the raw body and returns an
//! [`ApiResponse`] (status, JSON body, optional `Allow` header). It does no
//! I/O, so it is unit-tested directly.

use serde::{Deserialize, Serialize};

/// An HTTP method as far as this API cares. Anything other than GET/POST is
/// only ever answered with 405 (known path) or 404 (unknown path).
pub use lambda_http::http::Method;

/// A catalogue item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub id: u64,
    pub name: String,
    pub price: f64,
}

/// The read-only, in-memory catalogue: (id, name, price).
const CATALOGUE: &[(u64, &str, f64)] = &[
    (1, "Ferris plush", 12.5),
    (2, "Borrow checker mug", 8.25),
    (3, "Cargo crate sticker pack", 3.0),
];

/// Looks up an item of the static catalogue.
pub fn find_item(id: u64) -> Option<Item> {
    CATALOGUE
        .iter()
        .find(|(item_id, _, _)| *item_id == id)
        .map(|&(id, name, price)| Item {
            id,
            name: name.to_owned(),
            price,
        })
}

/// Id given to an item created by `POST /items`. The sample does not persist
/// anything, so a new item always gets the id following the catalogue.
pub fn next_id() -> u64 {
    CATALOGUE.iter().map(|(id, _, _)| *id).max().unwrap_or(0) + 1
}

/// Longest accepted item name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Body of `POST /items`. Fields are optional here so that a missing field
/// gets a precise error message instead of serde's generic one.
#[derive(Debug, Deserialize)]
struct NewItem {
    name: Option<String>,
    price: Option<f64>,
}

/// Result of routing a request: everything needed to build the HTTP response.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    /// JSON document sent as the response body.
    pub body: String,
    /// Value of the `Allow` header, set on 405 responses.
    pub allow: Option<&'static str>,
}

impl ApiResponse {
    fn json<T: Serialize>(status: u16, body: &T) -> Self {
        Self {
            status,
            // Serializing these plain structs cannot fail.
            body: serde_json::to_string(body).expect("response body serializes"),
            allow: None,
        }
    }

    fn error(status: u16, message: impl Into<String>) -> Self {
        Self::json(
            status,
            &ErrorBody {
                error: message.into(),
            },
        )
    }

    fn method_not_allowed(method: &Method, allow: &'static str) -> Self {
        Self {
            allow: Some(allow),
            ..Self::error(405, format!("method {method} not allowed, use {allow}"))
        }
    }
}

#[derive(Serialize)]
struct ErrorBody {
    error: String,
}

#[derive(Serialize)]
struct HealthBody {
    status: &'static str,
}

/// Routes a request. `path` must not contain the query string or an API
/// Gateway stage prefix.
///
/// | route             | success                  | errors                        |
/// |-------------------|--------------------------|-------------------------------|
/// | `GET /health`     | 200 `{"status":"ok"}`    |                               |
/// | `GET /items/{id}` | 200 item                 | 404 unknown id                |
/// | `POST /items`     | 201 created item         | 400 invalid body              |
/// | known path        |                          | 405 wrong method (+ `Allow`)  |
/// | anything else     |                          | 404                           |
pub fn route(method: &Method, path: &str, body: &[u8]) -> ApiResponse {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["health"] => match *method {
            Method::GET => ApiResponse::json(200, &HealthBody { status: "ok" }),
            _ => ApiResponse::method_not_allowed(method, "GET"),
        },
        ["items"] => match *method {
            Method::POST => create_item(body),
            _ => ApiResponse::method_not_allowed(method, "POST"),
        },
        ["items", id] => match *method {
            Method::GET => get_item(id),
            _ => ApiResponse::method_not_allowed(method, "GET"),
        },
        _ => ApiResponse::error(404, format!("no route for {method} {path}")),
    }
}

fn get_item(id: &str) -> ApiResponse {
    match id.parse::<u64>().ok().and_then(find_item) {
        Some(item) => ApiResponse::json(200, &item),
        None => ApiResponse::error(404, format!("item {id} not found")),
    }
}

fn create_item(body: &[u8]) -> ApiResponse {
    match validate_new_item(body) {
        Ok(item) => ApiResponse::json(201, &item),
        Err(message) => ApiResponse::error(400, message),
    }
}

/// Parses and validates a `POST /items` body into the item to create.
pub fn validate_new_item(body: &[u8]) -> Result<Item, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("request body is required".to_owned());
    }
    let new_item: NewItem =
        serde_json::from_slice(body).map_err(|err| format!("invalid JSON body: {err}"))?;

    let name = new_item.name.as_deref().map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err("name is required and must not be empty".to_owned());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("name must be at most {MAX_NAME_CHARS} characters"));
    }
    let price = new_item
        .price
        .ok_or_else(|| "price is required".to_owned())?;
    // JSON numbers are always finite, but keep the check explicit.
    if !price.is_finite() || price < 0.0 {
        return Err("price must be a number greater than or equal to 0".to_owned());
    }

    Ok(Item {
        id: next_id(),
        name: name.to_owned(),
        price,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn call(method: Method, path: &str, body: &str) -> (u16, Value, Option<&'static str>) {
        let response = route(&method, path, body.as_bytes());
        let json: Value = serde_json::from_str(&response.body).expect("body is JSON");
        (response.status, json, response.allow)
    }

    fn error_message(json: &Value) -> &str {
        json["error"]
            .as_str()
            .expect("error body has an `error` string")
    }

    #[test]
    fn health_is_ok() {
        assert_eq!(
            call(Method::GET, "/health", ""),
            (200, json!({"status": "ok"}), None)
        );
        assert_eq!(
            route(&Method::GET, "/health", b"").body,
            r#"{"status":"ok"}"#
        );
    }

    #[test]
    fn trailing_slash_is_tolerated() {
        assert_eq!(call(Method::GET, "/health/", "").0, 200);
    }

    #[test]
    fn get_known_item() {
        let (status, body, _) = call(Method::GET, "/items/1", "");
        assert_eq!(status, 200);
        assert_eq!(
            body,
            json!({"id": 1, "name": "Ferris plush", "price": 12.5})
        );
        assert_eq!(
            route(&Method::GET, "/items/1", b"").body,
            r#"{"id":1,"name":"Ferris plush","price":12.5}"#
        );
    }

    #[test]
    fn every_catalogue_item_can_be_fetched() {
        for &(id, name, _) in CATALOGUE {
            let (status, body, _) = call(Method::GET, &format!("/items/{id}"), "");
            assert_eq!(status, 200);
            assert_eq!(body["name"], name);
        }
    }

    #[test]
    fn unknown_or_malformed_item_id_is_404() {
        for path in ["/items/42", "/items/abc", "/items/-1", "/items/0"] {
            let (status, body, _) = call(Method::GET, path, "");
            assert_eq!(status, 404, "{path}");
            assert!(error_message(&body).contains("not found"), "{path}");
        }
    }

    #[test]
    fn create_item_returns_201_with_new_item() {
        let (status, body, _) = call(
            Method::POST,
            "/items",
            r#"{"name": "Gopher repellent", "price": 4.5}"#,
        );
        assert_eq!(status, 201);
        assert_eq!(
            body,
            json!({"id": 4, "name": "Gopher repellent", "price": 4.5})
        );
    }

    #[test]
    fn create_item_accepts_integer_and_zero_price_and_trims_name() {
        let (status, body, _) = call(
            Method::POST,
            "/items",
            r#"{"name": "  Freebie ", "price": 0}"#,
        );
        assert_eq!(status, 201);
        assert_eq!(body["name"], "Freebie");
        assert_eq!(body["price"], 0.0);
    }

    #[test]
    fn create_item_validation_errors_are_400() {
        let cases = [
            ("", "request body is required"),
            ("   ", "request body is required"),
            ("{not json", "invalid JSON body"),
            ("[1, 2]", "invalid JSON body"),
            (r#"{"name": "x", "price": "cheap"}"#, "invalid JSON body"),
            (r#"{"price": 1}"#, "name is required"),
            (r#"{"name": "", "price": 1}"#, "name is required"),
            (r#"{"name": "   ", "price": 1}"#, "name is required"),
            (r#"{"name": null, "price": 1}"#, "name is required"),
            (r#"{"name": 7, "price": 1}"#, "invalid JSON body"),
            (r#"{"name": "x"}"#, "price is required"),
            (r#"{"name": "x", "price": -0.01}"#, "price must be"),
        ];
        for (body, expected) in cases {
            let (status, json, _) = call(Method::POST, "/items", body);
            assert_eq!(status, 400, "body: {body}");
            assert!(
                error_message(&json).contains(expected),
                "body: {body}, error: {json}"
            );
        }
    }

    #[test]
    fn overlong_name_is_400() {
        let body = json!({"name": "n".repeat(MAX_NAME_CHARS + 1), "price": 1}).to_string();
        let (status, json, _) = call(Method::POST, "/items", &body);
        assert_eq!(status, 400);
        assert!(error_message(&json).contains("at most"));
    }

    #[test]
    fn wrong_method_on_known_path_is_405_with_allow() {
        let cases = [
            (Method::POST, "/health", "GET"),
            (Method::DELETE, "/health", "GET"),
            (Method::GET, "/items", "POST"),
            (Method::PUT, "/items", "POST"),
            (Method::DELETE, "/items/1", "GET"),
            (Method::POST, "/items/1", "GET"),
        ];
        for (method, path, allow) in cases {
            let (status, json, allow_header) = call(method.clone(), path, "");
            assert_eq!(status, 405, "{method} {path}");
            assert_eq!(allow_header, Some(allow), "{method} {path}");
            assert!(error_message(&json).contains("not allowed"));
        }
    }

    #[test]
    fn unknown_routes_are_404() {
        for (method, path) in [
            (Method::GET, "/"),
            (Method::GET, "/nope"),
            (Method::GET, "/items/1/extra"),
            (Method::POST, "/healthz"),
        ] {
            let (status, json, allow) = call(method.clone(), path, "");
            assert_eq!(status, 404, "{method} {path}");
            assert_eq!(allow, None);
            assert!(error_message(&json).contains("no route"));
        }
    }
}
