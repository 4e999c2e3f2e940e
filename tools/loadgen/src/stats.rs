//! Latency and error bookkeeping shared by every simulated charge point.
//!
//! Samples are kept as plain vectors of microseconds and sorted once when a
//! report is made: even a saturation run produces a few hundred thousand
//! samples, which is cheap to sort and gives exact percentiles (no histogram
//! bucketing error to explain in the benchmark write-up).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

/// Samples of one stretch of time (the whole run, or one ramp step).
#[derive(Default, Clone)]
pub struct Window {
    latencies_us: BTreeMap<&'static str, Vec<u32>>,
    errors: BTreeMap<String, u64>,
    /// The first detail seen for each error kind (a CALLERROR's description),
    /// kept apart from the kind so that counting stays low-cardinality.
    samples: BTreeMap<String, String>,
    answered: u64,
}

impl Window {
    fn record(&mut self, action: &'static str, latency: Duration) {
        let us = u32::try_from(latency.as_micros()).unwrap_or(u32::MAX);
        self.latencies_us.entry(action).or_default().push(us);
        self.answered += 1;
    }

    /// Adds another window's samples (ramp steps into one total).
    pub fn merge(&mut self, other: Window) {
        for (action, samples) in other.latencies_us {
            self.latencies_us.entry(action).or_default().extend(samples);
        }
        for (kind, n) in other.errors {
            *self.errors.entry(kind).or_default() += n;
        }
        for (kind, detail) in other.samples {
            self.samples.entry(kind).or_insert(detail);
        }
        self.answered += other.answered;
    }

    pub fn answered(&self) -> u64 {
        self.answered
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    pub fn errors(&self) -> &BTreeMap<String, u64> {
        &self.errors
    }

    pub fn error_samples(&self) -> &BTreeMap<String, String> {
        &self.samples
    }

    /// Latency summary per action, plus `"all"` over every answered call.
    pub fn summaries(&self) -> BTreeMap<String, LatencySummary> {
        let mut out = BTreeMap::new();
        let mut all = Vec::new();
        for (action, samples) in &self.latencies_us {
            all.extend_from_slice(samples);
            out.insert((*action).to_string(), LatencySummary::of(samples.clone()));
        }
        if !all.is_empty() {
            out.insert("all".to_string(), LatencySummary::of(all));
        }
        out
    }

    /// p99 over every answered call, in milliseconds (None without samples).
    pub fn p99_ms(&self) -> Option<f64> {
        let all: Vec<u32> = self.latencies_us.values().flatten().copied().collect();
        (!all.is_empty()).then(|| LatencySummary::of(all).p99_ms)
    }
}

/// Percentiles of one action's answer latency.
#[derive(Debug, Clone, Serialize)]
pub struct LatencySummary {
    pub count: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl LatencySummary {
    fn of(mut samples: Vec<u32>) -> Self {
        samples.sort_unstable();
        // Nearest-rank percentile: the smallest sample with at least q of the
        // samples at or below it.
        let pick = |q: f64| -> f64 {
            if samples.is_empty() {
                return 0.0;
            }
            let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
            samples.get(rank - 1).copied().map_or(0.0, ms)
        };
        Self {
            count: samples.len(),
            p50_ms: pick(0.50),
            p90_ms: pick(0.90),
            p99_ms: pick(0.99),
            max_ms: samples.last().copied().map_or(0.0, ms),
        }
    }
}

fn ms(us: u32) -> f64 {
    f64::from(us) / 1000.0
}

/// Thread-safe recorder: one lock per sample is negligible next to a
/// WebSocket round trip, and keeps the code obvious.
#[derive(Default)]
pub struct Recorder {
    inner: Mutex<(Window, Window)>,
}

impl Recorder {
    pub fn answered(&self, action: &'static str, latency: Duration) {
        if let Ok(mut g) = self.inner.lock() {
            g.0.record(action, latency);
            g.1.record(action, latency);
        }
    }

    pub fn error(&self, kind: impl Into<String>) {
        self.error_with(kind, None);
    }

    pub fn error_with(&self, kind: impl Into<String>, detail: Option<&str>) {
        let kind = kind.into();
        if let Ok(mut g) = self.inner.lock() {
            let (total, window) = &mut *g;
            for w in [total, window] {
                *w.errors.entry(kind.clone()).or_default() += 1;
                if let Some(d) = detail {
                    w.samples
                        .entry(kind.clone())
                        .or_insert_with(|| d.chars().take(200).collect());
                }
            }
        }
    }

    /// Everything recorded since the start.
    pub fn total(&self) -> Window {
        self.inner.lock().map(|g| g.0.clone()).unwrap_or_default()
    }

    /// Returns what was recorded since the previous call and starts a new
    /// window (ramp steps are measured this way).
    pub fn take_window(&self) -> Window {
        self.inner
            .lock()
            .map(|mut g| std::mem::take(&mut g.1))
            .unwrap_or_default()
    }
}
