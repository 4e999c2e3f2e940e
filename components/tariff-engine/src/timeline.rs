//! The meter register as a function of time, so energy can be split at arbitrary instants.

use rust_decimal::Decimal;

use crate::PricingError;

/// A piecewise-linear energy register over a session, in integer Wh at millisecond instants.
///
/// Points are `(unix ms, register Wh)`, sorted by time and never decreasing in energy. Between
/// two points energy is assumed to flow at a constant rate: that is the best a CSMS can know
/// from periodic MeterValues, and it is what makes time-of-use splitting fair to both sides.
#[derive(Debug, Clone)]
pub struct EnergyTimeline {
    points: Vec<(i64, i64)>,
}

impl EnergyTimeline {
    /// Builds the timeline from the authoritative start and stop readings plus the samples in
    /// between. Samples outside the open interval (start, stop) are ignored, since the start
    /// and stop readings win. A sample below the previous reading or above the stop reading is
    /// a glitch (a meter reboot, a bad read) and is dropped: clamping it would move energy to
    /// where it was not delivered (a spike to the stop value makes the rest look idle). The
    /// total billed energy is always exactly `stop - start`.
    ///
    /// `charging_end`, when inside the session, is a reading of its own: the stop value was
    /// reached then, so no energy is spread over the idle time after it.
    pub fn new(
        start: (i64, i64),
        stop: (i64, i64),
        samples: impl IntoIterator<Item = (i64, i64)>,
        charging_end: Option<i64>,
    ) -> Result<Self, PricingError> {
        let (start_ms, start_wh) = start;
        let (stop_ms, stop_wh) = stop;
        if stop_wh < start_wh {
            return Err(PricingError::MeterDecreased { start_wh, stop_wh });
        }
        // Every difference computed later is bounded by these two, so checking them here keeps
        // the rest free of overflow.
        if stop_wh.checked_sub(start_wh).is_none() || stop_ms.checked_sub(start_ms).is_none() {
            return Err(PricingError::Overflow("meter or time span"));
        }
        let mut inner: Vec<(i64, i64)> = samples
            .into_iter()
            .filter(|&(t, _)| t > start_ms && t < stop_ms)
            .collect();
        if let Some(end) = charging_end.filter(|&t| t > start_ms && t < stop_ms) {
            // After the samples of the same instant, so that it is the reading that holds.
            inner.push((end, stop_wh));
        }
        // Stable sort: samples with equal instants keep the order the station sent them in.
        inner.sort_by_key(|&(t, _)| t);
        let mut points = Vec::with_capacity(inner.len() + 2);
        points.push((start_ms, start_wh));
        let mut previous = start_wh;
        for (t, wh) in inner {
            if wh < previous || wh > stop_wh {
                continue;
            }
            points.push((t, wh));
            previous = wh;
        }
        points.push((stop_ms, stop_wh));
        Ok(EnergyTimeline { points })
    }

    pub fn start_ms(&self) -> i64 {
        self.points.first().map_or(0, |p| p.0)
    }

    pub fn start_wh(&self) -> i64 {
        self.points.first().map_or(0, |p| p.1)
    }

    /// The segment `(a, b)` used to evaluate the register at `t`: the last point at or before
    /// `t` and the next point strictly after it. Equal-instant points thus resolve to the latest
    /// reading, which gives a jump to the interval that ends at that instant.
    fn segment(&self, t: i64) -> ((i64, i64), (i64, i64)) {
        let idx = self.points.partition_point(|p| p.0 <= t);
        let a = if idx == 0 {
            self.points.first()
        } else {
            self.points.get(idx - 1)
        };
        let a = a.copied().unwrap_or((t, 0));
        let b = self.points.get(idx).copied().unwrap_or(a);
        (a, b)
    }

    /// The register at `t` rounded half up to whole Wh.
    ///
    /// Splitting a session by differences of this rounded *cumulative* value is what makes the
    /// parts add up to exactly `stop - start`: the sum telescopes, every part is non-negative
    /// because rounding is monotone, and where the remainder Wh lands is fully determined.
    pub fn register_wh_at(&self, t: i64) -> i64 {
        let ((ta, ea), (tb, eb)) = self.segment(t);
        if tb <= ta || t <= ta {
            return ea;
        }
        if t >= tb {
            return eb;
        }
        let (num, den) = fraction(ea, eb, ta, tb, t);
        let rounded = (2 * num + den) / (2 * den);
        // `rounded` lies in [0, eb - ea], so it fits an i64.
        ea + i64::try_from(rounded).unwrap_or(eb - ea)
    }

    /// Energy delivered in `[from, to]`, in whole Wh.
    pub fn energy_wh_between(&self, from: i64, to: i64) -> i64 {
        self.register_wh_at(to) - self.register_wh_at(from)
    }

    /// Exact (unrounded) energy delivered since the session start, for kWh restrictions.
    pub(crate) fn exact_energy_since_start(&self, t: i64) -> Decimal {
        let ((ta, ea), (tb, eb)) = self.segment(t);
        let base = Decimal::from(ea - self.start_wh());
        if tb <= ta || t <= ta {
            return base;
        }
        if t >= tb {
            return Decimal::from(eb - self.start_wh());
        }
        // Whole Wh and the remainder separately, so that no Decimal product can overflow.
        let (num, den) = fraction(ea, eb, ta, tb, t);
        let whole = i64::try_from(num / den).unwrap_or(0);
        let rest = i64::try_from(num % den).unwrap_or(0);
        let den = i64::try_from(den).unwrap_or(i64::MAX);
        base + Decimal::from(whole) + Decimal::from(rest) / Decimal::from(den)
    }

    /// First instant at which the energy delivered since start reaches `threshold_wh`, if the
    /// session gets there. Rounded up to the millisecond so that the instant really is past the
    /// threshold, which keeps "at least N kWh" restrictions honest at the boundary.
    pub(crate) fn instant_reaching(&self, threshold_wh: Decimal) -> Option<i64> {
        let target = threshold_wh.checked_add(Decimal::from(self.start_wh()))?;
        for pair in self.points.windows(2) {
            let [(ta, ea), (tb, eb)] = [pair[0], pair[1]];
            if Decimal::from(ea) >= target {
                return Some(ta);
            }
            if Decimal::from(eb) >= target && tb > ta {
                let (needed, delivered) = (target - Decimal::from(ea), Decimal::from(eb - ea));
                let span = Decimal::from(tb - ta);
                // Exact when it fits; the fallback loses digits only for absurd magnitudes.
                let offset = needed
                    .checked_mul(span)
                    .and_then(|n| n.checked_div(delivered))
                    .or_else(|| needed.checked_div(delivered)?.checked_mul(span))?;
                let offset: i64 = offset.ceil().try_into().ok()?;
                return Some(ta + offset);
            }
        }
        None
    }
}

/// `(e(t) - ea) = num / den` on the segment `(ta, ea)-(tb, eb)`, for `ta < t < tb`, in i128 so
/// that Wh x ms products cannot overflow.
fn fraction(ea: i64, eb: i64, ta: i64, tb: i64, t: i64) -> (i128, i128) {
    let num = (i128::from(eb) - i128::from(ea)) * (i128::from(t) - i128::from(ta));
    (num, i128::from(tb) - i128::from(ta))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(h: i64) -> i64 {
        h * 3_600_000
    }

    #[test]
    fn constant_rate_between_samples_is_interpolated() {
        // 0 Wh at 0h, 10 000 Wh at 1h: half an hour in, 5 000 Wh.
        let line = EnergyTimeline::new((0, 0), (hour(1), 10_000), [], None).unwrap();
        assert_eq!(line.energy_wh_between(0, hour(1) / 2), 5_000);
    }

    #[test]
    fn samples_shape_the_curve() {
        // Fast first (9 kWh in the first hour), then a trickle (1 kWh in the second).
        let line =
            EnergyTimeline::new((0, 1_000), (hour(2), 11_000), [(hour(1), 10_000)], None).unwrap();
        assert_eq!(line.energy_wh_between(0, hour(1)), 9_000);
        assert_eq!(line.energy_wh_between(hour(1), hour(2)), 1_000);
    }

    #[test]
    fn a_third_of_ten_wh_parts_still_sum_to_ten() {
        // 10 Wh over 3 equal parts: cumulative 3.33 -> 3, 6.67 -> 7, 10: parts 3 + 4 + 3 = 10.
        let line = EnergyTimeline::new((0, 0), (3_000, 10), [], None).unwrap();
        let parts: Vec<i64> = [(0, 1_000), (1_000, 2_000), (2_000, 3_000)]
            .iter()
            .map(|&(a, b)| line.energy_wh_between(a, b))
            .collect();
        assert_eq!(parts, vec![3, 4, 3]);
    }

    #[test]
    fn glitching_samples_are_dropped_not_clamped() {
        // 120 is below the reading before it (a meter reboot), 999 beyond the stop reading (a
        // bad read): clamping them would bill the 2nd second as idle and the 3rd as the rest.
        let line = EnergyTimeline::new(
            (0, 100),
            (4_000, 210),
            [(1_000, 150), (2_000, 120), (3_000, 999)],
            None,
        )
        .unwrap();
        assert_eq!(line.energy_wh_between(0, 1_000), 50);
        assert_eq!(line.energy_wh_between(1_000, 2_000), 20);
        assert_eq!(line.energy_wh_between(2_000, 3_000), 20);
        assert_eq!(line.energy_wh_between(3_000, 4_000), 20);
    }

    #[test]
    fn no_energy_is_spread_over_the_idle_time_after_charging_ended() {
        let line = EnergyTimeline::new((0, 0), (4_000, 100), [], Some(2_000)).unwrap();
        assert_eq!(line.energy_wh_between(0, 2_000), 100);
        assert_eq!(line.energy_wh_between(2_000, 4_000), 0);
        // A charging end outside the session changes nothing.
        let line = EnergyTimeline::new((0, 0), (4_000, 100), [], Some(9_000)).unwrap();
        assert_eq!(line.energy_wh_between(0, 2_000), 50);
    }

    #[test]
    fn threshold_instant_is_found_by_inverse_interpolation() {
        // 10 kWh over one hour: 2.5 kWh after 15 minutes.
        let line = EnergyTimeline::new((0, 0), (hour(1), 10_000), [], None).unwrap();
        assert_eq!(line.instant_reaching(Decimal::from(2_500)), Some(900_000));
        assert_eq!(line.instant_reaching(Decimal::from(10_001)), None);
    }
}
