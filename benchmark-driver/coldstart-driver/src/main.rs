//! `coldstart-driver`: forces N cold starts of each listed Lambda function and records what their REPORT says.
//!
//! Event (every field optional, defaults from the environment the `ColdStartBenchmark` construct sets):
//!
//! ```json
//! { "functions": ["name or ARN", ...], "coldStarts": 10, "bucket": "...", "key": "...", "payload": {}, "concurrency": 4,
//!   "warmInvokes": 5, "snapStartFunctions": ["name or ARN, also in functions", ...] }
//! ```
//!
//! Response: the summary (see `coldstart_report::BenchmarkSummary`), also written to `s3://bucket/key` and
//! `<prefix>latest.json` when a bucket is configured.

mod aws;
mod benchmark;
mod plan;

use lambda_runtime::{service_fn, Diagnostic, Error, LambdaEvent};
use std::sync::Arc;

use crate::aws::AwsPlatform;
use crate::benchmark::Platform;
use crate::plan::{Plan, Request};
use coldstart_report::BenchmarkSummary;

/// An error as Lambda reports it (`errorType` is what `aws lambda invoke` and the console show).
fn failure(error_type: &str, message: String) -> Diagnostic {
    Diagnostic {
        error_type: error_type.to_owned(),
        error_message: message,
    }
}

async fn handler(
    platform: &AwsPlatform,
    event: LambdaEvent<serde_json::Value>,
) -> Result<BenchmarkSummary, Diagnostic> {
    let (payload, context) = event.into_parts();
    let invalid = |message| failure("ColdStartBenchmark.InvalidRequest", message);
    let request = Request::from_event(payload).map_err(invalid)?;
    let plan = Plan::resolve(
        request,
        &|name| std::env::var(name).ok(),
        &context.request_id,
        platform.now_ms(),
        Some(context.deadline),
    )
    .map_err(invalid)?;
    tracing::info!(
        run_id = plan.run_id.as_str(),
        functions = plan.functions.len(),
        cold_starts = plan.cold_starts,
        "benchmark started"
    );
    let summary = benchmark::run(platform, &plan).await;
    tracing::info!("results of run {}:\n{}", summary.run_id, summary.table());
    let summary = benchmark::store(platform, &plan, summary)
        .await
        .map_err(|message| failure("ColdStartBenchmark.StoreFailed", message))?;
    if let Some(location) = &summary.location {
        tracing::info!(
            location = location.as_str(),
            complete = summary.complete,
            "summary stored"
        );
    }
    Ok(summary)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let platform = Arc::new(AwsPlatform::load().await);
    lambda_runtime::run(service_fn(move |event| {
        let platform = Arc::clone(&platform);
        async move { handler(&platform, event).await }
    }))
    .await
}
