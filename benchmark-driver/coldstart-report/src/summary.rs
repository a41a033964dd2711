//! The benchmark's result document: one entry per function, with every sample and its statistics.

use crate::pricing::{Architecture, CostEstimate, Pricing};
use crate::report::Report;
use crate::stats::Stats;
use serde::{Deserialize, Serialize};

/// One forced cold start: the round it belongs to and the invocation's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    pub round: u32,
    #[serde(flatten)]
    pub report: Report,
    /// `Unhandled` or `Handled` when the function returned an error (its init was still measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_error: Option<String>,
}

/// What the driver read from the function's configuration before measuring it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FunctionInfo {
    /// The name or ARN the benchmark was given.
    pub function: String,
    pub function_name: Option<String>,
    pub runtime: Option<String>,
    pub architecture: Option<Architecture>,
    pub memory_size_mb: Option<u64>,
    /// Measured through a published version per round (SnapStart restores) rather than `$LATEST`.
    pub snap_start: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_zero(value: &usize) -> bool {
    *value == 0
}

/// The result for one function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionSummary {
    pub function: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_name: Option<String>,
    /// The managed runtime (`python3.12`, `nodejs24.x`, `java21`, `provided.al2023`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<Architecture>,
    #[serde(
        default,
        rename = "memorySizeMB",
        skip_serializing_if = "Option::is_none"
    )]
    pub memory_size_mb: Option<u64>,
    /// True when the function was measured through published versions (listed in `snapStartFunctions`): each
    /// round publishes a version and invokes it, so that SnapStart restores a snapshot.
    #[serde(default, skip_serializing_if = "is_false")]
    pub snap_start: bool,
    /// Invocations measured (one per round).
    pub invocations: usize,
    /// Invocations whose report shows an init (or a snapshot restore): the samples the statistics are made of.
    pub cold_starts: usize,
    /// Invocations that reused a warm environment although the configuration had changed; left out of the stats.
    pub warm_starts: usize,
    /// Invocations where the function itself returned an error.
    pub function_errors: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_duration_ms: Option<Stats>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_duration_ms: Option<Stats>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<Stats>,
    /// Billed milliseconds per cold invocation (plus a billed snapshot restore, if any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billed_duration_ms: Option<Stats>,
    #[serde(
        default,
        rename = "maxMemoryUsedMB",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_memory_used_mb: Option<Stats>,
    /// What one million invocations would cost if each were a cold start like the mean one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_million_cold_starts: Option<CostEstimate>,
    /// What the caller waits for on a cold start: Init Duration + Duration of each cold invocation (Restore
    /// Duration + Duration for a SnapStart restore), with p50, p90, p95, p99 and max.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_start_total_ms: Option<Stats>,
    /// Invocations made after the cold rounds without changing anything, to measure warm ones.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub warm_invocations: usize,
    /// Duration of the warm invocations (those that really reused an environment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_duration_ms: Option<Stats>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_billed_duration_ms: Option<Stats>,
    /// What one million invocations would cost if each were a warm one like the mean one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_million_warm_invocations: Option<CostEstimate>,
    pub samples: Vec<Sample>,
    /// The warm invocations, numbered from 1 in `round`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warm_samples: Vec<Sample>,
    /// Why the function was not measured (completely); the samples gathered before are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl FunctionSummary {
    /// Summarises the samples of one function. Statistics are computed over the cold samples only.
    pub fn new(
        info: FunctionInfo,
        samples: Vec<Sample>,
        error: Option<String>,
        pricing: &Pricing,
    ) -> FunctionSummary {
        let cold: Vec<&Report> = samples
            .iter()
            .map(|s| &s.report)
            .filter(|r| r.is_cold())
            .collect();
        let billed = Stats::of(cold.iter().map(|r| r.total_billed_ms() as f64));
        // The configured memory as the report states it wins over what the configuration said before the run.
        let memory = cold
            .last()
            .map(|r| r.memory_size_mb)
            .or(info.memory_size_mb);
        let cost = cost_of(billed, memory, info.architecture, pricing);
        FunctionSummary {
            function: info.function,
            function_name: info.function_name,
            runtime: info.runtime,
            architecture: info.architecture,
            memory_size_mb: memory,
            snap_start: info.snap_start,
            invocations: samples.len(),
            cold_starts: cold.len(),
            warm_starts: samples.len() - cold.len(),
            function_errors: samples
                .iter()
                .filter(|s| s.function_error.is_some())
                .count(),
            init_duration_ms: Stats::of(cold.iter().filter_map(|r| r.init_duration_ms)),
            restore_duration_ms: Stats::of(cold.iter().filter_map(|r| r.restore_duration_ms)),
            duration_ms: Stats::of(cold.iter().map(|r| r.duration_ms)),
            billed_duration_ms: billed,
            max_memory_used_mb: Stats::of(cold.iter().map(|r| r.max_memory_used_mb as f64)),
            cost_per_million_cold_starts: cost,
            cold_start_total_ms: Stats::of(cold.iter().map(|r| cold_start_total(r))),
            warm_invocations: 0,
            warm_duration_ms: None,
            warm_billed_duration_ms: None,
            cost_per_million_warm_invocations: None,
            samples,
            warm_samples: Vec::new(),
            error,
        }
    }

    /// Adds the warm invocations made after the cold rounds. Statistics cover those that reused an
    /// environment; one that started cold anyway (Lambda may scale out) is kept in `warm_samples` only.
    pub fn with_warm_samples(
        mut self,
        warm_samples: Vec<Sample>,
        pricing: &Pricing,
    ) -> FunctionSummary {
        let warm: Vec<&Report> = warm_samples
            .iter()
            .map(|s| &s.report)
            .filter(|r| !r.is_cold())
            .collect();
        let billed = Stats::of(warm.iter().map(|r| r.total_billed_ms() as f64));
        let memory = warm
            .last()
            .map(|r| r.memory_size_mb)
            .or(self.memory_size_mb);
        self.cost_per_million_warm_invocations =
            cost_of(billed, memory, self.architecture, pricing);
        self.warm_duration_ms = Stats::of(warm.iter().map(|r| r.duration_ms));
        self.warm_billed_duration_ms = billed;
        self.warm_invocations = warm_samples.len();
        self.function_errors += warm_samples
            .iter()
            .filter(|s| s.function_error.is_some())
            .count();
        self.warm_samples = warm_samples;
        self
    }
}

/// Init (or snapshot restore) plus handler time of one cold invocation, rounded to hundredths.
pub fn cold_start_total(report: &Report) -> f64 {
    let start = report
        .init_duration_ms
        .or(report.restore_duration_ms)
        .unwrap_or(0.0);
    crate::stats::round2(start + report.duration_ms)
}

fn cost_of(
    billed: Option<Stats>,
    memory: Option<u64>,
    architecture: Option<Architecture>,
    pricing: &Pricing,
) -> Option<CostEstimate> {
    match (billed, memory, architecture) {
        (Some(billed), Some(memory), Some(architecture)) => {
            Some(pricing.per_million(billed.mean, memory, architecture))
        }
        _ => None,
    }
}

/// The whole run: what the driver writes to S3 and returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BenchmarkSummary {
    pub run_id: String,
    pub started_at: String,
    pub finished_at: String,
    /// Cold starts asked for, per function.
    pub cold_starts_per_function: u32,
    /// True when every function got every cold start without an error.
    pub complete: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub pricing: Pricing,
    pub functions: Vec<FunctionSummary>,
    /// `s3://bucket/key` of the stored copy, when one was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl BenchmarkSummary {
    /// A plain-text table of the results, fastest median init first, for logs and consoles.
    pub fn table(&self) -> String {
        let mut rows: Vec<&FunctionSummary> = self.functions.iter().collect();
        rows.sort_by(|a, b| {
            let key = |f: &FunctionSummary| {
                f.init_duration_ms
                    .or(f.restore_duration_ms)
                    .map_or(f64::INFINITY, |s| s.p50)
            };
            key(a).total_cmp(&key(b))
        });
        let header = [
            "function",
            "runtime",
            "arch",
            "MB",
            "cold",
            "init p50",
            "init mean",
            "init p90",
            "dur p50",
            "cold+dur p50",
            "cold+dur p99",
            "warm p50",
            "max mem",
            "billed",
            "USD/1M cold",
            "USD/1M warm",
        ];
        let mut lines: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
        let ms = |s: Option<Stats>, f: fn(&Stats) -> f64| {
            s.map_or("-".to_owned(), |s| format!("{:.2} ms", f(&s)))
        };
        for f in rows {
            let init = f.init_duration_ms.or(f.restore_duration_ms);
            lines.push(vec![
                f.function_name
                    .clone()
                    .unwrap_or_else(|| f.function.clone()),
                f.runtime.clone().unwrap_or_else(|| "-".to_owned()),
                f.architecture.map_or("-".to_owned(), |a| match a {
                    Architecture::Arm64 => "arm64".to_owned(),
                    Architecture::X86_64 => "x86_64".to_owned(),
                }),
                f.memory_size_mb.map_or("-".to_owned(), |m| m.to_string()),
                format!("{}/{}", f.cold_starts, f.invocations),
                ms(init, |s| s.p50),
                ms(init, |s| s.mean),
                ms(init, |s| s.p90),
                ms(f.duration_ms, |s| s.p50),
                ms(f.cold_start_total_ms, |s| s.p50),
                ms(f.cold_start_total_ms, |s| s.p99),
                ms(f.warm_duration_ms, |s| s.p50),
                f.max_memory_used_mb
                    .map_or("-".to_owned(), |s| format!("{} MB", s.max)),
                ms(f.billed_duration_ms, |s| s.mean),
                f.cost_per_million_cold_starts
                    .map_or("-".to_owned(), |c| format!("{:.4}", c.total_usd)),
                f.cost_per_million_warm_invocations
                    .map_or("-".to_owned(), |c| format!("{:.4}", c.total_usd)),
            ]);
        }
        let widths: Vec<usize> = (0..header.len())
            .map(|i| {
                lines
                    .iter()
                    .map(|l| l[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        lines
            .iter()
            .map(|l| {
                l.iter()
                    .zip(&widths)
                    .map(|(cell, w)| format!("{cell:<w$}"))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::find_report;

    fn sample(round: u32, line: &str) -> Sample {
        Sample {
            round,
            report: find_report(line).unwrap(),
            function_error: None,
        }
    }

    fn rust_line(init: f64, billed: u64, mem: u64) -> String {
        format!(
            "REPORT RequestId: r{init}\tDuration: 1.50 ms\tBilled Duration: {billed} ms\tMemory Size: 128 MB\tMax Memory Used: {mem} MB\tInit Duration: {init} ms\t"
        )
    }

    fn info(name: &str, runtime: &str, architecture: Architecture) -> FunctionInfo {
        FunctionInfo {
            function: format!("arn:aws:lambda:us-east-1:123456789012:function:{name}"),
            function_name: Some(name.to_owned()),
            runtime: Some(runtime.to_owned()),
            architecture: Some(architecture),
            memory_size_mb: Some(128),
            snap_start: false,
        }
    }

    #[test]
    fn statistics_over_cold_samples_only() {
        let samples = vec![
            sample(1, &rust_line(14.0, 16, 15)),
            sample(2, &rust_line(16.0, 18, 16)),
            // round 3 reused a warm environment: no Init Duration
            sample(
                3,
                "REPORT RequestId: w\tDuration: 1.10 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 17 MB",
            ),
        ];
        let s = FunctionSummary::new(
            info("hello-rust", "provided.al2023", Architecture::Arm64),
            samples,
            None,
            &Pricing::us_east_1(),
        );
        assert_eq!(
            (
                s.invocations,
                s.cold_starts,
                s.warm_starts,
                s.function_errors
            ),
            (3, 2, 1, 0)
        );
        let init = s.init_duration_ms.unwrap();
        assert_eq!(
            (init.count, init.min, init.mean, init.max),
            (2, 14.0, 15.0, 16.0)
        );
        assert_eq!(s.billed_duration_ms.unwrap().mean, 17.0);
        assert_eq!(s.max_memory_used_mb.unwrap().max, 16.0);
        assert_eq!(s.restore_duration_ms, None);
        let cost = s.cost_per_million_cold_starts.unwrap();
        // 17 ms × 0.125 GB × 0.0000133334 × 1e6 = 0.028333
        assert!((cost.compute_usd - 0.028333).abs() < 1e-6, "{cost:?}");
        assert_eq!(s.samples.len(), 3);
    }

    #[test]
    fn function_errors_are_counted_and_still_measured() {
        let mut failed = sample(1, &rust_line(80.0, 90, 36));
        failed.function_error = Some("Unhandled".to_owned());
        let s = FunctionSummary::new(
            info("py", "python3.12", Architecture::X86_64),
            vec![failed],
            None,
            &Pricing::us_east_1(),
        );
        assert_eq!(s.function_errors, 1);
        assert_eq!(s.cold_starts, 1);
        assert_eq!(s.init_duration_ms.unwrap().p50, 80.0);
    }

    #[test]
    fn no_samples_no_stats_no_cost_but_the_error() {
        let s = FunctionSummary::new(
            info("gone", "nodejs24.x", Architecture::Arm64),
            vec![],
            Some("AccessDenied".to_owned()),
            &Pricing::us_east_1(),
        );
        assert_eq!(s.invocations, 0);
        assert_eq!(s.init_duration_ms, None);
        assert_eq!(s.cost_per_million_cold_starts, None);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["error"], "AccessDenied");
        assert!(json.get("initDurationMs").is_none());
    }

    #[test]
    fn snapstart_restores_count_as_cold_and_bill_the_restore() {
        let line = "REPORT RequestId: j\tDuration: 60.00 ms\tBilled Duration: 61 ms\tMemory Size: 512 MB\tMax Memory Used: 121 MB\tRestore Duration: 381.44 ms\tBilled Restore Duration: 170 ms";
        let s = FunctionSummary::new(
            info("java", "java21", Architecture::X86_64),
            vec![sample(1, line)],
            None,
            &Pricing::us_east_1(),
        );
        assert_eq!(s.cold_starts, 1);
        assert_eq!(s.init_duration_ms, None);
        assert_eq!(s.restore_duration_ms.unwrap().p50, 381.44);
        assert_eq!(s.billed_duration_ms.unwrap().mean, 231.0);
        assert_eq!(s.memory_size_mb, Some(512));
    }

    fn line(init: f64, duration: f64, billed: u64, mem: u64) -> String {
        format!(
            "REPORT RequestId: r{init}\tDuration: {duration:.2} ms\tBilled Duration: {billed} ms\tMemory Size: 128 MB\tMax Memory Used: {mem} MB\tInit Duration: {init:.2} ms\t"
        )
    }

    #[test]
    fn cold_start_total_adds_init_and_duration_per_invocation_with_the_talks_percentiles() {
        // 20 cold starts: init 100 + 10*i ms, duration 5 + i ms (i = 1..=20), out of order.
        let samples: Vec<Sample> = (1..=20u32)
            .rev()
            .map(|i| {
                let i = f64::from(i);
                sample(i as u32, &line(100.0 + 10.0 * i, 5.0 + i, 0, 20 + i as u64))
            })
            .collect();
        let s = FunctionSummary::new(
            info("f", "nodejs24.x", Architecture::Arm64),
            samples,
            None,
            &Pricing::us_east_1(),
        );
        // totals 105 + 11 i: 116, 127, ..., 325
        let total = s.cold_start_total_ms.unwrap();
        assert_eq!(total.count, 20);
        assert_eq!(total.min, 116.0);
        assert_eq!(total.p50, 105.0 + 11.0 * 10.0);
        assert_eq!(total.p90, 105.0 + 11.0 * 18.0);
        assert_eq!(total.p95, 105.0 + 11.0 * 19.0);
        assert_eq!(total.p99, 325.0);
        assert_eq!(total.max, 325.0);
        assert_eq!(total.mean, 220.5);
        assert_eq!(s.init_duration_ms.unwrap().p50, 200.0);
        assert_eq!(s.duration_ms.unwrap().p50, 15.0);
        assert_eq!(s.max_memory_used_mb.unwrap().max, 40.0);
        // The total is not the sum of the percentiles: p90 of the totals of the same invocations.
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["coldStartTotalMs"]["p95"], 314.0);
        assert!(json.get("warmInvocations").is_none());
        assert!(json.get("warmSamples").is_none());
        assert!(json.get("snapStart").is_none());
    }

    #[test]
    fn cold_start_total_of_a_snapstart_restore_is_restore_plus_duration() {
        let lines = [
            "REPORT RequestId: a\tDuration: 60.12 ms\tBilled Duration: 61 ms\tMemory Size: 512 MB\tMax Memory Used: 121 MB\tRestore Duration: 381.44 ms\tBilled Restore Duration: 170 ms",
            "REPORT RequestId: b\tDuration: 40.00 ms\tBilled Duration: 40 ms\tMemory Size: 512 MB\tMax Memory Used: 119 MB\tRestore Duration: 300.50 ms\tBilled Restore Duration: 150 ms\t\nXRAY TraceId: 1-5e1b4151\tSegmentId: 4d1e\tSampled: true",
        ];
        let mut i = info("java", "java21", Architecture::Arm64);
        i.snap_start = true;
        let s = FunctionSummary::new(
            i,
            lines
                .iter()
                .enumerate()
                .map(|(n, l)| sample(n as u32 + 1, l))
                .collect(),
            None,
            &Pricing::us_east_1(),
        );
        assert!(s.snap_start);
        assert_eq!(s.cold_starts, 2);
        let total = s.cold_start_total_ms.unwrap();
        assert_eq!((total.min, total.max), (340.5, 441.56));
        assert_eq!(s.restore_duration_ms.unwrap().p50, 300.5);
        assert_eq!(serde_json::to_value(&s).unwrap()["snapStart"], true);
        // (61 + 170 + 40 + 150) / 2 = 210.5 billed ms on average
        assert_eq!(s.billed_duration_ms.unwrap().mean, 210.5);
    }

    #[test]
    fn warm_invocations_get_their_own_stats_and_cost() {
        let cold = FunctionSummary::new(
            info("hello-rust", "provided.al2023", Architecture::Arm64),
            vec![sample(1, &rust_line(14.0, 16, 15))],
            None,
            &Pricing::us_east_1(),
        );
        let warm_line = |d: f64, billed: u64| {
            format!("REPORT RequestId: w{d}\tDuration: {d:.2} ms\tBilled Duration: {billed} ms\tMemory Size: 128 MB\tMax Memory Used: 16 MB")
        };
        let mut failed = sample(3, &warm_line(1.0, 2));
        failed.function_error = Some("Handled".to_owned());
        let warm = vec![
            sample(1, &warm_line(1.2, 2)),
            sample(2, &warm_line(0.9, 1)),
            failed,
            // Lambda started a new environment for this one: kept, not counted as warm
            sample(4, &rust_line(13.0, 15, 15)),
        ];
        let s = cold.with_warm_samples(warm, &Pricing::us_east_1());
        assert_eq!(s.warm_invocations, 4);
        let d = s.warm_duration_ms.unwrap();
        assert_eq!((d.count, d.min, d.p50, d.max), (3, 0.9, 1.0, 1.2));
        assert_eq!(s.warm_billed_duration_ms.unwrap().mean, 1.67);
        assert_eq!(s.function_errors, 1);
        let cost = s.cost_per_million_warm_invocations.unwrap();
        // 1.67 ms x 0.125 GB x 0.0000133334 USD/GB-s x 1e6 = 0.002783; plus 0.20 for the requests
        assert!((cost.compute_usd - 0.002783).abs() < 1e-6, "{cost:?}");
        assert!((cost.total_usd - 0.202783).abs() < 1e-6, "{cost:?}");
        // the cold side is untouched
        assert_eq!((s.invocations, s.cold_starts), (1, 1));
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["warmInvocations"], 4);
        assert_eq!(json["warmDurationMs"]["p50"], 1.0);
        assert_eq!(json["warmSamples"][3]["initDurationMs"], 13.0);
        assert!(
            json["costPerMillionWarmInvocations"]["totalUsd"]
                .as_f64()
                .unwrap()
                > 0.2
        );
        let back: FunctionSummary = serde_json::from_value(json).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn summaries_of_the_first_release_still_read() {
        let old = serde_json::json!({
            "function": "f", "invocations": 1, "coldStarts": 1, "warmStarts": 0, "functionErrors": 0,
            "initDurationMs": {"count": 1, "min": 14.0, "mean": 14.0, "p50": 14.0, "p90": 14.0, "p99": 14.0, "max": 14.0},
            "samples": []
        });
        let s: FunctionSummary = serde_json::from_value(old).unwrap();
        assert_eq!(
            (s.warm_invocations, s.cold_start_total_ms, s.snap_start),
            (0, None, false)
        );
    }

    #[test]
    fn unknown_architecture_gives_no_cost() {
        let mut i = info("x", "provided.al2023", Architecture::Arm64);
        i.architecture = None;
        let s = FunctionSummary::new(
            i,
            vec![sample(1, &rust_line(14.0, 16, 15))],
            None,
            &Pricing::us_east_1(),
        );
        assert_eq!(s.cost_per_million_cold_starts, None);
    }

    #[test]
    fn summary_json_shape() {
        let s = FunctionSummary::new(
            info("hello-rust", "provided.al2023", Architecture::Arm64),
            vec![sample(1, &rust_line(14.0, 16, 15))],
            None,
            &Pricing::us_east_1(),
        );
        let summary = BenchmarkSummary {
            run_id: "20261127T030000Z".to_owned(),
            started_at: "2026-11-27T03:00:00Z".to_owned(),
            finished_at: "2026-11-27T03:00:05Z".to_owned(),
            cold_starts_per_function: 1,
            complete: true,
            notes: vec![],
            pricing: Pricing::us_east_1(),
            functions: vec![s],
            location: Some("s3://bucket/coldstart/runs/20261127T030000Z.json".to_owned()),
        };
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["coldStartsPerFunction"], 1);
        assert!(json.get("notes").is_none());
        let f = &json["functions"][0];
        assert_eq!(f["functionName"], "hello-rust");
        assert_eq!(f["architecture"], "arm64");
        assert_eq!(f["memorySizeMB"], 128);
        assert_eq!(f["coldStarts"], 1);
        assert_eq!(f["initDurationMs"]["p50"], 14.0);
        assert_eq!(f["maxMemoryUsedMB"]["max"], 15.0);
        assert_eq!(f["samples"][0]["round"], 1);
        assert_eq!(f["samples"][0]["initDurationMs"], 14.0);
        assert_eq!(f["samples"][0]["billedDurationMs"], 16);
        assert!(f["costPerMillionColdStarts"]["totalUsd"].as_f64().unwrap() > 0.2);
        // round trip
        let back: BenchmarkSummary = serde_json::from_value(json).unwrap();
        assert_eq!(back, summary);
    }

    #[test]
    fn table_lists_fastest_first() {
        let pricing = Pricing::us_east_1();
        let slow = FunctionSummary::new(
            info("hello-node", "nodejs24.x", Architecture::Arm64),
            vec![sample(1, &rust_line(125.0, 140, 67))],
            None,
            &pricing,
        );
        let fast = FunctionSummary::new(
            info("hello-rust", "provided.al2023", Architecture::Arm64),
            vec![sample(1, &rust_line(14.0, 16, 15))],
            None,
            &pricing,
        );
        let none = FunctionSummary::new(
            info("broken", "python3.12", Architecture::X86_64),
            vec![],
            Some("x".to_owned()),
            &pricing,
        );
        let summary = BenchmarkSummary {
            run_id: "r".to_owned(),
            started_at: "a".to_owned(),
            finished_at: "b".to_owned(),
            cold_starts_per_function: 1,
            complete: false,
            notes: vec![],
            pricing,
            functions: vec![slow, none, fast],
            location: None,
        };
        let table = summary.table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4, "{table}");
        assert!(lines[0].starts_with("function"));
        assert!(lines[1].starts_with("hello-rust"), "{table}");
        assert!(lines[1].contains("14.00 ms"), "{table}");
        assert!(lines[2].starts_with("hello-node"), "{table}");
        assert!(
            lines[3].starts_with("broken") && lines[3].contains("0/0"),
            "{table}"
        );
    }
}
