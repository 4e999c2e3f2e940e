//! `loadgen`: simulates N OCPP 1.6J charge points over real WebSockets against
//! a central system and reports throughput, answer latency per action, errors
//! by kind, connections held and (with `--pid`) the host's CPU and memory.
//!
//! Scenarios: steady state (default; real-life pacing, or `--rate`),
//! `--ramp` (saturation: highest sustained rate with p99 under a limit),
//! `--reconnect-storm` and `--idle`. See BENCHMARKS.md for how the project's
//! figures were produced with it.

mod api;
mod cp;
mod procstat;
mod stats;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use futures_util::StreamExt;
use serde::Serialize;
use tokio::sync::{watch, Semaphore};

use cp::{Ctx, Phase, Workload};
use procstat::{ProcReport, ProcWatch};
use stats::{LatencySummary, Window};

#[derive(Parser, Debug)]
#[command(
    version,
    about = "OCPP 1.6J load generator (simulated charge points over WebSockets)"
)]
struct Args {
    /// WebSocket base URL; each charge point appends `/<id>`.
    #[arg(long, default_value = "ws://127.0.0.1:3000/ocpp")]
    url: String,
    /// Number of simulated charge points.
    #[arg(short = 'n', long, default_value_t = 10)]
    charge_points: usize,
    /// Seconds of measurement after every charge point has booted (for
    /// `--idle`: how long the connections are held).
    #[arg(long, default_value_t = 30.0)]
    duration: f64,
    /// Seconds between MeterValues during a session (real-life pacing).
    #[arg(long, default_value_t = 60.0)]
    meter_interval: f64,
    /// Seconds between Heartbeats (0 = none).
    #[arg(long, default_value_t = 300.0)]
    heartbeat_interval: f64,
    /// Seconds between a StopTransaction and the next session.
    #[arg(long, default_value_t = 30.0)]
    session_gap: f64,
    /// MeterValues per charging session.
    #[arg(long, default_value_t = 10)]
    meters_per_session: u32,
    /// Target messages per second over all charge points: every step of the
    /// session cycle (Authorize, StatusNotification, StartTransaction,
    /// MeterValues..., StopTransaction, Heartbeat) is paced to reach it,
    /// instead of real-life intervals.
    #[arg(long)]
    rate: Option<f64>,
    /// Saturation search: raise the rate stepwise and report the highest one
    /// sustained with p99 under `--p99-limit-ms`.
    #[arg(long)]
    ramp: bool,
    #[arg(long, default_value_t = 50.0)]
    ramp_start: f64,
    /// Added to the rate at each step.
    #[arg(long, default_value_t = 50.0)]
    ramp_step: f64,
    /// Multiplies the rate at each step instead (e.g. 1.25); overrides --ramp-step.
    #[arg(long)]
    ramp_factor: Option<f64>,
    #[arg(long, default_value_t = 10.0)]
    ramp_step_secs: f64,
    #[arg(long, default_value_t = 20_000.0)]
    ramp_max: f64,
    #[arg(long, default_value_t = 100.0)]
    p99_limit_ms: f64,
    /// Largest share of failed calls (CALLERRORs, timeouts) a ramp step may
    /// have and still pass; 0 demands none.
    #[arg(long, default_value_t = 0.0)]
    max_error_ratio: f64,
    /// Once all have booted, every charge point drops its socket at once and
    /// reconnects; reports the time until every one has booted again.
    #[arg(long)]
    reconnect_storm: bool,
    /// Longest wait for a storm to settle, in seconds.
    #[arg(long, default_value_t = 120.0)]
    storm_timeout: f64,
    /// Only hold the connections (boot, then silence apart from heartbeats);
    /// reports how many still answer at the end.
    #[arg(long)]
    idle: bool,
    /// With --idle: only open the sockets (no BootNotification), to measure
    /// what holding a connection costs the gateway.
    #[arg(long, requires = "idle")]
    no_boot: bool,
    /// Process to sample CPU time and memory of (repeatable).
    #[arg(long = "pid")]
    pids: Vec<u32>,
    /// Simultaneous handshakes while connecting (outside a storm).
    #[arg(long, default_value_t = 64)]
    connect_concurrency: usize,
    /// Longest wait for every charge point to boot, in seconds.
    #[arg(long, default_value_t = 300.0)]
    connect_deadline: f64,
    /// Seconds to wait for an answer (and for a handshake).
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    #[arg(long, default_value = "LG-")]
    id_prefix: String,
    /// idTags are this prefix plus the charge point's number.
    #[arg(long, default_value = "LGT")]
    id_tag_prefix: String,
    /// Create every idTag as Accepted through the operator API first
    /// (otherwise they are unknown: Invalid, transactions still stored).
    #[arg(long, requires_all = ["api_url", "api_token"])]
    create_id_tags: bool,
    #[arg(long)]
    api_url: Option<String>,
    #[arg(long, env = "LOADGEN_API_TOKEN")]
    api_token: Option<String>,
    /// Print the report as JSON on stdout instead of a table.
    #[arg(long)]
    json: bool,
    /// Also write the JSON report to this file.
    #[arg(long)]
    json_out: Option<std::path::PathBuf>,
    /// Label for the report (e.g. the target's name).
    #[arg(long, default_value = "")]
    label: String,
}

#[derive(Serialize)]
struct Report {
    label: String,
    scenario: &'static str,
    url: String,
    started_at: String,
    charge_points: usize,
    connect: ConnectReport,
    measured_seconds: f64,
    target_rate: Option<f64>,
    answered: u64,
    messages_per_second: f64,
    latency_ms: BTreeMap<String, LatencySummary>,
    /// Over the whole run, connect phase and final check included.
    errors: BTreeMap<String, u64>,
    /// One description per error kind, as the backend worded it.
    error_samples: BTreeMap<String, String>,
    error_total: u64,
    connections_open_before_stop: usize,
    /// Connections that answered a final Heartbeat.
    connections_held: usize,
    no_boot: bool,
    ramp: Option<RampReport>,
    storm: Option<StormReport>,
    host: Vec<ProcReport>,
}

#[derive(Serialize)]
struct ConnectReport {
    seconds: f64,
    booted: usize,
    boot_latency_ms: Option<LatencySummary>,
}

#[derive(Serialize)]
struct RampReport {
    p99_limit_ms: f64,
    steps: Vec<RampStep>,
    max_error_ratio: f64,
    /// Highest achieved rate of a step that met 85 % of its target, the p99
    /// limit and the error ratio.
    max_sustained_rate: Option<f64>,
}

#[derive(Serialize)]
struct RampStep {
    target_rate: f64,
    achieved_rate: f64,
    p99_ms: Option<f64>,
    errors: u64,
    passed: bool,
}

#[derive(Serialize)]
struct StormReport {
    rebooted: usize,
    seconds_until_all_booted: Option<f64>,
    boot_latency_ms: Option<LatencySummary>,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn secs(s: f64, what: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(s).with_context(|| format!("{what} must be a non-negative number"))
}

fn interval_us(charge_points: usize, rate: f64) -> u64 {
    (charge_points as f64 / rate.max(0.001) * 1e6) as u64
}

async fn run(args: Args) -> anyhow::Result<()> {
    if args.charge_points == 0 {
        bail!("--charge-points must be at least 1");
    }
    let modes = [args.ramp, args.reconnect_storm, args.idle]
        .iter()
        .filter(|m| **m)
        .count();
    if modes > 1 {
        bail!("--ramp, --reconnect-storm and --idle are separate scenarios");
    }
    let heartbeat = (args.heartbeat_interval > 0.0)
        .then_some(secs(args.heartbeat_interval, "--heartbeat-interval")?);
    let scenario = if args.ramp {
        "ramp"
    } else if args.reconnect_storm {
        "reconnect-storm"
    } else if args.idle {
        "idle"
    } else {
        "steady"
    };
    let workload = if args.idle || args.reconnect_storm {
        Workload::Idle { heartbeat }
    } else if args.ramp || args.rate.is_some() {
        let rate = if args.ramp {
            args.ramp_start
        } else {
            args.rate.unwrap_or(1.0)
        };
        Workload::Rate {
            interval_us: AtomicU64::new(interval_us(args.charge_points, rate)),
            meters_per_session: args.meters_per_session,
        }
    } else {
        Workload::Paced {
            meter: secs(args.meter_interval, "--meter-interval")?,
            heartbeat,
            gap: secs(args.session_gap, "--session-gap")?,
            meters_per_session: args.meters_per_session,
        }
    };

    let ctx = Arc::new(Ctx {
        url: args.url.clone(),
        id_prefix: args.id_prefix.clone(),
        id_tag_prefix: args.id_tag_prefix.clone(),
        timeout: secs(args.timeout, "--timeout")?,
        workload,
        recorder: stats::Recorder::default(),
        connect_gate: Semaphore::new(args.connect_concurrency.max(1)),
        booted: AtomicUsize::new(0),
        open: AtomicUsize::new(0),
        final_check: true,
        no_boot: args.no_boot,
    });

    if args.create_id_tags {
        create_id_tags(&args, &ctx).await?;
    }

    let started_at = cp::now_rfc3339();
    let watch_procs = ProcWatch::start(&args.pids);
    let (phase_tx, phase_rx) = watch::channel(Phase::Run);
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..args.charge_points)
        .map(|i| tokio::spawn(cp::run(ctx.clone(), i, phase_rx.clone())))
        .collect();

    // Connect phase: wait for every boot (or the deadline).
    let deadline = t0 + secs(args.connect_deadline, "--connect-deadline")?;
    let n = args.charge_points;
    wait_for_boots(&ctx, n, deadline, "connecting").await;
    let connect = ConnectReport {
        seconds: round3(t0.elapsed().as_secs_f64()),
        booted: ctx.booted.load(Ordering::Relaxed),
        boot_latency_ms: ctx
            .recorder
            .take_window()
            .summaries()
            .remove("BootNotification"),
    };

    let mut ramp = None;
    let mut storm = None;
    let mut target_rate = args.rate;
    let measured_start = Instant::now();
    let window: Window = if args.ramp {
        let (report, all) = run_ramp(&args, &ctx).await?;
        target_rate = report.steps.last().map(|s| s.target_rate);
        ramp = Some(report);
        all
    } else if args.reconnect_storm {
        // Let the boot burst settle so the storm is measured on its own.
        tokio::time::sleep(Duration::from_secs(2)).await;
        ctx.recorder.take_window();
        ctx.booted.store(0, Ordering::Relaxed);
        let storm_start = Instant::now();
        let _ = phase_tx.send(Phase::Storm(1));
        let storm_deadline = storm_start + secs(args.storm_timeout, "--storm-timeout")?;
        let all = wait_for_boots(&ctx, n, storm_deadline, "storm").await;
        let elapsed = storm_start.elapsed().as_secs_f64();
        let w = ctx.recorder.take_window();
        storm = Some(StormReport {
            rebooted: ctx.booted.load(Ordering::Relaxed),
            seconds_until_all_booted: all.then_some(round3(elapsed)),
            boot_latency_ms: w.summaries().remove("BootNotification"),
        });
        w
    } else {
        let duration = secs(args.duration, "--duration")?;
        let end = Instant::now() + duration;
        while Instant::now() < end {
            tokio::time::sleep(Duration::from_secs(5).min(end - Instant::now())).await;
            progress(&ctx, "running", measured_start);
        }
        ctx.recorder.take_window()
    };
    let measured_seconds = measured_start.elapsed().as_secs_f64();
    let open_before_stop = ctx.open.load(Ordering::Relaxed);

    let _ = phase_tx.send(Phase::Stop);
    let mut held = 0;
    // Each task ends within one answer timeout plus the close timeout.
    // One deadline for all: waiting per task would add up over thousands.
    let join_deadline = tokio::time::Instant::now() + ctx.timeout + Duration::from_secs(10);
    for task in tasks {
        match tokio::time::timeout_at(join_deadline, task).await {
            Ok(Ok(true)) => held += 1,
            Ok(Ok(false)) => {}
            Ok(Err(_)) => ctx.recorder.error("final check: charge point task failed"),
            Err(_) => ctx
                .recorder
                .error("final check: charge point did not stop in time"),
        }
    }
    let host = watch_procs.finish().await;
    let total = ctx.recorder.total();

    let report = Report {
        label: args.label.clone(),
        scenario,
        url: args.url.clone(),
        started_at,
        charge_points: n,
        connect,
        measured_seconds: round3(measured_seconds),
        target_rate,
        answered: window.answered(),
        messages_per_second: round3(window.answered() as f64 / measured_seconds.max(1e-9)),
        latency_ms: window.summaries(),
        errors: total.errors().clone(),
        error_samples: total.error_samples().clone(),
        error_total: total.error_count(),
        connections_open_before_stop: open_before_stop,
        connections_held: held,
        no_boot: args.no_boot,
        ramp,
        storm,
        host,
    };
    let json = serde_json::to_string_pretty(&report)?;
    if let Some(path) = &args.json_out {
        std::fs::write(path, &json).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{json}")?;
    } else {
        print_table(&mut out, &report)?;
    }
    Ok(())
}

async fn create_id_tags(args: &Args, ctx: &Ctx) -> anyhow::Result<()> {
    let (Some(url), Some(token)) = (&args.api_url, &args.api_token) else {
        bail!("--create-id-tags needs --api-url and --api-token");
    };
    let results: Vec<anyhow::Result<()>> = futures_util::stream::iter(0..args.charge_points)
        .map(|i| {
            let tag = ctx.id_tag(i);
            async move { api::put_id_tag(url, token, &tag).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for r in results {
        r?;
    }
    eprintln!("loadgen: created {} idTags", args.charge_points);
    Ok(())
}

/// Waits until `n` boots were counted; true if all made it in time.
async fn wait_for_boots(ctx: &Ctx, n: usize, deadline: Instant, what: &str) -> bool {
    let start = Instant::now();
    let mut last_report = Instant::now();
    loop {
        if ctx.booted.load(Ordering::Relaxed) >= n {
            return true;
        }
        if Instant::now() >= deadline {
            eprintln!(
                "loadgen: {what}: only {} of {n} booted by the deadline",
                ctx.booted.load(Ordering::Relaxed)
            );
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        if last_report.elapsed() >= Duration::from_secs(5) {
            last_report = Instant::now();
            progress(ctx, what, start);
        }
    }
}

fn progress(ctx: &Ctx, what: &str, since: Instant) {
    let w = ctx.recorder.total();
    eprintln!(
        "loadgen: {what} {:.0}s: booted {} open {} answered {} errors {}",
        since.elapsed().as_secs_f64(),
        ctx.booted.load(Ordering::Relaxed),
        ctx.open.load(Ordering::Relaxed),
        w.answered(),
        w.error_count()
    );
}

/// Steps the overall rate up until a step misses its target, breaks the p99
/// limit or sees errors. Returns the steps and everything measured.
async fn run_ramp(args: &Args, ctx: &Ctx) -> anyhow::Result<(RampReport, Window)> {
    let Workload::Rate {
        interval_us: interval,
        ..
    } = &ctx.workload
    else {
        bail!("ramp needs the rate workload");
    };
    let step_len = secs(args.ramp_step_secs, "--ramp-step-secs")?;
    let mut steps = Vec::new();
    let mut rate = args.ramp_start;
    let mut all = Window::default();
    let mut best: Option<f64> = None;
    let mut failures = 0;
    while rate <= args.ramp_max {
        interval.store(interval_us(args.charge_points, rate), Ordering::Relaxed);
        // The first second of a step still carries the previous pacing.
        tokio::time::sleep(Duration::from_secs(1)).await;
        ctx.recorder.take_window();
        let t = Instant::now();
        tokio::time::sleep(step_len).await;
        let w = ctx.recorder.take_window();
        let achieved = w.answered() as f64 / t.elapsed().as_secs_f64();
        let p99 = w.p99_ms();
        let error_ratio = w.error_count() as f64 / (w.answered() + w.error_count()).max(1) as f64;
        let passed = achieved >= 0.85 * rate
            && p99.is_some_and(|p| p < args.p99_limit_ms)
            && error_ratio <= args.max_error_ratio;
        eprintln!(
            "loadgen: ramp target {rate:.0}/s achieved {achieved:.0}/s p99 {:.1} ms errors {} -> {}",
            p99.unwrap_or(f64::NAN),
            w.error_count(),
            if passed { "ok" } else { "FAIL" }
        );
        steps.push(RampStep {
            target_rate: round3(rate),
            achieved_rate: round3(achieved),
            p99_ms: p99,
            errors: w.error_count(),
            passed,
        });
        if passed {
            best = Some(best.map_or(achieved, |b: f64| b.max(achieved)));
            failures = 0;
        } else {
            // One noisy step on shared cores is not saturation; two in a row is.
            failures += 1;
            if failures >= 2 {
                break;
            }
        }
        all.merge(w);
        rate = match args.ramp_factor {
            Some(f) if f > 1.0 => rate * f,
            _ => rate + args.ramp_step.max(1.0),
        };
    }
    Ok((
        RampReport {
            p99_limit_ms: args.p99_limit_ms,
            max_error_ratio: args.max_error_ratio,
            steps,
            max_sustained_rate: best.map(round3),
        },
        all,
    ))
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn print_table(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    writeln!(
        out,
        "loadgen {} {} ({}) — {} charge points",
        r.scenario, r.label, r.url, r.charge_points
    )?;
    writeln!(
        out,
        "connect: {} booted in {:.1} s{}",
        r.connect.booted,
        r.connect.seconds,
        r.connect
            .boot_latency_ms
            .as_ref()
            .map(|b| format!(", boot p50 {:.1} ms p99 {:.1} ms", b.p50_ms, b.p99_ms))
            .unwrap_or_default()
    )?;
    writeln!(
        out,
        "measured {:.1} s: {} answered, {:.1} msg/s{}",
        r.measured_seconds,
        r.answered,
        r.messages_per_second,
        r.target_rate
            .map(|t| format!(" (target {t:.0})"))
            .unwrap_or_default()
    )?;
    if !r.latency_ms.is_empty() {
        writeln!(
            out,
            "{:<20} {:>8} {:>9} {:>9} {:>9} {:>9}",
            "action", "count", "p50 ms", "p90 ms", "p99 ms", "max ms"
        )?;
        for (action, s) in &r.latency_ms {
            writeln!(
                out,
                "{action:<20} {:>8} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
                s.count, s.p50_ms, s.p90_ms, s.p99_ms, s.max_ms
            )?;
        }
    }
    if let Some(ramp) = &r.ramp {
        writeln!(out, "ramp (p99 limit {} ms):", ramp.p99_limit_ms)?;
        for s in &ramp.steps {
            writeln!(
                out,
                "  target {:>8.0}/s achieved {:>8.1}/s p99 {:>8.2} ms errors {:>4} {}",
                s.target_rate,
                s.achieved_rate,
                s.p99_ms.unwrap_or(f64::NAN),
                s.errors,
                if s.passed { "ok" } else { "FAIL" }
            )?;
        }
        match ramp.max_sustained_rate {
            Some(b) => writeln!(out, "  highest sustained rate: {b:.1} msg/s")?,
            None => writeln!(out, "  no step passed")?,
        }
    }
    if let Some(s) = &r.storm {
        writeln!(
            out,
            "reconnect storm: {} rebooted, all booted again after {}",
            s.rebooted,
            s.seconds_until_all_booted
                .map(|x| format!("{x:.2} s"))
                .unwrap_or_else(|| "— (not all)".into())
        )?;
    }
    writeln!(
        out,
        "connections: {} open before stop, {} held (answered a final Heartbeat)",
        r.connections_open_before_stop, r.connections_held
    )?;
    if r.errors.is_empty() {
        writeln!(out, "errors: none")?;
    } else {
        writeln!(out, "errors ({}):", r.error_total)?;
        for (kind, n) in &r.errors {
            writeln!(out, "  {n:>8}  {kind}")?;
            if let Some(detail) = r.error_samples.get(kind) {
                writeln!(out, "            e.g. {detail}")?;
            }
        }
    }
    for p in &r.host {
        writeln!(
            out,
            "host pid {} ({}): CPU {:.2} s ({:.2} cores), peak RSS {:.1} MiB (VmHWM {:.1} MiB)",
            p.pid, p.name, p.cpu_seconds, p.cpu_cores, p.peak_rss_mib, p.vm_hwm_mib
        )?;
    }
    Ok(())
}
