//! [`Platform`] on the real AWS APIs: Lambda (one client per region) and S3.

use crate::benchmark::{FunctionConfig, Invocation, Platform};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_lambda::error::DisplayErrorContext;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Environment, InvocationType, LogType};
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub struct AwsPlatform {
    config: SdkConfig,
    lambda: Mutex<HashMap<String, aws_sdk_lambda::Client>>,
    s3: aws_sdk_s3::Client,
}

impl AwsPlatform {
    /// Loads credentials and region from the Lambda environment; HTTPS through hyper + rustls with `ring`.
    pub async fn load() -> AwsPlatform {
        let http_client = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let config = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http_client)
            .load()
            .await;
        let s3 = aws_sdk_s3::Client::new(&config);
        AwsPlatform {
            config,
            lambda: Mutex::new(HashMap::new()),
            s3,
        }
    }

    /// The Lambda client for a function: a function ARN names its region, which may differ from the driver's.
    fn lambda_for(&self, function: &str) -> aws_sdk_lambda::Client {
        let region = region_of(function)
            .map(str::to_owned)
            .or_else(|| self.config.region().map(|r| r.to_string()))
            .unwrap_or_default();
        let mut clients = self.lambda.lock().unwrap_or_else(|e| e.into_inner());
        clients
            .entry(region.clone())
            .or_insert_with(|| {
                let mut builder = aws_sdk_lambda::config::Builder::from(&self.config);
                if !region.is_empty() {
                    builder = builder.region(Region::new(region));
                }
                aws_sdk_lambda::Client::from_conf(builder.build())
            })
            .clone()
    }
}

/// `arn:aws:lambda:eu-west-1:123456789012:function:name` → `eu-west-1`; `None` for plain names.
pub fn region_of(function: &str) -> Option<&str> {
    let parts: Vec<&str> = function.split(':').collect();
    (parts.len() >= 7 && parts[0] == "arn" && parts[2] == "lambda" && !parts[3].is_empty())
        .then(|| parts[3])
}

/// The parts of a function's configuration the benchmark reads, from `GetFunctionConfiguration` or
/// `PublishVersion` (two output types of the same shape).
macro_rules! config_of {
    ($out:expr, $function:expr) => {{
        let out = $out;
        FunctionConfig {
            name: out.function_name().unwrap_or($function).to_owned(),
            runtime: out.runtime().map(|r| r.as_str().to_owned()),
            architecture: out.architectures().first().map(|a| a.as_str().to_owned()),
            memory_size_mb: out.memory_size().and_then(|m| u64::try_from(m).ok()),
            environment: out
                .environment()
                .and_then(|e| e.variables())
                .map(|vars| vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            state: out.state().map(|s| s.as_str().to_owned()),
            state_reason: out.state_reason().map(str::to_owned),
            last_update_status: out.last_update_status().map(|s| s.as_str().to_owned()),
            last_update_status_reason: out.last_update_status_reason().map(str::to_owned),
            snap_start_apply_on: out
                .snap_start()
                .and_then(|s| s.apply_on())
                .map(|a| a.as_str().to_owned())
                .filter(|a| a != "None"),
            version: out.version().map(str::to_owned),
        }
    }};
}

fn message<E: std::error::Error>(error: E) -> String {
    DisplayErrorContext(error).to_string()
}

impl Platform for AwsPlatform {
    async fn get_configuration(&self, function: &str) -> Result<FunctionConfig, String> {
        let out = self
            .lambda_for(function)
            .get_function_configuration()
            .function_name(function)
            .send()
            .await
            .map_err(message)?;
        Ok(config_of!(out, function))
    }

    async fn publish_version(&self, function: &str) -> Result<FunctionConfig, String> {
        let out = self
            .lambda_for(function)
            .publish_version()
            .function_name(function)
            .description("ColdStartBenchmark round; deleted by the benchmark after its measurement")
            .send()
            .await
            .map_err(message)?;
        Ok(config_of!(out, function))
    }

    async fn delete_version(&self, function: &str, version: &str) -> Result<(), String> {
        self.lambda_for(function)
            .delete_function()
            .function_name(function)
            .qualifier(version)
            .send()
            .await
            .map_err(message)?;
        Ok(())
    }

    async fn update_environment(
        &self,
        function: &str,
        variables: &BTreeMap<String, String>,
    ) -> Result<(), String> {
        let environment = Environment::builder()
            .set_variables(Some(
                variables
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ))
            .build();
        self.lambda_for(function)
            .update_function_configuration()
            .function_name(function)
            .environment(environment)
            .send()
            .await
            .map_err(message)?;
        Ok(())
    }

    async fn invoke(&self, function: &str, payload: &[u8]) -> Result<Invocation, String> {
        let out = self
            .lambda_for(function)
            .invoke()
            .function_name(function)
            .invocation_type(InvocationType::RequestResponse)
            .log_type(LogType::Tail)
            .payload(Blob::new(payload))
            .send()
            .await
            .map_err(message)?;
        Ok(Invocation {
            log_result: out.log_result().map(str::to_owned),
            function_error: out.function_error().map(str::to_owned),
        })
    }

    async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), String> {
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(message)?;
        Ok(())
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::region_of;

    #[test]
    fn region_from_function_arns() {
        assert_eq!(
            region_of("arn:aws:lambda:eu-west-1:123456789012:function:hello"),
            Some("eu-west-1")
        );
        assert_eq!(
            region_of("arn:aws-cn:lambda:cn-north-1:123456789012:function:hello"),
            Some("cn-north-1")
        );
        assert_eq!(
            region_of("arn:aws:lambda:us-east-1:123456789012:function:hello:live"),
            Some("us-east-1")
        );
        assert_eq!(region_of("hello"), None);
        assert_eq!(region_of("123456789012:function:hello"), None);
    }
}
