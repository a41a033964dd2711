//! `hello`: a minimal JSON-in / JSON-out Lambda function.
//!
//! Event:    `{"name": "Ferris"}` (`name` is optional)
//! Response: `{"message": "Hello, Ferris!", "requestId": "<aws request id>"}`
//!
//! The greeting logic lives in [`greet`], a plain function that the unit
//! tests call directly; `main` only wires it to the Lambda Runtime API.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde::{Deserialize, Serialize};

/// Name used when the event has no (or a blank) `name`.
const DEFAULT_NAME: &str = "world";

/// Incoming event. Every field is optional, so `{}` is a valid event.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Request {
    pub name: Option<String>,
}

/// Outgoing JSON document.
#[derive(Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    pub message: String,
    /// The invocation's request id, echoed back so callers (and tests) can
    /// correlate a response with the invocation that produced it.
    pub request_id: String,
}

/// Builds the greeting. Pure function: no runtime, no I/O.
pub fn greet(request: &Request, request_id: &str) -> Response {
    let name = request
        .name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .unwrap_or(DEFAULT_NAME);
    Response {
        message: format!("Hello, {name}!"),
        request_id: request_id.to_owned(),
    }
}

async fn handler(event: LambdaEvent<Request>) -> Result<Response, Error> {
    Ok(greet(&event.payload, &event.context.request_id))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handler)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(event: serde_json::Value) -> Request {
        serde_json::from_value(event).expect("event should deserialize")
    }

    #[test]
    fn greets_the_given_name() {
        let response = greet(&request(json!({"name": "Ferris"})), "req-1");
        assert_eq!(response.message, "Hello, Ferris!");
        assert_eq!(response.request_id, "req-1");
    }

    #[test]
    fn defaults_to_world_when_name_is_missing() {
        assert_eq!(greet(&request(json!({})), "r").message, "Hello, world!");
    }

    #[test]
    fn defaults_to_world_when_name_is_null_or_blank() {
        assert_eq!(
            greet(&request(json!({"name": null})), "r").message,
            "Hello, world!"
        );
        assert_eq!(
            greet(&request(json!({"name": "   "})), "r").message,
            "Hello, world!"
        );
    }

    #[test]
    fn trims_whitespace_around_the_name() {
        assert_eq!(
            greet(&request(json!({"name": "  Ada "})), "r").message,
            "Hello, Ada!"
        );
    }

    #[test]
    fn ignores_unknown_fields() {
        let response = greet(&request(json!({"name": "Ferris", "extra": 1})), "r");
        assert_eq!(response.message, "Hello, Ferris!");
    }

    #[test]
    fn serializes_with_camel_case_keys() {
        let body =
            serde_json::to_value(greet(&request(json!({"name": "Ferris"})), "abc-123")).unwrap();
        assert_eq!(
            body,
            json!({"message": "Hello, Ferris!", "requestId": "abc-123"})
        );
    }

    #[test]
    fn sample_event_file_is_valid() {
        let event = request(serde_json::from_str(include_str!("../events/hello.json")).unwrap());
        assert_eq!(greet(&event, "r").message, "Hello, Ferris!");
    }

    #[tokio::test]
    async fn handler_uses_the_context_request_id() {
        let mut context = lambda_runtime::Context::default();
        context.request_id = "8f5b2c1e-0000-4000-8000-000000000001".to_owned();
        let event = LambdaEvent::new(request(json!({"name": "Ferris"})), context);
        let response = handler(event).await.unwrap();
        assert_eq!(response.request_id, "8f5b2c1e-0000-4000-8000-000000000001");
        assert_eq!(response.message, "Hello, Ferris!");
    }
}
