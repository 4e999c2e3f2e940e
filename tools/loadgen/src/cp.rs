//! One simulated charge point: connects with subprotocol `ocpp1.6`, boots,
//! then follows a charging-session cycle until told to stop.
//!
//! Like a real OCPP 1.6J charge point it has at most one CALL outstanding, so
//! the rate one charge point can offer is bounded by the answer latency; the
//! overall rate comes from having many of them.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::{watch, Semaphore};
use tokio::time::{sleep_until, timeout};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::stats::Recorder;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What the controller tells every charge point to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Connect (if not connected) and run the workload.
    Run,
    /// Drop the socket and reconnect at once; the number tells storms apart.
    Storm(u32),
    /// Finish: optionally prove the connection is still alive, then close.
    Stop,
}

/// How often a charge point sends what.
pub enum Workload {
    /// Nothing but boot (and heartbeats at `heartbeat`): idle connections.
    Idle { heartbeat: Option<Duration> },
    /// Real-life pacing: meter values every `meter`, heartbeats every
    /// `heartbeat`, `gap` between a stop and the next session.
    Paced {
        meter: Duration,
        heartbeat: Option<Duration>,
        gap: Duration,
        meters_per_session: u32,
    },
    /// Every step of the session cycle (heartbeat included) `interval_us`
    /// apart; the controller changes it to ramp the overall rate.
    Rate {
        interval_us: AtomicU64,
        meters_per_session: u32,
    },
}

pub struct Ctx {
    pub url: String,
    pub id_prefix: String,
    pub id_tag_prefix: String,
    pub timeout: Duration,
    pub workload: Workload,
    pub recorder: Recorder,
    /// Limits simultaneous handshakes outside a storm, so that ramping up
    /// 10,000 charge points measures the backend and not a SYN flood.
    pub connect_gate: Semaphore,
    /// Successful boots (the controller resets it before a storm).
    pub booted: AtomicUsize,
    /// Sockets open right now.
    pub open: AtomicUsize,
    /// Ask every charge point for a Heartbeat when stopping, to count the
    /// connections that really are still usable.
    pub final_check: bool,
    /// Open the WebSocket only: no BootNotification, no messages at all, so
    /// that holding idle sockets measures the gateway and little else.
    pub no_boot: bool,
}

impl Ctx {
    pub fn cp_id(&self, idx: usize) -> String {
        format!("{}{:05}", self.id_prefix, idx + 1)
    }

    pub fn id_tag(&self, idx: usize) -> String {
        format!("{}{:05}", self.id_tag_prefix, idx + 1)
    }
}

/// Why a call did not get a CALLRESULT.
enum CallFail {
    /// The connection is gone: reconnect.
    Lost(String),
    /// A CALLERROR or a timeout: already recorded, the socket stays.
    Failed,
}

/// The steps of one charging session, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Authorize,
    Preparing,
    Start,
    Charging,
    Meter(u32),
    Stop,
    Available,
    Heartbeat,
}

struct ChargePoint {
    idx: usize,
    id: String,
    id_tag: String,
    next_message_id: u64,
    step: Step,
    transaction_id: Option<i64>,
    meter_wh: i64,
    rng: u64,
}

/// Runs one charge point until `Phase::Stop`; returns whether it still held
/// a working connection at the end.
pub async fn run(ctx: Arc<Ctx>, idx: usize, mut phase: watch::Receiver<Phase>) -> bool {
    let mut cp = ChargePoint {
        idx,
        id: ctx.cp_id(idx),
        id_tag: ctx.id_tag(idx),
        next_message_id: 1,
        step: Step::Authorize,
        transaction_id: None,
        meter_wh: 1_000 * (idx as i64 % 97),
        rng: 0x9E37_79B9_7F4A_7C15 ^ (idx as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9),
    };
    let mut conn: Option<Ws> = None;
    let mut seen_storm = 0;
    let mut in_storm = false;
    loop {
        let current = *phase.borrow_and_update();
        match current {
            Phase::Stop => break,
            Phase::Storm(n) if n != seen_storm => {
                seen_storm = n;
                in_storm = true;
                // Abrupt, like a site losing its uplink: no close frame.
                if conn.take().is_some() {
                    ctx.open.fetch_sub(1, Ordering::Relaxed);
                }
            }
            _ => {}
        }
        let ws = match conn.as_mut() {
            Some(ws) => ws,
            None => {
                let attempt = if in_storm {
                    cp.connect_and_boot(&ctx).await
                } else {
                    // Thousands may queue here after mass disconnects: a stop
                    // must not wait for each of them to get its turn.
                    tokio::select! {
                        permit = ctx.connect_gate.acquire() => match permit {
                            Ok(_permit) => cp.connect_and_boot(&ctx).await,
                            Err(_) => Err("connect: gate closed".to_string()),
                        },
                        _ = phase.changed() => continue,
                    }
                };
                match attempt {
                    Ok(ws) => {
                        ctx.open.fetch_add(1, Ordering::Relaxed);
                        ctx.booted.fetch_add(1, Ordering::Relaxed);
                        in_storm = false;
                        conn.insert(ws)
                    }
                    Err(kind) => {
                        ctx.recorder.error(kind);
                        // Back off like a real charge point, but wake up for
                        // a stop so the run ends on time.
                        let backoff = Duration::from_millis(500 + cp.random(1_000));
                        tokio::select! {
                            _ = tokio::time::sleep(backoff) => {}
                            _ = phase.changed() => {}
                        }
                        continue;
                    }
                }
            }
        };
        if !cp.work(&ctx, ws, &mut phase).await {
            conn = None;
            ctx.open.fetch_sub(1, Ordering::Relaxed);
        }
    }
    let Some(mut ws) = conn else {
        ctx.recorder.error("final check: not connected at stop");
        return false;
    };
    // Without a boot the backend may not answer calls; a socket that is
    // still open (no close or error seen while holding) counts as held.
    let held = if ctx.final_check && !ctx.no_boot {
        cp.call(&ctx, &mut ws, "Heartbeat", json!({})).await.is_ok()
    } else {
        true
    };
    // Bounded: a backend that never answers the close must not hang the run.
    let _ = timeout(Duration::from_secs(2), ws.close(None)).await;
    ctx.open.fetch_sub(1, Ordering::Relaxed);
    held
}

impl ChargePoint {
    /// xorshift64*: jitter only, no need for a real RNG dependency.
    fn random(&mut self, below: u64) -> u64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) % below.max(1)
    }

    async fn connect_and_boot(&mut self, ctx: &Ctx) -> Result<Ws, String> {
        let mut ws = connect(ctx, &self.id).await?;
        if ctx.no_boot {
            return Ok(ws);
        }
        let boot = json!({
            "chargePointVendor": "LoadGen",
            "chargePointModel": "LG-1",
            "chargePointSerialNumber": self.id,
            "firmwareVersion": "1.0.0",
        });
        match self.call(ctx, &mut ws, "BootNotification", boot).await {
            Ok(answer) => match answer.get("status").and_then(Value::as_str) {
                Some("Accepted") => {}
                other => return Err(format!("boot: status {}", other.unwrap_or("missing"))),
            },
            Err(CallFail::Lost(why)) => return Err(why),
            // Already recorded; the next attempt reconnects from scratch.
            Err(CallFail::Failed) => return Err("boot: not answered".to_string()),
        }
        // A real charge point reports its connector right after booting.
        if let Err(CallFail::Lost(why)) = self.status(ctx, &mut ws, "Available").await {
            return Err(why);
        }
        // A reconnect ends whatever session was running, as a reboot would.
        self.step = Step::Authorize;
        self.transaction_id = None;
        Ok(ws)
    }

    async fn status(&mut self, ctx: &Ctx, ws: &mut Ws, status: &str) -> Result<Value, CallFail> {
        let payload = json!({
            "connectorId": 1,
            "errorCode": "NoError",
            "status": status,
            "timestamp": now_rfc3339(),
        });
        self.call(ctx, ws, "StatusNotification", payload).await
    }

    /// Runs the workload until the phase changes (true) or the socket is
    /// lost (false).
    async fn work(&mut self, ctx: &Ctx, ws: &mut Ws, phase: &mut watch::Receiver<Phase>) -> bool {
        let start = Instant::now();
        // Spread the first message of every charge point over one period so
        // that the load is smooth instead of arriving in lock-step.
        let (mut next_step, mut next_heartbeat) = match &ctx.workload {
            Workload::Idle { heartbeat } => (None, heartbeat.map(|h| start + self.jitter(h))),
            Workload::Paced {
                meter, heartbeat, ..
            } => (
                Some(start + self.jitter(*meter)),
                heartbeat.map(|h| start + self.jitter(h)),
            ),
            Workload::Rate { interval_us, .. } => {
                // Holds the time of the previous step: the first one is due
                // a random fraction of an interval from now.
                let interval = Duration::from_micros(interval_us.load(Ordering::Relaxed));
                let first = start + self.jitter(interval);
                (Some(first.checked_sub(interval).unwrap_or(start)), None)
            }
        };
        loop {
            // In rate mode the pace is re-read on every wake-up (at least
            // every 100 ms), so a ramp step takes effect at once instead of
            // after the previous, longer interval.
            let rate_interval = match &ctx.workload {
                Workload::Rate { interval_us, .. } => {
                    Some(Duration::from_micros(interval_us.load(Ordering::Relaxed)))
                }
                _ => None,
            };
            let due_step = match (next_step, rate_interval) {
                (Some(last), Some(interval)) => Some(last + interval),
                (at, _) => at,
            };
            let wake = match (due_step, next_heartbeat) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let wake = match (wake, rate_interval) {
                (Some(at), Some(_)) => Some(at.min(Instant::now() + Duration::from_millis(100))),
                (at, _) => at,
            };
            let sleeper = async {
                match wake {
                    Some(at) => sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                changed = phase.changed() => {
                    // A dropped controller also means: stop.
                    let _ = changed;
                    return true;
                }
                incoming = ws.next() => {
                    match incoming {
                        Some(Ok(msg)) => {
                            if let Err(CallFail::Lost(_)) = self.unsolicited(ws, msg).await {
                                ctx.recorder.error("connection lost while idle");
                                return false;
                            }
                        }
                        _ => {
                            ctx.recorder.error("connection lost while idle");
                            return false;
                        }
                    }
                }
                _ = sleeper => {
                    let now = Instant::now();
                    if next_heartbeat.is_some_and(|h| h <= now) {
                        if let Err(CallFail::Lost(_)) = self.call(ctx, ws, "Heartbeat", json!({})).await {
                            return false;
                        }
                        if let Some(h) = next_heartbeat.as_mut() {
                            *h = next_after(*h, heartbeat_period(&ctx.workload));
                        }
                    } else if let Some(due) = due_step.filter(|d| *d <= now) {
                        if !self.do_step(ctx, ws).await {
                            return false;
                        }
                        next_step = Some(match rate_interval {
                            // Rate mode keeps the time of the step just sent;
                            // the next one is due one (current) interval later.
                            Some(interval) => {
                                let behind = Instant::now().checked_sub(interval).unwrap_or(due);
                                due.max(behind)
                            }
                            None => next_after(due, self.delay_before_step(&ctx.workload)),
                        });
                    }
                }
            }
        }
    }

    fn jitter(&mut self, period: Duration) -> Duration {
        let us = u64::try_from(period.as_micros()).unwrap_or(u64::MAX);
        Duration::from_micros(self.random(us.max(1)))
    }

    /// How long to wait before the (already advanced) current step.
    fn delay_before_step(&self, workload: &Workload) -> Duration {
        match workload {
            Workload::Idle { .. } => Duration::from_secs(3600),
            Workload::Rate { interval_us, .. } => {
                Duration::from_micros(interval_us.load(Ordering::Relaxed))
            }
            Workload::Paced { meter, gap, .. } => match self.step {
                Step::Authorize => *gap,
                // Plug in, authorise, start: seconds apart in real life.
                Step::Preparing | Step::Start | Step::Charging | Step::Available => {
                    Duration::from_secs(1)
                }
                Step::Meter(_) | Step::Stop => *meter,
                Step::Heartbeat => Duration::ZERO,
            },
        }
    }

    fn meters_per_session(workload: &Workload) -> u32 {
        match workload {
            Workload::Paced {
                meters_per_session, ..
            }
            | Workload::Rate {
                meters_per_session, ..
            } => *meters_per_session,
            Workload::Idle { .. } => 0,
        }
    }

    /// Sends the current step's message and advances; false if the socket
    /// was lost.
    async fn do_step(&mut self, ctx: &Ctx, ws: &mut Ws) -> bool {
        let meters = Self::meters_per_session(&ctx.workload);
        let rate_mode = matches!(ctx.workload, Workload::Rate { .. });
        let (result, next) = match self.step {
            Step::Authorize => {
                let r = self
                    .call(ctx, ws, "Authorize", json!({ "idTag": self.id_tag }))
                    .await;
                (r.map(|_| ()), Step::Preparing)
            }
            Step::Preparing => (
                self.status(ctx, ws, "Preparing").await.map(|_| ()),
                Step::Start,
            ),
            Step::Start => {
                let payload = json!({
                    "connectorId": 1,
                    "idTag": self.id_tag,
                    "meterStart": self.meter_wh,
                    "timestamp": now_rfc3339(),
                });
                let r = self.call(ctx, ws, "StartTransaction", payload).await;
                self.transaction_id = r
                    .as_ref()
                    .ok()
                    .and_then(|a| a.get("transactionId"))
                    .and_then(Value::as_i64);
                // Without a transaction id there is nothing to meter or stop.
                let next = if self.transaction_id.is_some() {
                    Step::Charging
                } else {
                    Step::Available
                };
                (r.map(|_| ()), next)
            }
            Step::Charging => {
                let next = if meters > 0 {
                    Step::Meter(0)
                } else {
                    Step::Stop
                };
                (self.status(ctx, ws, "Charging").await.map(|_| ()), next)
            }
            Step::Meter(k) => {
                let r = self.meter_values(ctx, ws).await;
                let next = if k + 1 < meters {
                    Step::Meter(k + 1)
                } else {
                    Step::Stop
                };
                (r, next)
            }
            Step::Stop => {
                let payload = json!({
                    "transactionId": self.transaction_id.unwrap_or(0),
                    "idTag": self.id_tag,
                    "meterStop": self.meter_wh,
                    "timestamp": now_rfc3339(),
                    "reason": "Local",
                });
                let r = self.call(ctx, ws, "StopTransaction", payload).await;
                self.transaction_id = None;
                (r.map(|_| ()), Step::Available)
            }
            Step::Available => {
                let next = if rate_mode {
                    Step::Heartbeat
                } else {
                    Step::Authorize
                };
                (self.status(ctx, ws, "Available").await.map(|_| ()), next)
            }
            Step::Heartbeat => (
                self.call(ctx, ws, "Heartbeat", json!({})).await.map(|_| ()),
                Step::Authorize,
            ),
        };
        self.step = next;
        !matches!(result, Err(CallFail::Lost(_)))
    }

    async fn meter_values(&mut self, ctx: &Ctx, ws: &mut Ws) -> Result<(), CallFail> {
        // 11 kW three-phase for one minute, SoC creeping up.
        self.meter_wh += 183;
        let soc = 20 + (self.meter_wh / 1000) % 80;
        let mut sampled = vec![
            json!({"value": self.meter_wh.to_string(), "context": "Sample.Periodic",
                   "measurand": "Energy.Active.Import.Register", "location": "Outlet", "unit": "Wh"}),
            json!({"value": "11040", "context": "Sample.Periodic",
                   "measurand": "Power.Active.Import", "location": "Outlet", "unit": "W"}),
        ];
        for phase in ["L1", "L2", "L3"] {
            sampled.push(json!({"value": "16.0", "context": "Sample.Periodic",
                "measurand": "Current.Import", "phase": phase, "location": "Outlet", "unit": "A"}));
        }
        for phase in ["L1-N", "L2-N", "L3-N"] {
            sampled.push(json!({"value": "230.0", "context": "Sample.Periodic",
                "measurand": "Voltage", "phase": phase, "location": "Outlet", "unit": "V"}));
        }
        sampled.push(
            json!({"value": soc.to_string(), "context": "Sample.Periodic",
            "measurand": "SoC", "location": "EV", "unit": "Percent"}),
        );
        let payload = json!({
            "connectorId": 1,
            "transactionId": self.transaction_id.unwrap_or(0),
            "meterValue": [{"timestamp": now_rfc3339(), "sampledValue": sampled}],
        });
        self.call(ctx, ws, "MeterValues", payload).await.map(|_| ())
    }

    /// One CALL and its answer; records the latency or the error.
    async fn call(
        &mut self,
        ctx: &Ctx,
        ws: &mut Ws,
        action: &'static str,
        payload: Value,
    ) -> Result<Value, CallFail> {
        let message_id = format!("{}-{}", self.idx, self.next_message_id);
        self.next_message_id += 1;
        let frame = json!([2, message_id, action, payload]).to_string();
        let sent = Instant::now();
        if let Err(e) = ws.send(Message::text(frame)).await {
            let why = format!("send failed: {}", ws_error_kind(&e));
            ctx.recorder.error(why.clone());
            return Err(CallFail::Lost(why));
        }
        let deadline = sent + ctx.timeout;
        loop {
            let msg = match timeout(
                deadline.saturating_duration_since(Instant::now()),
                ws.next(),
            )
            .await
            {
                Err(_) => {
                    ctx.recorder.error(format!("timeout ({action})"));
                    return Err(CallFail::Failed);
                }
                Ok(Some(Ok(msg))) => msg,
                Ok(Some(Err(e))) => {
                    let why = format!("connection lost: {}", ws_error_kind(&e));
                    ctx.recorder.error(why.clone());
                    return Err(CallFail::Lost(why));
                }
                Ok(None) => {
                    ctx.recorder.error("connection lost: closed");
                    return Err(CallFail::Lost("connection lost: closed".into()));
                }
            };
            let Message::Text(text) = &msg else {
                if let Err(e) = self.unsolicited(ws, msg).await {
                    // The backend (or gateway) closed the socket mid-call.
                    ctx.recorder
                        .error(format!("connection closed by backend ({action})"));
                    return Err(e);
                }
                continue;
            };
            let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text.as_str()) else {
                ctx.recorder.error("malformed frame from backend");
                continue;
            };
            let kind = items.first().and_then(Value::as_i64);
            let id_matches = items.get(1).and_then(Value::as_str) == Some(message_id.as_str());
            match kind {
                Some(3) if id_matches => {
                    ctx.recorder.answered(action, sent.elapsed());
                    return Ok(items.get(2).cloned().unwrap_or(Value::Null));
                }
                Some(4) if id_matches => {
                    let code = items.get(2).and_then(Value::as_str).unwrap_or("?");
                    let detail = items.get(3).and_then(Value::as_str);
                    ctx.recorder
                        .error_with(format!("CALLERROR {code} ({action})"), detail);
                    return Err(CallFail::Failed);
                }
                Some(2) => self.answer_csms_call(ws, &items).await?,
                // A late answer to a call that already timed out.
                _ => {}
            }
        }
    }

    /// A frame that is not the answer being waited for.
    async fn unsolicited(&mut self, ws: &mut Ws, msg: Message) -> Result<(), CallFail> {
        match msg {
            Message::Close(_) => Err(CallFail::Lost("connection lost: closed".into())),
            Message::Text(text) => {
                if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text.as_str()) {
                    if items.first().and_then(Value::as_i64) == Some(2) {
                        self.answer_csms_call(ws, &items).await?;
                    }
                }
                Ok(())
            }
            // tungstenite answers pings itself on the next read or write.
            _ => Ok(()),
        }
    }

    /// The load generator does not implement central-system commands; it
    /// says so instead of leaving the backend waiting for its timeout.
    async fn answer_csms_call(&mut self, ws: &mut Ws, items: &[Value]) -> Result<(), CallFail> {
        let id = items.get(1).cloned().unwrap_or(Value::Null);
        let frame = json!([4, id, "NotSupported", "loadgen does not implement this", {}]);
        ws.send(Message::text(frame.to_string()))
            .await
            .map_err(|e| CallFail::Lost(format!("send failed: {}", ws_error_kind(&e))))
    }
}

fn heartbeat_period(workload: &Workload) -> Duration {
    match workload {
        Workload::Idle { heartbeat } | Workload::Paced { heartbeat, .. } => {
            heartbeat.unwrap_or(Duration::from_secs(3600))
        }
        Workload::Rate { .. } => Duration::from_secs(3600),
    }
}

/// The next deadline on a fixed schedule; when the charge point has fallen
/// behind it sends at once but does not burst to catch up, so an overloaded
/// backend shows up as a lower achieved rate rather than a hidden queue.
fn next_after(previous: Instant, period: Duration) -> Instant {
    (previous + period).max(Instant::now())
}

async fn connect(ctx: &Ctx, id: &str) -> Result<Ws, String> {
    let url = format!("{}/{}", ctx.url.trim_end_matches('/'), id);
    let mut request = url
        .into_client_request()
        .map_err(|e| format!("connect: bad url: {e}"))?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("ocpp1.6"),
    );
    // Nagle off: every OCPP message is one small frame that must go now.
    let handshake = tokio_tungstenite::connect_async_with_config(request, None, true);
    let (ws, response) = match timeout(ctx.timeout, handshake).await {
        Err(_) => return Err("connect: timeout".into()),
        Ok(Err(e)) => return Err(format!("connect: {}", ws_error_kind(&e))),
        Ok(Ok(pair)) => pair,
    };
    let protocol = response
        .headers()
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok());
    if protocol != Some("ocpp1.6") {
        return Err("connect: ocpp1.6 not negotiated".into());
    }
    Ok(ws)
}

/// A short, low-cardinality name for an error, to count errors by kind.
fn ws_error_kind(e: &WsError) -> String {
    match e {
        WsError::Http(resp) => format!("HTTP {}", resp.status().as_u16()),
        WsError::Io(io) => format!("{:?}", io.kind()),
        WsError::ConnectionClosed | WsError::AlreadyClosed => "closed".into(),
        WsError::Protocol(p) => format!("protocol: {p}"),
        other => {
            let mut s = other.to_string();
            s.truncate(60);
            s
        }
    }
}

/// Current UTC time as RFC 3339 with milliseconds, without a date crate.
pub fn now_rfc3339() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        now.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_has_the_expected_shape() {
        let s = now_rfc3339();
        assert_eq!(s.len(), 24, "{s}");
        assert!(s.ends_with('Z') && s.as_bytes()[10] == b'T', "{s}");
    }
}
