//! Energy split at arbitrary instants always adds up to the meter difference, Wh for Wh.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tariff_engine::EnergyTimeline;

/// A small deterministic generator, so failures reproduce without a dependency.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

#[test]
fn random_splits_of_random_sessions_sum_exactly_and_never_go_negative() {
    let mut rng = Lcg(42);
    for _ in 0..500 {
        let start = 1_767_225_600_000_i64 + rng.below(1_000_000_000) as i64;
        let length = 1 + rng.below(12 * 3_600_000) as i64;
        let stop = start + length;
        let meter_start = rng.below(1_000_000) as i64;
        let total = rng.below(100_000) as i64;
        let samples: Vec<(i64, i64)> = (0..rng.below(20))
            .map(|_| {
                (
                    start + rng.below(length as u64) as i64,
                    meter_start + rng.below(total as u64 + 1) as i64,
                )
            })
            .collect();
        let line = EnergyTimeline::new(
            (start, meter_start),
            (stop, meter_start + total),
            samples,
            None,
        )
        .unwrap();

        let mut cuts: Vec<i64> = (0..rng.below(50))
            .map(|_| start + rng.below(length as u64) as i64)
            .collect();
        cuts.push(start);
        cuts.push(stop);
        cuts.sort_unstable();
        let parts: Vec<i64> = cuts
            .windows(2)
            .map(|w| line.energy_wh_between(w[0], w[1]))
            .collect();
        assert!(parts.iter().all(|&p| p >= 0), "negative part in {parts:?}");
        assert_eq!(parts.iter().sum::<i64>(), total);
    }
}

#[test]
fn equal_splits_hand_out_the_remainder_deterministically() {
    // 100 Wh over 7 equal pieces of 1 s: cumulative 14.29 -> 14, 28.57 -> 29, 42.86 -> 43,
    // 57.14 -> 57, 71.43 -> 71, 85.71 -> 86, 100: parts 14 15 14 14 14 15 14 = 100.
    let line = EnergyTimeline::new((0, 0), (7_000, 100), [], None).unwrap();
    let parts: Vec<i64> = (0..7)
        .map(|i| line.energy_wh_between(i * 1_000, (i + 1) * 1_000))
        .collect();
    assert_eq!(parts, vec![14, 15, 14, 14, 14, 15, 14]);
}
