//! CPU time and memory of the process(es) under test, read from `/proc`.
//!
//! CPU is the difference of `utime + stime` (including reaped children, so a
//! supervisor like `pushpin` counts its workers if given as one pid) between
//! the start and the end of the run. Memory: the highest `VmRSS` seen while
//! sampling every 250 ms, and `VmHWM` (the kernel's own peak) at the end.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::Mutex;

#[derive(Debug, Clone, Serialize)]
pub struct ProcReport {
    pub pid: u32,
    pub name: String,
    pub cpu_seconds: f64,
    /// CPU seconds per wall second over the run (1.0 = one core busy).
    pub cpu_cores: f64,
    pub peak_rss_mib: f64,
    pub vm_hwm_mib: f64,
    pub rss_at_end_mib: f64,
}

struct Sample {
    pid: u32,
    name: String,
    cpu_start: f64,
    peak_rss_kib: u64,
}

pub struct ProcWatch {
    samples: Arc<Mutex<Vec<Sample>>>,
    started: Instant,
    task: tokio::task::JoinHandle<()>,
}

fn ticks_per_second() -> f64 {
    // USER_HZ is 100 on every Linux ABI this runs on; reading it through
    // sysconf would need libc (and unsafe) for a constant.
    100.0
}

/// `utime + stime + cutime + cstime` in seconds.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces; fields are counted after its ')'.
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After ')': state is field 3 of the man page, so utime (14) is index 11.
    let sum: u64 = (11..=14)
        .filter_map(|i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    Some(sum as f64 / ticks_per_second())
}

fn status_kib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

fn name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "?".to_string())
}

impl ProcWatch {
    pub fn start(pids: &[u32]) -> Self {
        let samples: Vec<Sample> = pids
            .iter()
            .map(|&pid| Sample {
                pid,
                name: name(pid),
                cpu_start: cpu_seconds(pid).unwrap_or(0.0),
                peak_rss_kib: status_kib(pid, "VmRSS:").unwrap_or(0),
            })
            .collect();
        let samples = Arc::new(Mutex::new(samples));
        let shared = samples.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tick.tick().await;
                let mut g = shared.lock().await;
                for s in g.iter_mut() {
                    if let Some(rss) = status_kib(s.pid, "VmRSS:") {
                        s.peak_rss_kib = s.peak_rss_kib.max(rss);
                    }
                }
            }
        });
        Self {
            samples,
            started: Instant::now(),
            task,
        }
    }

    pub async fn finish(self) -> Vec<ProcReport> {
        self.task.abort();
        let wall = self.started.elapsed().as_secs_f64().max(1e-9);
        let g = self.samples.lock().await;
        g.iter()
            .map(|s| {
                let cpu = cpu_seconds(s.pid).map_or(0.0, |c| c - s.cpu_start);
                let rss = status_kib(s.pid, "VmRSS:").unwrap_or(0);
                ProcReport {
                    pid: s.pid,
                    name: s.name.clone(),
                    cpu_seconds: round2(cpu),
                    cpu_cores: round2(cpu / wall),
                    peak_rss_mib: mib(s.peak_rss_kib.max(rss)),
                    vm_hwm_mib: mib(status_kib(s.pid, "VmHWM:").unwrap_or(0)),
                    rss_at_end_mib: mib(rss),
                }
            })
            .collect()
    }
}

fn mib(kib: u64) -> f64 {
    round2(kib as f64 / 1024.0)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
