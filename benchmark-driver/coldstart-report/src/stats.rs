//! Summary statistics of a handful of measurements (10 cold starts a day is the usual sample).

use serde::{Deserialize, Serialize};

/// Count, extremes, mean and percentiles (p50, p90, p95, p99) of a sample.
///
/// Percentiles use the nearest-rank method: `pN` is the smallest measured value such that at least N% of the
/// sample is less than or equal to it. It always reports a value that was actually measured; with 10 samples,
/// p90 is the 9th smallest and p99 the largest.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub count: usize,
    pub min: f64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    /// Added after the first release: summaries written before it have none (read back as 0).
    #[serde(default)]
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Stats {
    /// Statistics of the finite values given; `None` when there are none.
    pub fn of<I: IntoIterator<Item = f64>>(values: I) -> Option<Stats> {
        let mut sorted: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let count = sorted.len();
        let mean = sorted.iter().sum::<f64>() / count as f64;
        Some(Stats {
            count,
            min: sorted[0],
            mean: round2(mean),
            p50: nearest_rank(&sorted, 50.0),
            p90: nearest_rank(&sorted, 90.0),
            p95: nearest_rank(&sorted, 95.0),
            p99: nearest_rank(&sorted, 99.0),
            max: sorted[count - 1],
        })
    }
}

/// The nearest-rank percentile of an ascending, non-empty slice; `percent` in (0, 100].
pub fn nearest_rank(sorted: &[f64], percent: f64) -> f64 {
    assert!(!sorted.is_empty(), "nearest_rank of an empty sample");
    let rank = ((percent / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Rounds to hundredths, the precision Lambda reports durations with.
pub fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sample_has_no_stats() {
        assert_eq!(Stats::of(Vec::new()), None);
        assert_eq!(Stats::of([f64::NAN]), None);
    }

    #[test]
    fn single_value() {
        let s = Stats::of([14.56]).unwrap();
        assert_eq!(
            s,
            Stats {
                count: 1,
                min: 14.56,
                mean: 14.56,
                p50: 14.56,
                p90: 14.56,
                p95: 14.56,
                p99: 14.56,
                max: 14.56
            }
        );
    }

    #[test]
    fn ten_cold_starts_like_lambda_perf() {
        // Init durations of ten Rust cold starts, out of order.
        let values = [15.2, 13.9, 14.1, 16.8, 14.4, 13.7, 14.0, 22.5, 14.6, 14.3];
        let s = Stats::of(values).unwrap();
        assert_eq!(s.count, 10);
        assert_eq!(s.min, 13.7);
        assert_eq!(s.max, 22.5);
        assert_eq!(s.mean, 15.35);
        // sorted: 13.7 13.9 14.0 14.1 14.3 | 14.4 14.6 15.2 16.8 22.5
        assert_eq!(s.p50, 14.3);
        assert_eq!(s.p90, 16.8);
        // with 10 samples p95 and p99 are both the largest: nearest rank ceil(9.5) = 10
        assert_eq!(s.p95, 22.5);
        assert_eq!(s.p99, 22.5);
    }

    #[test]
    fn hundred_values_percentiles_pick_the_rank() {
        let s = Stats::of((1..=100).map(f64::from)).unwrap();
        assert_eq!(
            (s.p50, s.p90, s.p95, s.p99, s.mean),
            (50.0, 90.0, 95.0, 99.0, 50.5)
        );
    }

    #[test]
    fn non_finite_values_are_ignored() {
        let s = Stats::of([1.0, f64::INFINITY, 3.0, f64::NAN]).unwrap();
        assert_eq!((s.count, s.min, s.max, s.mean), (2, 1.0, 3.0, 2.0));
    }

    #[test]
    fn nearest_rank_edges() {
        let sorted = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(nearest_rank(&sorted, 25.0), 1.0);
        assert_eq!(nearest_rank(&sorted, 26.0), 2.0);
        assert_eq!(nearest_rank(&sorted, 100.0), 4.0);
        assert_eq!(nearest_rank(&sorted, 0.0), 1.0);
    }

    #[test]
    fn twenty_samples_separate_p90_p95_and_p99() {
        // 20 values 10, 20, ..., 200: p90 = 18th, p95 = 19th, p99 = 20th smallest
        let s = Stats::of((1..=20).rev().map(|i| f64::from(i * 10))).unwrap();
        assert_eq!(
            (s.p50, s.p90, s.p95, s.p99, s.max),
            (100.0, 180.0, 190.0, 200.0, 200.0)
        );
    }

    #[test]
    fn summaries_written_before_p95_still_read() {
        let old = serde_json::json!({"count": 1, "min": 2.0, "mean": 2.0, "p50": 2.0, "p90": 2.0, "p99": 2.0, "max": 2.0});
        let s: Stats = serde_json::from_value(old).unwrap();
        assert_eq!((s.p95, s.p99), (0.0, 2.0));
    }

    #[test]
    fn mean_is_rounded_to_hundredths() {
        assert_eq!(Stats::of([1.0, 1.0, 2.0]).unwrap().mean, 1.33);
    }

    #[test]
    fn serializes_as_plain_numbers() {
        let json = serde_json::to_value(Stats::of([2.0, 4.0]).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"count": 2, "min": 2.0, "mean": 3.0, "p50": 2.0, "p90": 4.0, "p95": 4.0, "p99": 4.0, "max": 4.0})
        );
    }
}
