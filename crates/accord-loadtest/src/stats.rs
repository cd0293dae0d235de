//! Latency percentiles.
//!
//! A run at hundreds of editors records tens of millions of (send, receipt)
//! pairs, too many to keep and sort, so each editor fills a log-linear
//! histogram (about 1.6 % relative precision, exact below 128 µs) and the
//! histograms are merged at the end. Deliveries that never arrived before
//! the drain deadline are counted as "lost" and rank above every measured
//! value, so an overloaded server cannot look fast by dropping its tail.

use serde::Serialize;

/// Values below this are kept exactly (one bucket per microsecond).
const EXACT: u64 = 128;
/// Sub-buckets per power of two above `EXACT`.
const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;
const BUCKETS: usize = EXACT as usize + (64 - 7) * SUB as usize;

#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    count: u64,
    lost: u64,
    sum: u128,
    min: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

fn bucket_of(v: u64) -> usize {
    if v < EXACT {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros(); // >= 7
    let sub = (v >> (exp - SUB_BITS)) & (SUB - 1);
    EXACT as usize + (exp as usize - 7) * SUB as usize + sub as usize
}

/// The middle of a bucket's range: the value reported for anything in it.
fn bucket_value(b: usize) -> u64 {
    if b < EXACT as usize {
        return b as u64;
    }
    let rel = b - EXACT as usize;
    let exp = (rel / SUB as usize) as u32 + 7;
    let sub = (rel % SUB as usize) as u64;
    let width = 1u64 << (exp - SUB_BITS);
    let low = (1u64 << exp) + sub * width;
    low + width / 2
}

impl Histogram {
    pub fn new() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            count: 0,
            lost: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    /// Records one value in microseconds.
    pub fn record(&mut self, micros: u64) {
        self.counts[bucket_of(micros)] += 1;
        self.count += 1;
        self.sum += u128::from(micros);
        self.min = self.min.min(micros);
        self.max = self.max.max(micros);
    }

    /// Records deliveries that never happened.
    pub fn record_lost(&mut self, n: u64) {
        self.lost += n;
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.count += other.count;
        self.lost += other.lost;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    #[cfg(test)]
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Nearest-rank percentile in microseconds (`q` in 0..=1). `None` when
    /// empty; `Some(u64::MAX)` when the rank falls among lost deliveries.
    pub fn percentile(&self, q: f64) -> Option<u64> {
        let total = self.count + self.lost;
        if total == 0 {
            return None;
        }
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        if rank > self.count {
            return Some(u64::MAX);
        }
        let mut seen = 0;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                // Never report beyond what was actually seen.
                return Some(bucket_value(b).clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    pub fn summary(&self) -> LatencySummary {
        let ms = |v: Option<u64>| match v {
            None | Some(u64::MAX) => None,
            Some(us) => Some(us as f64 / 1000.0),
        };
        LatencySummary {
            samples: self.count,
            lost: self.lost,
            p50_ms: ms(self.percentile(0.50)),
            p95_ms: ms(self.percentile(0.95)),
            p99_ms: ms(self.percentile(0.99)),
            max_ms: if self.count == 0 {
                None
            } else {
                ms(Some(self.max))
            },
            mean_ms: if self.count == 0 {
                None
            } else {
                Some(self.sum as f64 / self.count as f64 / 1000.0)
            },
        }
    }
}

/// Percentiles in milliseconds; `None` means "no sample" or "among the lost".
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LatencySummary {
    pub samples: u64,
    pub lost: u64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub mean_ms: Option<f64>,
}

/// Exact nearest-rank percentile of a sorted slice (the reference the
/// histogram is tested against; `review` reports its few samples with it).
pub fn percentile_sorted(sorted: &[u64], q: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// Formats an optional millisecond figure for the human summary.
pub fn fmt_ms(v: Option<f64>, lost: u64) -> String {
    match v {
        Some(ms) => format!("{ms:.2}"),
        None if lost > 0 => "lost".into(),
        None => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn exact_percentiles_use_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile_sorted(&v, 0.5), Some(50));
        assert_eq!(percentile_sorted(&v, 0.95), Some(95));
        assert_eq!(percentile_sorted(&v, 0.99), Some(99));
        assert_eq!(percentile_sorted(&v, 1.0), Some(100));
        assert_eq!(percentile_sorted(&v, 0.0), Some(1));
        assert_eq!(percentile_sorted(&[], 0.5), None);
        assert_eq!(percentile_sorted(&[7], 0.99), Some(7));
    }

    #[test]
    fn buckets_are_monotonic_and_contain_their_values() {
        let mut prev = 0;
        for v in (0..5000u64).chain([1 << 20, (1 << 40) + 12345, u64::MAX / 2]) {
            let b = bucket_of(v);
            assert!(b >= prev || v > 5000);
            prev = b;
            let mid = bucket_value(b);
            let err = (mid as f64 - v as f64).abs() / (v.max(1) as f64);
            assert!(err <= 1.0 / 64.0, "{v} -> {mid}");
        }
        assert!(bucket_of(u64::MAX) < BUCKETS);
    }

    #[test]
    fn histogram_matches_exact_percentiles_within_precision() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        let mut values: Vec<u64> = (0..20_000)
            .map(|_| {
                // A long-tailed mix: most fast, some slow.
                if rng.random_bool(0.9) {
                    rng.random_range(200..5_000)
                } else {
                    rng.random_range(5_000..400_000)
                }
            })
            .collect();
        let mut h = Histogram::new();
        // Split across two histograms to exercise merge.
        let mut h2 = Histogram::new();
        for (i, v) in values.iter().enumerate() {
            if i % 2 == 0 {
                h.record(*v)
            } else {
                h2.record(*v)
            }
        }
        h.merge(&h2);
        values.sort_unstable();
        for q in [0.5, 0.9, 0.95, 0.99, 0.999, 1.0] {
            let exact = percentile_sorted(&values, q).unwrap() as f64;
            let approx = h.percentile(q).unwrap() as f64;
            assert!(
                (approx - exact).abs() / exact <= 0.02,
                "q={q}: {approx} vs {exact}"
            );
        }
        assert_eq!(h.count(), 20_000);
        assert_eq!(
            h.summary().max_ms,
            Some(*values.last().unwrap() as f64 / 1000.0)
        );
    }

    #[test]
    fn small_values_are_exact() {
        let mut h = Histogram::new();
        for v in [3, 1, 2, 5, 4] {
            h.record(v);
        }
        assert_eq!(h.percentile(0.5), Some(3));
        assert_eq!(h.percentile(1.0), Some(5));
        assert_eq!(h.percentile(0.01), Some(1));
    }

    #[test]
    fn lost_deliveries_rank_above_everything() {
        let mut h = Histogram::new();
        for v in 0..98 {
            h.record(1000 + v);
        }
        h.record_lost(2);
        assert!(h.percentile(0.5).unwrap() < 2000);
        assert_eq!(h.percentile(0.99), Some(u64::MAX));
        let s = h.summary();
        assert_eq!(s.p99_ms, None);
        assert_eq!(s.lost, 2);
        assert!(s.p95_ms.is_some());
        assert_eq!(fmt_ms(s.p99_ms, s.lost), "lost");
        assert_eq!(Histogram::new().percentile(0.5), None);
    }
}
