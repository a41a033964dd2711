//! `coldstart-report`: the measuring half of the cold-start benchmark, free of any AWS dependency.
//!
//! - [`report`]: reads the `REPORT` record Lambda writes after each invocation (text or JSON log format,
//!   with or without `Init Duration`, with SnapStart's `Restore Duration`).
//! - [`stats`]: count, min, mean, p50, p90, p95, p99 and max of a sample.
//! - [`pricing`]: what a million such invocations cost on arm64 or x86_64.
//! - [`summary`]: the result document the driver stores in S3 and returns.

pub mod pricing;
pub mod report;
pub mod stats;
pub mod summary;

pub use pricing::{Architecture, CostEstimate, Pricing};
pub use report::{find_report, parse_line, parse_text_report, ParseError, Report};
pub use stats::Stats;
pub use summary::{cold_start_total, BenchmarkSummary, FunctionInfo, FunctionSummary, Sample};
