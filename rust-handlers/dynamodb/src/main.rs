//! `dynamodb`: the cold-start benchmark's real workload. Each invoke writes one item to DynamoDB and reads it
//! back with a consistent read, through the AWS SDK for Rust.
//!
//! Event:       `{"id": "bench-1", "payload": "hello"}` (both optional: `id` defaults to "default", `payload` to
//!              "hello")
//! Response:    `{"id": "bench-1", "found": true, "payload": "hello"}`
//! Environment: `TABLE_NAME`, a table whose partition key is `pk` (a string). The endpoint, region and
//!              credentials come from the SDK's standard configuration (on Lambda its environment; locally
//!              `AWS_ENDPOINT_URL` can point it at another endpoint, such as moto_server).
//!
//! The client is created once, at Init, before the runtime asks for the first event.

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

const DEFAULT_ID: &str = "default";
const DEFAULT_PAYLOAD: &str = "hello";

/// Incoming event. Every field is optional, so `{}` is a valid event.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Request {
    pub id: Option<String>,
    pub payload: Option<String>,
}

/// Outgoing JSON document.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Response {
    pub id: String,
    pub found: bool,
    /// The payload read back; `None` (JSON null) when the item was not found.
    pub payload: Option<String>,
}

/// The key and payload of a request, with the defaults applied.
pub fn key_and_payload(request: &Request) -> (String, String) {
    let pick = |value: &Option<String>, fallback: &str| {
        value
            .as_deref()
            .filter(|v| !v.is_empty())
            .unwrap_or(fallback)
            .to_owned()
    };
    (
        pick(&request.id, DEFAULT_ID),
        pick(&request.payload, DEFAULT_PAYLOAD),
    )
}

/// The table from `TABLE_NAME`, or an error naming the variable.
pub fn table_name(value: Option<String>) -> Result<String, Error> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| "TABLE_NAME is not set: set it to the name of a DynamoDB table whose partition key is pk (a string)".into())
}

async fn put_get(client: &Client, table: &str, request: Request) -> Result<Response, Error> {
    let (id, payload) = key_and_payload(&request);
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis();
    client
        .put_item()
        .table_name(table)
        .item("pk", AttributeValue::S(id.clone()))
        .item("payload", AttributeValue::S(payload))
        .item("ts", AttributeValue::N(now.to_string()))
        .send()
        .await
        .map_err(|e| format!("PutItem on {table} failed: {}", DisplayErrorContext(&e)))?;
    let read = client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(id.clone()))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| format!("GetItem on {table} failed: {}", DisplayErrorContext(&e)))?;
    let item = read.item();
    let payload = item
        .and_then(|i| i.get("payload"))
        .and_then(|v| v.as_s().ok())
        .cloned();
    Ok(Response {
        id,
        found: item.is_some(),
        payload,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // HTTPS through hyper + rustls with `ring` (see the workspace manifest); everything else is the SDK's default
    // configuration: region, credentials and endpoint from the environment.
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .load()
        .await;
    let client = Client::new(&config);
    let table = std::env::var("TABLE_NAME").ok();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Request>| {
        let client = &client;
        let table = table.clone();
        async move { put_get(client, &table_name(table)?, event.payload).await }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(event: serde_json::Value) -> Request {
        serde_json::from_value(event).expect("a valid event")
    }

    #[test]
    fn defaults_apply_to_missing_and_empty_fields() {
        assert_eq!(
            key_and_payload(&request(serde_json::json!({}))),
            ("default".into(), "hello".into())
        );
        assert_eq!(
            key_and_payload(&request(serde_json::json!({"id": "", "payload": ""}))),
            ("default".into(), "hello".into())
        );
        assert_eq!(
            key_and_payload(&request(
                serde_json::json!({"id": "bench-1", "payload": "x"})
            )),
            ("bench-1".into(), "x".into())
        );
    }

    #[test]
    fn a_missing_table_name_is_an_error_naming_it() {
        assert!(table_name(None)
            .unwrap_err()
            .to_string()
            .contains("TABLE_NAME"));
        assert!(table_name(Some(String::new())).is_err());
        assert_eq!(table_name(Some("t".into())).unwrap(), "t");
    }

    #[test]
    fn the_response_is_the_contract_json() {
        let r = Response {
            id: "a".into(),
            found: true,
            payload: Some("p".into()),
        };
        assert_eq!(
            serde_json::to_value(r).unwrap(),
            serde_json::json!({"id": "a", "found": true, "payload": "p"})
        );
    }
}
