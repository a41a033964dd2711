//! What invocations cost: Lambda bills requests plus GB-seconds (billed milliseconds × configured memory).

use serde::{Deserialize, Serialize};

/// The instruction set a function runs on; arm64 (Graviton) costs 20% less per GB-second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Architecture {
    #[serde(rename = "arm64")]
    Arm64,
    #[serde(rename = "x86_64")]
    X86_64,
}

impl Architecture {
    /// Reads the name Lambda's API uses (`arm64`, `x86_64`).
    pub fn from_lambda(name: &str) -> Option<Architecture> {
        match name {
            "arm64" => Some(Architecture::Arm64),
            "x86_64" => Some(Architecture::X86_64),
            _ => None,
        }
    }
}

/// Lambda's on-demand list prices. Regions differ a little; the summary says which table was used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pricing {
    /// Where the prices come from.
    pub source: String,
    #[serde(rename = "x86_64UsdPerGbSecond")]
    pub x86_64_usd_per_gb_second: f64,
    pub arm64_usd_per_gb_second: f64,
    pub usd_per_million_requests: f64,
}

impl Pricing {
    /// us-east-1 on-demand prices (first pricing tier).
    pub fn us_east_1() -> Pricing {
        Pricing {
            source: "AWS Lambda on-demand list prices, us-east-1, first tier".to_owned(),
            x86_64_usd_per_gb_second: 0.000_016_666_7,
            arm64_usd_per_gb_second: 0.000_013_333_4,
            usd_per_million_requests: 0.20,
        }
    }

    pub fn usd_per_gb_second(&self, architecture: Architecture) -> f64 {
        match architecture {
            Architecture::Arm64 => self.arm64_usd_per_gb_second,
            Architecture::X86_64 => self.x86_64_usd_per_gb_second,
        }
    }

    /// The cost of one million invocations that each bill `billed_ms` at `memory_mb` (1 GB = 1,024 MB).
    pub fn per_million(
        &self,
        billed_ms: f64,
        memory_mb: u64,
        architecture: Architecture,
    ) -> CostEstimate {
        let gb_seconds = (billed_ms / 1000.0) * (memory_mb as f64 / 1024.0);
        let compute = gb_seconds * self.usd_per_gb_second(architecture) * 1_000_000.0;
        let requests = self.usd_per_million_requests;
        CostEstimate {
            compute_usd: round6(compute),
            requests_usd: round6(requests),
            total_usd: round6(compute + requests),
        }
    }
}

/// The price of one million invocations, split into duration (compute) and request charges.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CostEstimate {
    pub compute_usd: f64,
    pub requests_usd: f64,
    pub total_usd: f64,
}

fn round6(value: f64) -> f64 {
    (value * 1_000_000.0).round() / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn architectures_by_lambda_name() {
        assert_eq!(
            Architecture::from_lambda("arm64"),
            Some(Architecture::Arm64)
        );
        assert_eq!(
            Architecture::from_lambda("x86_64"),
            Some(Architecture::X86_64)
        );
        assert_eq!(Architecture::from_lambda("riscv"), None);
        assert_eq!(
            serde_json::to_value(Architecture::X86_64).unwrap(),
            "x86_64"
        );
    }

    #[test]
    fn one_gb_second_per_invocation_costs_the_list_price_per_million() {
        let p = Pricing::us_east_1();
        let x86 = p.per_million(1000.0, 1024, Architecture::X86_64);
        assert!(close(x86.compute_usd, 16.6667), "{x86:?}");
        assert!(close(x86.requests_usd, 0.20));
        assert!(close(x86.total_usd, 16.8667));
        let arm = p.per_million(1000.0, 1024, Architecture::Arm64);
        assert!(close(arm.compute_usd, 13.3334), "{arm:?}");
    }

    #[test]
    fn rust_cold_start_at_128_mb_on_arm64() {
        // 17 ms billed (init included for provided.al2023) at 128 MB:
        // 0.017 s × 0.125 GB × 0.0000133334 USD × 1e6 = 0.028333 USD
        let c = Pricing::us_east_1().per_million(17.0, 128, Architecture::Arm64);
        assert!(close(c.compute_usd, 0.028333), "{c:?}");
        assert!(close(c.total_usd, 0.228333), "{c:?}");
    }

    #[test]
    fn per_millisecond_price_matches_the_published_128_mb_figure() {
        // Lambda publishes 0.0000000021 USD per ms for 128 MB on x86 (rounded).
        let per_ms = Pricing::us_east_1()
            .per_million(1.0, 128, Architecture::X86_64)
            .compute_usd
            / 1e6;
        assert!(
            (per_ms - 0.000_000_002_1).abs() < 0.000_000_000_05,
            "{per_ms}"
        );
    }

    #[test]
    fn arm64_is_twenty_percent_cheaper() {
        let p = Pricing::us_east_1();
        let x86 = p.per_million(100.0, 512, Architecture::X86_64).compute_usd;
        let arm = p.per_million(100.0, 512, Architecture::Arm64).compute_usd;
        assert!((arm / x86 - 0.8).abs() < 0.0001, "{arm} / {x86}");
    }

    #[test]
    fn serializes_in_camel_case() {
        let json = serde_json::to_value(Pricing::us_east_1()).unwrap();
        assert_eq!(json["arm64UsdPerGbSecond"], 0.0000133334);
        assert_eq!(json["x86_64UsdPerGbSecond"], 0.0000166667);
        assert_eq!(json["usdPerMillionRequests"], 0.2);
    }
}
