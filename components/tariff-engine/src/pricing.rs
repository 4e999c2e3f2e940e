//! OCPI-style pricing: split the session where any restriction could change, price each piece
//! with the first matching element per dimension, then aggregate into rounded line items.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::money::{round_money, ROUNDING};
use crate::priced::{LineItem, LineKind, PricedSession};
use crate::tariff::{ComponentType, PriceComponent, Restrictions, Tariff};
use crate::timeline::EnergyTimeline;
use crate::{PricingError, SessionFacts};

/// A year and a day: no vehicle charges longer, and it bounds the work per session.
const MAX_SESSION_DAYS: i64 = 366;
const MS_PER_HOUR: i64 = 3_600_000;

/// Prices a session with a validated tariff.
pub fn price_session(
    session: &SessionFacts,
    tariff: &Tariff,
) -> Result<PricedSession, PricingError> {
    let facts = Facts::check(session)?;
    let timeline = EnergyTimeline::new(
        (facts.start, session.meter_start_wh),
        (facts.stop, session.meter_stop_wh),
        session
            .samples
            .iter()
            .map(|s| (s.at.timestamp_millis(), s.wh)),
        facts.charging_end,
    )?;
    let cuts = cut_points(&facts, tariff, &timeline)?;

    let mut chunks: Vec<Chunk> = Vec::new();
    let mut flat: Option<Decimal> = None;
    let pieces: Vec<(i64, i64)> = cuts
        .windows(2)
        .filter_map(|w| match *w {
            [a, b] if b > a => Some((a, b)),
            _ => None,
        })
        .collect();
    // A zero-length session still gets its session fee; evaluate restrictions at its start.
    let pieces = if pieces.is_empty() {
        vec![(facts.start, facts.start)]
    } else {
        pieces
    };

    for (a, b) in pieces {
        // Pieces never straddle a cut, so any inner instant decides for the whole piece; the
        // midpoint keeps away from the boundaries, where verdicts flip.
        let mid = a + (b - a) / 2;
        let ctx = Context::at(mid, &facts, &timeline)?;
        let charging = facts.charging_end.is_none_or(|end| mid < end);

        if let Some(c) = first_component(tariff, ComponentType::Energy, &ctx) {
            // A session of no duration delivered its energy in its one instant.
            let wh = if facts.stop == facts.start {
                session.meter_stop_wh.saturating_sub(session.meter_start_wh)
            } else {
                timeline.energy_wh_between(a, b)
            };
            chunks.push(Chunk::new(LineKind::Energy, c, wh));
        }
        let (time_type, time_kind) = if charging {
            (ComponentType::Time, LineKind::ChargingTime)
        } else {
            (ComponentType::ParkingTime, LineKind::ParkingTime)
        };
        if let Some(c) = first_component(tariff, time_type, &ctx) {
            chunks.push(Chunk::new(time_kind, c, b - a));
        }
        // OCPI: a flat fee is charged once, from the first period in which one applies.
        if flat.is_none() {
            flat = first_component(tariff, ComponentType::Flat, &ctx).map(|c| c.price);
        }
    }

    for kind in [
        LineKind::Energy,
        LineKind::ChargingTime,
        LineKind::ParkingTime,
    ] {
        apply_step_size(&mut chunks, kind)?;
    }

    let mut items = line_items(&chunks, tariff)?;
    if let Some(price) = flat {
        items.push(LineItem {
            kind: LineKind::SessionFee,
            description: "Session fee".to_owned(),
            quantity: Decimal::ONE,
            unit: "session".to_owned(),
            unit_price: price,
            amount_excl_vat: round_money(price, tariff.minor_unit),
        });
    }
    PricedSession::assemble(
        &tariff.id,
        &tariff.currency,
        tariff.minor_unit,
        tariff.vat_percent,
        items,
    )
}

/// The session reduced to validated millisecond instants.
pub(crate) struct Facts {
    start: i64,
    stop: i64,
    charging_end: Option<i64>,
    tz: Tz,
}

impl Facts {
    pub(crate) fn check(s: &SessionFacts) -> Result<Self, PricingError> {
        let start = s.started_at.timestamp_millis();
        let stop = s.stopped_at.timestamp_millis();
        if stop < start {
            return Err(PricingError::StopBeforeStart {
                start: s.started_at.to_rfc3339(),
                stop: s.stopped_at.to_rfc3339(),
            });
        }
        let days = (stop - start) / (24 * MS_PER_HOUR);
        if days > MAX_SESSION_DAYS {
            return Err(PricingError::SessionTooLong {
                days,
                max_days: MAX_SESSION_DAYS,
            });
        }
        let charging_end = match s.charging_ended_at {
            Some(at) => {
                let ms = at.timestamp_millis();
                if ms < start || ms > stop {
                    return Err(PricingError::ChargingEndedOutsideSession {
                        at: at.to_rfc3339(),
                        start: s.started_at.to_rfc3339(),
                        stop: s.stopped_at.to_rfc3339(),
                    });
                }
                Some(ms)
            }
            None => None,
        };
        Ok(Facts {
            start,
            stop,
            charging_end,
            tz: s.time_zone,
        })
    }
}

/// Every instant inside the session at which some restriction, or charging vs parking, can
/// change its verdict. Extra cuts are harmless (pieces are merged back into line items);
/// a missing cut would misprice, so this errs on the side of more.
fn cut_points(
    facts: &Facts,
    tariff: &Tariff,
    timeline: &EnergyTimeline,
) -> Result<Vec<i64>, PricingError> {
    let (start, stop) = (facts.start, facts.stop);
    let mut cuts = BTreeSet::from([start, stop]);
    let mut add = |t: i64| {
        if t > start && t < stop {
            cuts.insert(t);
        }
    };
    if let Some(end) = facts.charging_end {
        add(end);
    }

    // Midnight is always a cut, for day_of_week and date restrictions.
    let mut times: BTreeSet<NaiveTime> = BTreeSet::from([NaiveTime::MIN]);
    for e in &tariff.elements {
        times.extend(e.restrictions.times_of_day());
    }
    // One day of margin on each side covers wall clock times that map to an instant on a
    // neighbouring date (and keeps this independent of the zone's offset sign).
    let first_day = local(start, facts.tz)?.date_naive();
    let first_day = first_day.pred_opt().unwrap_or(first_day);
    let last_day = local(stop, facts.tz)?.date_naive();
    let last_day = last_day.succ_opt().unwrap_or(last_day);
    for day in first_day.iter_days().take_while(|d| *d <= last_day) {
        for &time in &times {
            for t in instants_at_wall_clock(facts.tz, day.and_time(time)) {
                add(t.timestamp_millis());
            }
        }
    }

    for t in offset_changes(facts.tz, start, stop)? {
        add(t);
    }

    for e in &tariff.elements {
        let r = &e.restrictions;
        for seconds in [r.min_duration_s, r.max_duration_s].into_iter().flatten() {
            let offset = i64::try_from(seconds)
                .ok()
                .and_then(|s| s.checked_mul(1000))
                .and_then(|ms| start.checked_add(ms));
            // Beyond i64 milliseconds is beyond any session, so no cut is needed.
            if let Some(t) = offset {
                add(t);
            }
        }
        for wh in [r.min_wh, r.max_wh].into_iter().flatten() {
            if let Some(t) = timeline.instant_reaching(wh) {
                add(t);
            }
        }
    }
    Ok(cuts.into_iter().collect())
}

/// The UTC instants at which the station's wall clock shows `wall`.
///
/// Usually one. Twice when clocks go back (02:30 on the last Sunday of October in Stockholm
/// shows at 00:30Z and again at 01:30Z). Never when clocks go forward over it (02:30 on the
/// last Sunday of March): a window starting then opens when the clock jumps, and that instant
/// is cut by [`offset_changes`].
fn instants_at_wall_clock(tz: Tz, wall: NaiveDateTime) -> Vec<DateTime<Tz>> {
    let mapped = tz.from_local_datetime(&wall);
    match (mapped.earliest(), mapped.latest()) {
        (Some(a), Some(b)) if a != b => vec![a, b],
        (Some(a), _) => vec![a],
        _ => Vec::new(),
    }
}

/// Instants in `[from, to]` at which the zone's UTC offset changes.
///
/// Wall-clock cuts alone miss these: when clocks fall back from 03:00 to 02:00 a window
/// "02:30-03:00" closes at the jump although the wall clock never shows 03:00 then. Probing
/// hourly and bisecting finds each change to the millisecond; tz rules never change the
/// offset twice within an hour.
fn offset_changes(tz: Tz, from: i64, to: i64) -> Result<Vec<i64>, PricingError> {
    let offset = |ms: i64| local(ms, tz).map(|t| t.offset().fix().local_minus_utc());
    let mut changes = Vec::new();
    let mut t = from;
    let mut before = offset(t)?;
    while t < to {
        let next = t.saturating_add(MS_PER_HOUR).min(to);
        let after = offset(next)?;
        if after != before {
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset(mid)? == before {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            changes.push(hi);
        }
        before = after;
        t = next;
    }
    Ok(changes)
}

fn local(ms: i64, tz: Tz) -> Result<DateTime<Tz>, PricingError> {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&tz))
        .ok_or(PricingError::Overflow("timestamp"))
}

/// What restrictions look at, observed at one instant.
struct Context {
    local: DateTime<Tz>,
    elapsed_ms: i64,
    energy_wh: Decimal,
}

impl Context {
    fn at(ms: i64, facts: &Facts, timeline: &EnergyTimeline) -> Result<Self, PricingError> {
        Ok(Context {
            local: local(ms, facts.tz)?,
            elapsed_ms: ms - facts.start,
            energy_wh: timeline.exact_energy_since_start(ms),
        })
    }
}

impl Restrictions {
    fn matches(&self, ctx: &Context) -> bool {
        let date = ctx.local.date_naive();
        let seconds_ok = |limit: Option<u64>, at_least: bool| {
            limit.is_none_or(|s| {
                let limit_ms = i128::from(s) * 1000;
                let elapsed = i128::from(ctx.elapsed_ms);
                if at_least {
                    elapsed >= limit_ms
                } else {
                    elapsed < limit_ms
                }
            })
        };
        self.time_of_day_matches(ctx.local.time())
            && self.start_date.is_none_or(|d| date >= d)
            && self.end_date.is_none_or(|d| date < d)
            && self
                .day_of_week
                .as_ref()
                .is_none_or(|days| days.contains(&ctx.local.weekday()))
            && self.min_wh.is_none_or(|wh| ctx.energy_wh >= wh)
            && self.max_wh.is_none_or(|wh| ctx.energy_wh < wh)
            && seconds_ok(self.min_duration_s, true)
            && seconds_ok(self.max_duration_s, false)
    }
}

/// OCPI: the first element whose restrictions all hold *and* that has a component of this
/// type prices that dimension; later elements are fallbacks.
fn first_component<'t>(
    tariff: &'t Tariff,
    kind: ComponentType,
    ctx: &Context,
) -> Option<&'t PriceComponent> {
    tariff
        .elements
        .iter()
        .filter(|e| e.restrictions.matches(ctx))
        .find_map(|e| e.components.iter().find(|c| c.kind == kind))
}

/// A priced piece of one dimension: energy in Wh or time in ms.
struct Chunk {
    kind: LineKind,
    price: Decimal,
    /// In the chunk's own volume unit (Wh or ms).
    step: i64,
    volume: i64,
}

impl Chunk {
    fn new(kind: LineKind, c: &PriceComponent, volume: i64) -> Self {
        let per_unit = if kind == LineKind::Energy { 1 } else { 1000 };
        let step = i64::try_from(c.step_size)
            .ok()
            .and_then(|s| s.checked_mul(per_unit))
            .unwrap_or(i64::MAX);
        Chunk {
            kind,
            price: c.price,
            step,
            volume,
        }
    }
}

/// OCPI 2.2.1: the dimension's *total* is rounded up to the step size of the last period in
/// which it was billed, and the extra is billed at that period's price. Rounding each period
/// separately would bill a session that crosses a peak boundary for two partial steps.
fn apply_step_size(chunks: &mut [Chunk], kind: LineKind) -> Result<(), PricingError> {
    let total: i64 = chunks
        .iter()
        .filter(|c| c.kind == kind)
        .map(|c| c.volume)
        .sum();
    let Some(last) = chunks
        .iter_mut()
        .rev()
        .find(|c| c.kind == kind && c.volume > 0)
    else {
        return Ok(());
    };
    let remainder = total % last.step;
    if remainder != 0 {
        last.volume = last
            .volume
            .checked_add(last.step - remainder)
            .ok_or(PricingError::Overflow("step size"))?;
    }
    Ok(())
}

/// One line per dimension and unit price, in order of first appearance: a session that goes
/// off-peak, peak, off-peak again shows two energy lines, not three.
fn line_items(chunks: &[Chunk], tariff: &Tariff) -> Result<Vec<LineItem>, PricingError> {
    let mut groups: Vec<(LineKind, Decimal, i64)> = Vec::new();
    for c in chunks {
        match groups
            .iter_mut()
            .find(|(k, p, _)| *k == c.kind && *p == c.price)
        {
            Some(group) => {
                group.2 = group
                    .2
                    .checked_add(c.volume)
                    .ok_or(PricingError::Overflow("line item quantity"))?;
            }
            None => groups.push((c.kind, c.price, c.volume)),
        }
    }
    let currency = &tariff.currency;
    groups
        .into_iter()
        .filter(|&(_, _, volume)| volume > 0)
        .map(|(kind, price, volume)| {
            let (quantity, exact_quantity, unit, description) = match kind {
                LineKind::Energy => {
                    let kwh = Decimal::new(volume, 3);
                    (kwh, kwh, "kWh", format!("Energy at {price} {currency}/kWh"))
                }
                LineKind::ChargingTime | LineKind::ParkingTime => {
                    let hours = Decimal::from(volume) / Decimal::from(MS_PER_HOUR);
                    let label = if kind == LineKind::ChargingTime {
                        "Charging time"
                    } else {
                        "Parking time"
                    };
                    (
                        hours.round_dp_with_strategy(6, ROUNDING).normalize(),
                        hours,
                        "h",
                        format!("{label} at {price} {currency}/h"),
                    )
                }
                LineKind::SessionFee => (
                    Decimal::ONE,
                    Decimal::ONE,
                    "session",
                    "Session fee".to_owned(),
                ),
            };
            // Time amounts use volume*price/3.6e6 rather than the 28-digit `hours`, so that a
            // whole number of minutes at a per-minute-friendly price comes out exact.
            let amount = match kind {
                LineKind::ChargingTime | LineKind::ParkingTime => Decimal::from(volume)
                    .checked_mul(price)
                    .and_then(|v| v.checked_div(Decimal::from(MS_PER_HOUR))),
                _ => exact_quantity.checked_mul(price),
            }
            .ok_or(PricingError::Overflow("line item amount"))?;
            Ok(LineItem {
                kind,
                description,
                quantity,
                unit: unit.to_owned(),
                unit_price: price,
                amount_excl_vat: round_money(amount, tariff.minor_unit),
            })
        })
        .collect()
}
