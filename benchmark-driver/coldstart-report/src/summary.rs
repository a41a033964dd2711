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
    pub samples: Vec<Sample>,
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
        let cost = match (billed, memory, info.architecture) {
            (Some(billed), Some(memory), Some(architecture)) => {
                Some(pricing.per_million(billed.mean, memory, architecture))
            }
            _ => None,
        };
        FunctionSummary {
            function: info.function,
            function_name: info.function_name,
            runtime: info.runtime,
            architecture: info.architecture,
            memory_size_mb: memory,
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
            samples,
            error,
        }
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
            "max mem",
            "billed",
            "USD/1M cold",
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
                f.max_memory_used_mb
                    .map_or("-".to_owned(), |s| format!("{} MB", s.max)),
                ms(f.billed_duration_ms, |s| s.mean),
                f.cost_per_million_cold_starts
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
