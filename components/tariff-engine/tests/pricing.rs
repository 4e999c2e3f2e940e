//! Behaviour of the standard pricing, each expected total computed by hand in the comments.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tariff_engine::{
    price_session_json, LineKind, PricedSession, PricingError, SessionFacts, WireSessionFacts,
};

const WEEKDAYS: &str = r#"["MONDAY","TUESDAY","WEDNESDAY","THURSDAY","FRIDAY"]"#;

/// A session with constant power from `start` to `stop` (RFC 3339) in `tz`.
fn session(
    start: &str,
    stop: &str,
    tz: &str,
    meter_start: i64,
    meter_stop: i64,
) -> WireSessionFacts {
    WireSessionFacts {
        started_at: start.into(),
        stopped_at: stop.into(),
        charging_ended_at: None,
        time_zone: tz.into(),
        meter_start_wh: meter_start,
        meter_stop_wh: meter_stop,
        samples: Vec::new(),
    }
}

fn price(wire: &WireSessionFacts, tariff_json: &str) -> Result<PricedSession, PricingError> {
    let facts = SessionFacts::try_from(wire)?;
    price_session_json(&facts, tariff_json)
}

fn priced(wire: &WireSessionFacts, tariff_json: &str) -> PricedSession {
    price(wire, tariff_json).unwrap_or_else(|e| panic!("pricing failed: {e}"))
}

/// `(kind, quantity, unit price, amount)` of every line, for compact assertions.
fn lines(p: &PricedSession) -> Vec<(LineKind, String, String, String)> {
    p.line_items
        .iter()
        .map(|l| {
            (
                l.kind,
                l.quantity.to_string(),
                l.unit_price.to_string(),
                l.amount_excl_vat.to_string(),
            )
        })
        .collect()
}

fn line(
    kind: LineKind,
    quantity: &str,
    unit_price: &str,
    amount: &str,
) -> (LineKind, String, String, String) {
    (kind, quantity.into(), unit_price.into(), amount.into())
}

fn tariff(currency: &str, vat: &str, elements: &str) -> String {
    format!(
        r#"{{"id":"t-1","currency":"{currency}","vat_percent":"{vat}","elements":[{elements}]}}"#
    )
}

/// Peak 0.35 EUR/kWh 07:00-22:00 Monday to Friday, otherwise 0.20.
fn peak_off_peak() -> String {
    tariff(
        "EUR",
        "0",
        &format!(
            r#"{{"price_components":[{{"type":"ENERGY","price":"0.35"}}],
                 "restrictions":{{"start_time":"07:00","end_time":"22:00","day_of_week":{WEEKDAYS}}}}},
               {{"price_components":[{{"type":"ENERGY","price":"0.20"}}]}}"#
        ),
    )
}

// ---- single dimensions ------------------------------------------------------------------

#[test]
fn energy_is_priced_per_kwh_and_rounded_to_the_cent() {
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"ENERGY","price":"0.25"}]}"#,
    );
    let s = session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T11:00:00Z",
        "Europe/Stockholm",
        1_000,
        13_345,
    );
    let p = priced(&s, &t);
    // 13 345 - 1 000 = 12 345 Wh = 12.345 kWh; 12.345 * 0.25 = 3.08625 -> 3.09
    assert_eq!(
        lines(&p),
        vec![line(LineKind::Energy, "12.345", "0.25", "3.09")]
    );
    assert_eq!(p.total_excl_vat, dec!(3.09));
    assert_eq!(p.total_incl_vat, dec!(3.09));
    assert_eq!(p.currency, "EUR");
    assert_eq!(p.tariff_id, "t-1");
}

#[test]
fn charging_time_is_priced_per_hour_which_allows_per_minute_prices() {
    // 3.00 per hour is 0.05 per minute.
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"TIME","price":"3.00"}]}"#,
    );
    let s = session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T10:45:00Z",
        "Europe/Stockholm",
        0,
        5_000,
    );
    let p = priced(&s, &t);
    // 45 min = 0.75 h; 0.75 * 3.00 = 2.25 (= 45 * 0.05)
    assert_eq!(
        lines(&p),
        vec![line(LineKind::ChargingTime, "0.75", "3.00", "2.25")]
    );
    assert_eq!(p.total_excl_vat, dec!(2.25));
}

#[test]
fn time_step_size_bills_started_minutes() {
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"TIME","price":"3.00","step_size":60}]}"#,
    );
    let s = session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T10:44:10Z",
        "Europe/Stockholm",
        0,
        5_000,
    );
    let p = priced(&s, &t);
    // 44 min 10 s, billed in 60 s blocks -> 45 min = 0.75 h; 0.75 * 3.00 = 2.25
    assert_eq!(
        lines(&p),
        vec![line(LineKind::ChargingTime, "0.75", "3.00", "2.25")]
    );
}

#[test]
fn idle_time_after_charging_ended_is_parking_not_charging() {
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"ENERGY","price":"0.30"},
                                {"type":"TIME","price":"1.20"},
                                {"type":"PARKING_TIME","price":"6.00"}]}"#,
    );
    let mut s = session(
        "2026-01-13T18:00:00Z",
        "2026-01-13T20:00:00Z",
        "Europe/Stockholm",
        0,
        20_000,
    );
    s.charging_ended_at = Some("2026-01-13T19:30:00Z".into());
    // The car was full at 19:30: all 20 kWh arrived before, as the last sample shows.
    s.samples = vec![("2026-01-13T19:30:00Z".into(), 20_000)];
    let p = priced(&s, &t);
    // energy:   20 kWh * 0.30 = 6.00
    // charging: 18:00-19:30 = 1.5 h * 1.20 = 1.80
    // parking:  19:30-20:00 = 0.5 h * 6.00 = 3.00
    // total 6.00 + 1.80 + 3.00 = 10.80
    assert_eq!(
        lines(&p),
        vec![
            line(LineKind::Energy, "20.000", "0.30", "6.00"),
            line(LineKind::ChargingTime, "1.5", "1.20", "1.80"),
            line(LineKind::ParkingTime, "0.5", "6.00", "3.00"),
        ]
    );
    assert_eq!(p.total_excl_vat, dec!(10.80));
}

#[test]
fn session_fee_is_charged_once() {
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"FLAT","price":"1.50"},{"type":"ENERGY","price":"0.20"}]}"#,
    );
    // Crosses midnight and so is cut into pieces; the fee must still appear once.
    let s = session(
        "2026-01-13T22:00:00Z",
        "2026-01-14T01:00:00Z",
        "Europe/Stockholm",
        0,
        10_000,
    );
    let p = priced(&s, &t);
    // 10 kWh * 0.20 = 2.00; + 1.50 fee = 3.50
    assert_eq!(
        lines(&p),
        vec![
            line(LineKind::Energy, "10.000", "0.20", "2.00"),
            line(LineKind::SessionFee, "1", "1.50", "1.50"),
        ]
    );
    assert_eq!(p.total_excl_vat, dec!(3.50));
}

#[test]
fn zero_length_session_still_pays_the_session_fee() {
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"FLAT","price":"0.99"},{"type":"TIME","price":"9"}]}"#,
    );
    let s = session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T10:00:00Z",
        "Europe/Stockholm",
        7,
        7,
    );
    let p = priced(&s, &t);
    assert_eq!(
        lines(&p),
        vec![line(LineKind::SessionFee, "1", "0.99", "0.99")]
    );
}

// ---- VAT and rounding -------------------------------------------------------------------

#[test]
fn vat_is_computed_on_the_rounded_total_and_rounded_half_up() {
    let t = tariff(
        "SEK",
        "25",
        r#"{"price_components":[{"type":"ENERGY","price":"3.33"},{"type":"TIME","price":"1.20"}]}"#,
    );
    let s = session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T11:10:00Z",
        "Europe/Stockholm",
        0,
        7_777,
    );
    let p = priced(&s, &t);
    // energy: 7.777 kWh * 3.33 = 25.89741 -> 25.90
    // time:   70 min = 1.1666.. h * 1.20 = 1.40 exactly
    // excl.:  25.90 + 1.40 = 27.30
    // VAT:    27.30 * 25 % = 6.825 -> 6.83 (half up; banker's rounding would give 6.82)
    // incl.:  27.30 + 6.83 = 34.13
    assert_eq!(
        lines(&p),
        vec![
            line(LineKind::Energy, "7.777", "3.33", "25.90"),
            line(LineKind::ChargingTime, "1.166667", "1.20", "1.40"),
        ]
    );
    assert_eq!(p.total_excl_vat.to_string(), "27.30");
    assert_eq!(p.vat_percent, dec!(25));
    assert_eq!(p.vat_amount.to_string(), "6.83");
    assert_eq!(p.total_incl_vat.to_string(), "34.13");
}

#[test]
fn yen_amounts_have_no_decimals() {
    let t = tariff(
        "JPY",
        "10",
        r#"{"price_components":[{"type":"ENERGY","price":"31"}]}"#,
    );
    let s = session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T11:00:00Z",
        "Asia/Tokyo",
        0,
        12_345,
    );
    let p = priced(&s, &t);
    // 12.345 kWh * 31 = 382.695 -> 383; VAT 10 % = 38.3 -> 38; total 421
    assert_eq!(p.total_excl_vat.to_string(), "383");
    assert_eq!(p.vat_amount.to_string(), "38");
    assert_eq!(p.total_incl_vat.to_string(), "421");
}

#[test]
fn each_line_is_rounded_before_summing() {
    // Two lines of 0.125 each: rounded per line 0.13 + 0.13 = 0.26 (not round(0.25) = 0.25),
    // so the receipt's lines add up to its total.
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"ENERGY","price":"0.125"},{"type":"TIME","price":"0.125"}]}"#,
    );
    let s = session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T11:00:00Z",
        "Europe/Stockholm",
        0,
        1_000,
    );
    let p = priced(&s, &t);
    assert_eq!(p.total_excl_vat, dec!(0.26));
}

// ---- time of use ------------------------------------------------------------------------

#[test]
fn energy_before_seven_is_priced_off_peak() {
    // Tuesday 2026-01-13, Stockholm is UTC+1 in winter: 05:30Z-07:30Z = 06:30-08:30 local.
    let s = session(
        "2026-01-13T05:30:00Z",
        "2026-01-13T07:30:00Z",
        "Europe/Stockholm",
        0,
        22_000,
    );
    let p = priced(&s, &peak_off_peak());
    // 22 kWh evenly over 120 min:
    //   06:30-07:00 local, 30 min:  22 * 30/120 =  5.5 kWh * 0.20 = 1.10
    //   07:00-08:30 local, 90 min:  22 * 90/120 = 16.5 kWh * 0.35 = 5.775 -> 5.78
    // total 6.88
    assert_eq!(
        lines(&p),
        vec![
            line(LineKind::Energy, "5.500", "0.20", "1.10"),
            line(LineKind::Energy, "16.500", "0.35", "5.78"),
        ]
    );
    assert_eq!(p.total_excl_vat, dec!(6.88));
}

#[test]
fn meter_samples_decide_how_much_energy_fell_before_the_peak() {
    // Same session, but the car charged fast first: 20 kWh by 07:45 local, 2 kWh after.
    let mut s = session(
        "2026-01-13T05:30:00Z",
        "2026-01-13T07:30:00Z",
        "Europe/Stockholm",
        1_000,
        23_000,
    );
    s.samples = vec![("2026-01-13T06:45:00Z".into(), 21_000)];
    let p = priced(&s, &peak_off_peak());
    // 06:30-07:45 local (75 min): 20 kWh; of it 06:30-07:00 (30 min): 20 * 30/75 = 8 kWh off-peak
    // peak: 20 - 8 = 12 kWh + the last 2 kWh = 14 kWh
    // 8 * 0.20 = 1.60; 14 * 0.35 = 4.90; total 6.50
    assert_eq!(
        lines(&p),
        vec![
            line(LineKind::Energy, "8.000", "0.20", "1.60"),
            line(LineKind::Energy, "14.000", "0.35", "4.90"),
        ]
    );
    assert_eq!(p.total_excl_vat, dec!(6.50));
}

#[test]
fn saturday_morning_is_off_peak_even_after_seven() {
    // Friday 2026-01-16 21:00 local (20:00Z) to Saturday 08:00 local (07:00Z): 11 h, 2 kWh/h.
    let s = session(
        "2026-01-16T20:00:00Z",
        "2026-01-17T07:00:00Z",
        "Europe/Stockholm",
        0,
        22_000,
    );
    let p = priced(&s, &peak_off_peak());
    // Fri 21:00-22:00 peak:            1 h =  2 kWh * 0.35 = 0.70
    // Fri 22:00-Sat 08:00 off-peak:   10 h = 20 kWh * 0.20 = 4.00 (Sat 07-08 is weekend)
    // total 4.70
    assert_eq!(
        lines(&p),
        vec![
            line(LineKind::Energy, "2.000", "0.35", "0.70"),
            line(LineKind::Energy, "20.000", "0.20", "4.00"),
        ]
    );
    assert_eq!(p.total_excl_vat, dec!(4.70));
}

#[test]
fn night_window_wrapping_midnight_applies_on_both_sides() {
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"ENERGY","price":"0.10"}],
            "restrictions":{"start_time":"22:00","end_time":"06:00"}},
           {"price_components":[{"type":"ENERGY","price":"0.30"}]}"#,
    );
    // 20:00 local to 08:00 local next day (19:00Z-07:00Z), 1 kWh/h.
    let s = session(
        "2026-01-13T19:00:00Z",
        "2026-01-14T07:00:00Z",
        "Europe/Stockholm",
        0,
        12_000,
    );
    let p = priced(&s, &t);
    // day 20-22 + 06-08 = 4 h -> 4 kWh * 0.30 = 1.20; night 22-06 = 8 h -> 8 kWh * 0.10 = 0.80
    // Off-peak, peak, off-peak again merge into one line per price, in order of appearance.
    assert_eq!(
        lines(&p),
        vec![
            line(LineKind::Energy, "4.000", "0.30", "1.20"),
            line(LineKind::Energy, "8.000", "0.10", "0.80"),
        ]
    );
    assert_eq!(p.total_excl_vat, dec!(2.00));
}

// ---- daylight saving time in Europe/Stockholm -------------------------------------------

fn night_and_day() -> String {
    tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"ENERGY","price":"0.10"}],
            "restrictions":{"start_time":"22:00","end_time":"06:00"}},
           {"price_components":[{"type":"ENERGY","price":"0.30"}]}"#,
    )
}

#[test]
fn night_rate_lasts_one_hour_less_when_clocks_go_forward() {
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST at 01:00Z.
    // Session 2026-03-28T23:00Z (00:00 CET) to 2026-03-29T06:00Z (08:00 CEST): 7 real hours,
    // 1 kWh/h.
    let s = session(
        "2026-03-28T23:00:00Z",
        "2026-03-29T06:00:00Z",
        "Europe/Stockholm",
        0,
        7_000,
    );
    let p = priced(&s, &night_and_day());
    // Night ends at 06:00 CEST = 04:00Z: 23:00Z-04:00Z = 5 h (not 6, the wall-clock span)
    //   5 kWh * 0.10 = 0.50
    // Day 04:00Z-06:00Z = 2 h: 2 kWh * 0.30 = 0.60
    // total 1.10 (a fixed +01:00 offset would wrongly give 6 * 0.10 + 1 * 0.30 = 0.90)
    assert_eq!(
        lines(&p),
        vec![
            line(LineKind::Energy, "5.000", "0.10", "0.50"),
            line(LineKind::Energy, "2.000", "0.30", "0.60"),
        ]
    );
    assert_eq!(p.total_excl_vat, dec!(1.10));
}

#[test]
fn night_rate_lasts_one_hour_more_when_clocks_go_back() {
    // 2026-10-25: 03:00 CEST falls back to 02:00 CET at 01:00Z.
    // Session 2026-10-24T22:00Z (00:00 CEST) to 2026-10-25T06:00Z (07:00 CET): 8 h, 1 kWh/h.
    let s = session(
        "2026-10-24T22:00:00Z",
        "2026-10-25T06:00:00Z",
        "Europe/Stockholm",
        0,
        8_000,
    );
    let p = priced(&s, &night_and_day());
    // Night ends at 06:00 CET = 05:00Z: 22:00Z-05:00Z = 7 h -> 7 kWh * 0.10 = 0.70
    // Day 05:00Z-06:00Z = 1 h -> 1 kWh * 0.30 = 0.30; total 1.00
    assert_eq!(
        lines(&p),
        vec![
            line(LineKind::Energy, "7.000", "0.10", "0.70"),
            line(LineKind::Energy, "1.000", "0.30", "0.30"),
        ]
    );
    assert_eq!(p.total_excl_vat, dec!(1.00));
}

#[test]
fn window_starting_in_the_skipped_hour_opens_when_the_clock_jumps() {
    // 02:30 never shows on 2026-03-29 in Stockholm; "from 02:30" starts when the clock lands
    // on 03:00 CEST = 01:00Z, and "until 05:00" ends at 05:00 CEST = 03:00Z.
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"ENERGY","price":"0.50"}],
            "restrictions":{"start_time":"02:30","end_time":"05:00"}},
           {"price_components":[{"type":"ENERGY","price":"0.20"}]}"#,
    );
    // 00:00Z (01:00 CET) to 04:00Z (06:00 CEST), 1 kWh/h.
    let s = session(
        "2026-03-29T00:00:00Z",
        "2026-03-29T04:00:00Z",
        "Europe/Stockholm",
        0,
        4_000,
    );
    let p = priced(&s, &t);
    // 00:00Z-01:00Z (01:00-02:00 CET)   1 kWh * 0.20
    // 01:00Z-03:00Z (03:00-05:00 CEST)  2 kWh * 0.50 = 1.00
    // 03:00Z-04:00Z (05:00-06:00 CEST)  1 kWh * 0.20 -> 2 kWh * 0.20 = 0.40
    // total 1.40
    assert_eq!(
        lines(&p),
        vec![
            line(LineKind::Energy, "2.000", "0.20", "0.40"),
            line(LineKind::Energy, "2.000", "0.50", "1.00"),
        ]
    );
    assert_eq!(p.total_excl_vat, dec!(1.40));
}

#[test]
fn repeated_half_hour_when_clocks_go_back_is_priced_twice() {
    // On 2026-10-25 the wall clock shows 02:30-03:00 twice: 00:30Z-01:00Z (CEST) and
    // 01:30Z-02:00Z (CET).
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"TIME","price":"6.00"}],
            "restrictions":{"start_time":"02:30","end_time":"03:00"}},
           {"price_components":[{"type":"TIME","price":"0.60"}]}"#,
    );
    let s = session(
        "2026-10-25T00:00:00Z",
        "2026-10-25T03:00:00Z",
        "Europe/Stockholm",
        0,
        1_000,
    );
    let p = priced(&s, &t);
    // window: 0.5 h + 0.5 h = 1 h * 6.00 = 6.00; rest 3 h - 1 h = 2 h * 0.60 = 1.20
    // listed in order of first appearance: 00:00Z-00:30Z is outside the window
    assert_eq!(
        lines(&p),
        vec![
            line(LineKind::ChargingTime, "2", "0.60", "1.20"),
            line(LineKind::ChargingTime, "1", "6.00", "6.00"),
        ]
    );
    assert_eq!(p.total_excl_vat, dec!(7.20));
}

#[test]
fn sunday_lasts_twenty_five_hours_when_clocks_go_back() {
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"TIME","price":"2.00"}],
            "restrictions":{"day_of_week":["SUNDAY"]}},
           {"price_components":[{"type":"TIME","price":"1.00"}]}"#,
    );
    // Saturday 2026-10-24 14:00 CEST (12:00Z) to Monday 2026-10-26 13:00 CET (12:00Z): 48 h.
    let s = session(
        "2026-10-24T12:00:00Z",
        "2026-10-26T12:00:00Z",
        "Europe/Stockholm",
        0,
        50_000,
    );
    let p = priced(&s, &t);
    // Sunday local: 2026-10-24T22:00Z (00:00 CEST) to 2026-10-25T23:00Z (00:00 CET) = 25 h
    //   25 h * 2.00 = 50.00
    // the rest: 48 - 25 = 23 h * 1.00 = 23.00; total 73.00
    assert_eq!(
        lines(&p),
        vec![
            line(LineKind::ChargingTime, "23", "1.00", "23.00"),
            line(LineKind::ChargingTime, "25", "2.00", "50.00"),
        ]
    );
    assert_eq!(p.total_excl_vat, dec!(73.00));
}

#[test]
fn sunday_lasts_twenty_three_hours_when_clocks_go_forward() {
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"TIME","price":"2.00"}],
            "restrictions":{"day_of_week":["SUNDAY"]}},
           {"price_components":[{"type":"TIME","price":"1.00"}]}"#,
    );
    // Saturday 2026-03-28 12:00Z (13:00 CET) to Monday 2026-03-30 12:00Z (14:00 CEST): 48 h.
    let s = session(
        "2026-03-28T12:00:00Z",
        "2026-03-30T12:00:00Z",
        "Europe/Stockholm",
        0,
        50_000,
    );
    let p = priced(&s, &t);
    // Sunday local: 2026-03-28T23:00Z (00:00 CET) to 2026-03-29T22:00Z (00:00 CEST) = 23 h
    //   23 h * 2.00 = 46.00; the rest 25 h * 1.00 = 25.00; total 71.00
    assert_eq!(p.total_excl_vat, dec!(71.00));
}

// ---- energy and duration thresholds -----------------------------------------------------

#[test]
fn first_ten_kwh_cost_more_than_the_rest() {
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"ENERGY","price":"0.40"}],"restrictions":{"max_kwh":"10"}},
           {"price_components":[{"type":"ENERGY","price":"0.25"}]}"#,
    );
    let s = session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T11:00:00Z",
        "Europe/Stockholm",
        0,
        25_000,
    );
    let p = priced(&s, &t);
    // 10 kWh * 0.40 = 4.00; 15 kWh * 0.25 = 3.75; total 7.75
    assert_eq!(
        lines(&p),
        vec![
            line(LineKind::Energy, "10.000", "0.40", "4.00"),
            line(LineKind::Energy, "15.000", "0.25", "3.75"),
        ]
    );
}

#[test]
fn first_two_hours_of_charging_are_free() {
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"TIME","price":"0"}],"restrictions":{"max_duration":7200}},
           {"price_components":[{"type":"TIME","price":"6.00"}]}"#,
    );
    let s = session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T13:30:00Z",
        "Europe/Stockholm",
        0,
        9_000,
    );
    let p = priced(&s, &t);
    // 3.5 h: 2 h * 0 = 0.00; 1.5 h * 6.00 = 9.00
    assert_eq!(p.total_excl_vat, dec!(9.00));
}

#[test]
fn energy_step_size_rounds_the_total_up_at_the_last_price() {
    let t = tariff(
        "EUR",
        "0",
        &format!(
            r#"{{"price_components":[{{"type":"ENERGY","price":"0.35","step_size":1000}}],
                 "restrictions":{{"start_time":"07:00","end_time":"22:00","day_of_week":{WEEKDAYS}}}}},
               {{"price_components":[{{"type":"ENERGY","price":"0.20","step_size":1000}}]}}"#
        ),
    );
    // Tuesday 06:00-08:00 local (05:00Z-07:00Z), 3 001 Wh evenly.
    let s = session(
        "2026-01-13T05:00:00Z",
        "2026-01-13T07:00:00Z",
        "Europe/Stockholm",
        0,
        3_001,
    );
    let p = priced(&s, &t);
    // off-peak 06-07: cumulative at 07:00 = 1500.5 -> 1501 Wh; peak 07-08: 3001 - 1501 = 1500 Wh
    // total 3 001 Wh rounded up to 4 000; the extra 999 Wh go to the last (peak) period:
    //   1.501 kWh * 0.20 = 0.3002 -> 0.30; 2.499 kWh * 0.35 = 0.87465 -> 0.87; total 1.17
    assert_eq!(
        lines(&p),
        vec![
            line(LineKind::Energy, "1.501", "0.20", "0.30"),
            line(LineKind::Energy, "2.499", "0.35", "0.87"),
        ]
    );
    assert_eq!(p.total_excl_vat, dec!(1.17));
}

// ---- apportioning -----------------------------------------------------------------------

#[test]
fn energy_parts_across_many_boundaries_sum_exactly_to_the_meter_difference() {
    // Boundaries every 15 minutes, alternating prices, and an energy total that does not
    // divide evenly: every Wh must land in exactly one line.
    let mut elements = String::new();
    for h in 0..24 {
        for q in 0..4 {
            let (start, end) = (h * 60 + q * 15, h * 60 + q * 15 + 15);
            let end = if end == 24 * 60 { 0 } else { end };
            let price = if q % 2 == 0 { "0.11" } else { "0.13" };
            elements.push_str(&format!(
                r#"{{"price_components":[{{"type":"ENERGY","price":"{price}"}}],
                    "restrictions":{{"start_time":"{:02}:{:02}","end_time":"{:02}:{:02}"}}}},"#,
                start / 60,
                start % 60,
                end / 60,
                end % 60
            ));
        }
    }
    elements.push_str(r#"{"price_components":[{"type":"ENERGY","price":"0.99"}]}"#);
    let t = tariff("EUR", "0", &elements);
    let mut s = session(
        "2026-01-13T10:07:13Z",
        "2026-01-13T17:51:59Z",
        "Europe/Stockholm",
        123,
        54_444,
    );
    s.samples = vec![
        ("2026-01-13T11:00:01Z".into(), 9_999),
        ("2026-01-13T13:33:33Z".into(), 31_337),
        ("2026-01-13T16:00:00Z".into(), 31_338),
    ];
    let p = priced(&s, &t);
    let energy: Decimal = p
        .line_items
        .iter()
        .filter(|l| l.kind == LineKind::Energy)
        .map(|l| l.quantity)
        .sum();
    // 54 444 - 123 = 54 321 Wh
    assert_eq!(energy, dec!(54.321));
    assert!(p.line_items.iter().all(|l| l.unit_price != dec!(0.99)));
}

// ---- errors -----------------------------------------------------------------------------

#[test]
fn unknown_time_zone_is_reported_by_name() {
    let s = session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T11:00:00Z",
        "Europe/Stokholm",
        0,
        1,
    );
    assert_eq!(
        price(&s, &peak_off_peak()).unwrap_err(),
        PricingError::UnknownTimeZone("Europe/Stokholm".into())
    );
}

#[test]
fn stop_before_start_is_refused() {
    let s = session(
        "2026-01-13T11:00:00Z",
        "2026-01-13T10:00:00Z",
        "Europe/Stockholm",
        0,
        1,
    );
    assert!(matches!(
        price(&s, &peak_off_peak()).unwrap_err(),
        PricingError::StopBeforeStart { .. }
    ));
}

#[test]
fn malformed_timestamp_names_its_field() {
    let s = session(
        "2026-01-13 10:00",
        "2026-01-13T11:00:00Z",
        "Europe/Stockholm",
        0,
        1,
    );
    assert_eq!(
        price(&s, &peak_off_peak()).unwrap_err(),
        PricingError::InvalidTimestamp {
            field: "started-at".into(),
            value: "2026-01-13 10:00".into()
        }
    );
}

#[test]
fn charging_cannot_end_after_the_session() {
    let mut s = session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T11:00:00Z",
        "Europe/Stockholm",
        0,
        1,
    );
    s.charging_ended_at = Some("2026-01-13T12:00:00Z".into());
    assert!(matches!(
        price(&s, &peak_off_peak()).unwrap_err(),
        PricingError::ChargingEndedOutsideSession { .. }
    ));
}

#[test]
fn meter_running_backwards_is_refused() {
    let s = session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T11:00:00Z",
        "Europe/Stockholm",
        500,
        400,
    );
    assert_eq!(
        price(&s, &peak_off_peak()).unwrap_err(),
        PricingError::MeterDecreased {
            start_wh: 500,
            stop_wh: 400
        }
    );
}

#[test]
fn invalid_tariff_json_reports_the_field() {
    let s = session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T11:00:00Z",
        "Europe/Stockholm",
        0,
        1,
    );
    let e = price(
        &s,
        r#"{"id":"t","currency":"EUR","vat_percent":"25","elements":[{"price_components":[{"type":"ENERGY","price":"abc"}]}]}"#,
    )
    .unwrap_err();
    assert!(
        matches!(&e, PricingError::InvalidTariffJson { path, .. } if path == "elements[0].price_components[0].price"),
        "{e:?}"
    );
    let e = price(&s, r#"{"id":"t","currency":"EUR","vat_percent":"25","elements":[{"price_components":[{"type":"KWH","price":"1"}]}]}"#)
        .unwrap_err();
    assert!(
        matches!(&e, PricingError::InvalidTariffJson { path, .. } if path == "elements[0].price_components[0].type"),
        "{e:?}"
    );
}

#[test]
fn year_long_sessions_are_refused_instead_of_enumerated() {
    let s = session(
        "2020-01-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
        "Europe/Stockholm",
        0,
        1,
    );
    assert!(matches!(
        price(&s, &peak_off_peak()).unwrap_err(),
        PricingError::SessionTooLong { .. }
    ));
}

// ---- the second, deliberately different pricing ------------------------------------------

#[test]
fn flat_pricing_charges_only_the_session_fee_of_the_same_tariff() {
    let s = SessionFacts::try_from(&session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T18:00:00Z",
        "Europe/Stockholm",
        0,
        80_000,
    ))
    .unwrap();
    let tariff = r#"{"id":"flat-49","currency":"SEK","vat_percent":"25","elements":[
        {"price_components":[{"type":"ENERGY","price":"3.50"}]},
        {"price_components":[{"type":"FLAT","price":"39.20"}],"restrictions":{"start_time":"00:00","end_time":"01:00"}}]}"#;
    let p = tariff_engine::flat::price_session(&s, tariff).unwrap();
    // 39.20 + 25 % (9.80) = 49.00, whatever 80 kWh and 8 h would have cost with the standard
    // pricing, and although the FLAT component's restriction does not hold at 10:00.
    assert_eq!(
        lines(&p),
        vec![line(LineKind::SessionFee, "1", "39.20", "39.20")]
    );
    assert_eq!(p.vat_amount.to_string(), "9.80");
    assert_eq!(p.total_incl_vat.to_string(), "49.00");
    assert_eq!(p.tariff_id, "flat-49");
}

#[test]
fn flat_pricing_of_a_tariff_without_a_session_fee_is_free() {
    let s = SessionFacts::try_from(&session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T11:00:00Z",
        "UTC",
        0,
        1,
    ))
    .unwrap();
    let p = tariff_engine::flat::price_session(&s, &peak_off_peak()).unwrap();
    assert_eq!(p.total_incl_vat.to_string(), "0.00");
}

#[test]
fn flat_pricing_validates_the_tariff_like_the_standard_one() {
    let s = SessionFacts::try_from(&session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T11:00:00Z",
        "UTC",
        0,
        1,
    ))
    .unwrap();
    assert!(matches!(
        tariff_engine::flat::price_session(&s, r#"{"id":"x","price_per_session":"1"}"#)
            .unwrap_err(),
        PricingError::InvalidTariffJson { .. }
    ));
}

#[test]
fn absurd_numbers_give_errors_or_prices_but_never_panic() {
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"ENERGY","price":"0.35"}],"restrictions":{"min_kwh":"1000000000000000000000"}},
        {"price_components":[{"type":"ENERGY","price":"0.20","step_size":1000000}]}"#,
    );
    let s = session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T11:00:00Z",
        "UTC",
        i64::MIN,
        i64::MAX,
    );
    assert!(matches!(
        price(&s, &t).unwrap_err(),
        PricingError::Overflow(_)
    ));
    // The largest step allowed bills 10 Wh as a whole MWh, as asked; one more is refused.
    let s = session("2026-01-13T10:00:00Z", "2026-01-13T11:00:00Z", "UTC", 0, 10);
    let p = priced(&s, &t);
    assert_eq!(p.line_items[0].quantity, dec!(1000));
    for (kind, step) in [
        ("ENERGY", "1000001"),
        ("TIME", "86401"),
        ("PARKING_TIME", "18446744073709551615"),
    ] {
        let absurd = tariff(
            "EUR",
            "0",
            &format!(
                r#"{{"price_components":[{{"type":"{kind}","price":"0.20","step_size":{step}}}]}}"#
            ),
        );
        match price(&s, &absurd).unwrap_err() {
            PricingError::InvalidTariff { field, .. } => {
                assert_eq!(field, "elements[0].price_components[0].step_size", "{kind}")
            }
            other => panic!("{kind}: {other:?}"),
        }
    }
    let s = session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T11:00:00Z",
        "UTC",
        0,
        i64::MAX,
    );
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"ENERGY","price":"0.20"}]}"#,
    );
    let p = priced(&s, &t);
    // 9 223 372 036 854 775.807 kWh * 0.20 = 1 844 674 407 370 955.1614 -> ...955.16
    assert_eq!(p.total_excl_vat, dec!(1844674407370955.16));
}

/// The first JSON block of docs/tariffs.md, so the documented example cannot rot.
fn documented_tariff() -> String {
    let doc = include_str!("../../../docs/tariffs.md");
    let start = doc
        .find("```json\n{\n  \"id\"")
        .expect("example tariff in docs")
        + "```json\n".len();
    let len = doc[start..].find("```").expect("end of example");
    doc[start..start + len].to_owned()
}

#[test]
fn worked_example_in_the_docs_prices_as_documented() {
    // Tuesday 2026-01-13 06:30-09:00 local (05:30Z-08:00Z); 22 kWh evenly until 08:30 local.
    let mut s = session(
        "2026-01-13T05:30:00Z",
        "2026-01-13T08:00:00Z",
        "Europe/Stockholm",
        0,
        22_000,
    );
    s.samples = vec![("2026-01-13T07:30:00Z".into(), 22_000)];
    s.charging_ended_at = Some("2026-01-13T07:30:00Z".into());
    let p = priced(&s, &documented_tariff());
    // 5.5 kWh * 2.00 = 11.00; 16.5 kWh * 3.50 = 57.75; 0.5 h * 60.00 = 30.00; fee 5.00
    // 103.75 excl.; VAT 25.9375 -> 25.94; 129.69 incl.
    assert_eq!(
        lines(&p),
        vec![
            line(LineKind::Energy, "5.500", "2.00", "11.00"),
            line(LineKind::Energy, "16.500", "3.50", "57.75"),
            line(LineKind::ParkingTime, "0.5", "60.00", "30.00"),
            line(LineKind::SessionFee, "1", "5.00", "5.00"),
        ]
    );
    assert_eq!(p.total_excl_vat.to_string(), "103.75");
    assert_eq!(p.vat_amount.to_string(), "25.94");
    assert_eq!(p.total_incl_vat.to_string(), "129.69");
    assert_eq!(p.tariff_id, "stockholm-2026");
}

#[test]
fn the_end_of_charging_alone_keeps_energy_out_of_the_idle_time() {
    // The worked example without its sample: the charging end itself says 22 kWh were in by
    // 07:30Z, so the idle half hour gets no energy and the price is the documented one.
    let mut s = session(
        "2026-01-13T05:30:00Z",
        "2026-01-13T08:00:00Z",
        "Europe/Stockholm",
        0,
        22_000,
    );
    s.charging_ended_at = Some("2026-01-13T07:30:00Z".into());
    let p = priced(&s, &documented_tariff());
    assert_eq!(p.total_excl_vat.to_string(), "103.75");
}

#[test]
fn a_meter_spike_or_reboot_reading_does_not_move_energy_or_idle_time() {
    // Tuesday 18:00Z-20:00Z, 0 -> 20 kWh; 99 999 at 19:00 is a bad read, 0 at 19:15 a reboot.
    let mut s = session(
        "2026-01-13T18:00:00Z",
        "2026-01-13T20:00:00Z",
        "UTC",
        0,
        20_000,
    );
    s.samples = vec![
        ("2026-01-13T18:30:00Z".into(), 5_000),
        ("2026-01-13T19:00:00Z".into(), 99_999),
        ("2026-01-13T19:15:00Z".into(), 0),
        ("2026-01-13T19:30:00Z".into(), 15_000),
    ];
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"ENERGY","price":"0.30"}],
            "restrictions":{"start_time":"19:00","end_time":"20:00"}},
           {"price_components":[{"type":"ENERGY","price":"0.10"}]}"#,
    );
    let p = priced(&s, &t);
    // 18:00-19:00: 0 -> 10 000 (halfway from 5 000 at 18:30 to 15 000 at 19:30) at 0.10;
    // 19:00-20:00: the other 10 kWh at 0.30.
    assert_eq!(
        lines(&p),
        vec![
            line(LineKind::Energy, "10.000", "0.10", "1.00"),
            line(LineKind::Energy, "10.000", "0.30", "3.00"),
        ]
    );
}

#[test]
fn restrictions_that_could_never_hold_are_refused_by_name() {
    let s = session("2026-01-13T10:00:00Z", "2026-01-13T11:00:00Z", "UTC", 0, 10);
    for (restrictions, field) in [
        (
            r#"{"start_date":"2026-02-01","end_date":"2026-02-01"}"#,
            "end_date",
        ),
        (r#"{"min_kwh":"10","max_kwh":"5"}"#, "max_kwh"),
        (
            r#"{"min_duration":3600,"max_duration":600}"#,
            "max_duration",
        ),
    ] {
        let t = tariff(
            "EUR",
            "0",
            &format!(
                r#"{{"price_components":[{{"type":"ENERGY","price":"0.20"}}],"restrictions":{restrictions}}}"#
            ),
        );
        match price(&s, &t).unwrap_err() {
            PricingError::InvalidTariff { field: f, .. } => {
                assert_eq!(f, format!("elements[0].restrictions.{field}"))
            }
            other => panic!("{restrictions}: {other:?}"),
        }
    }
}

#[test]
fn a_session_of_no_duration_bills_its_energy() {
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"ENERGY","price":"0.30"},{"type":"FLAT","price":"1.00"}]}"#,
    );
    let s = session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T10:00:00Z",
        "UTC",
        0,
        500,
    );
    assert_eq!(priced(&s, &t).total_excl_vat.to_string(), "1.15");
}

// ---- element order (OCPI) ---------------------------------------------------------------

#[test]
fn dimension_missing_from_the_matching_element_falls_through_to_the_next() {
    // The peak element only prices energy; charging time during the peak still comes from the
    // fallback element, because the first element *with a TIME component* wins.
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"ENERGY","price":"0.35"}],
            "restrictions":{"start_time":"07:00","end_time":"22:00"}},
           {"price_components":[{"type":"ENERGY","price":"0.20"},{"type":"TIME","price":"1.20"}]}"#,
    );
    // 06:00-08:00 local (05:00Z-07:00Z), 2 kWh/h
    let s = session(
        "2026-01-13T05:00:00Z",
        "2026-01-13T07:00:00Z",
        "Europe/Stockholm",
        0,
        4_000,
    );
    let p = priced(&s, &t);
    // 2 kWh * 0.20 = 0.40; time 2 h * 1.20 = 2.40 (first appears with the 06-07 piece);
    // 2 kWh * 0.35 = 0.70; total 3.50
    assert_eq!(
        lines(&p),
        vec![
            line(LineKind::Energy, "2.000", "0.20", "0.40"),
            line(LineKind::ChargingTime, "2", "1.20", "2.40"),
            line(LineKind::Energy, "2.000", "0.35", "0.70"),
        ]
    );
    assert_eq!(p.total_excl_vat, dec!(3.50));
}

#[test]
fn new_price_applies_from_its_start_date_in_local_time() {
    let t = tariff(
        "SEK",
        "0",
        r#"{"price_components":[{"type":"ENERGY","price":"2.00"}],"restrictions":{"end_date":"2026-07-01"}},
           {"price_components":[{"type":"ENERGY","price":"2.50"}]}"#,
    );
    // 2026-06-30 23:00 CEST (21:00Z) to 2026-07-01 01:00 CEST (23:00Z), 3 kWh/h:
    let s = session(
        "2026-06-30T21:00:00Z",
        "2026-06-30T23:00:00Z",
        "Europe/Stockholm",
        0,
        6_000,
    );
    let p = priced(&s, &t);
    // local midnight is 22:00Z although the UTC date is still June 30:
    // 3 kWh * 2.00 = 6.00; 3 kWh * 2.50 = 7.50; total 13.50
    assert_eq!(p.total_excl_vat, dec!(13.50));
}

#[test]
fn parking_fee_starts_after_a_grace_period() {
    let t = tariff(
        "EUR",
        "0",
        r#"{"price_components":[{"type":"PARKING_TIME","price":"12.00"}],"restrictions":{"min_duration":10800}},
           {"price_components":[{"type":"ENERGY","price":"0.30"}]}"#,
    );
    // 4 h session, charging done after 2 h; parking is charged only from 3 h after the start.
    let mut s = session(
        "2026-01-13T10:00:00Z",
        "2026-01-13T14:00:00Z",
        "Europe/Stockholm",
        0,
        30_000,
    );
    s.charging_ended_at = Some("2026-01-13T12:00:00Z".into());
    s.samples = vec![("2026-01-13T12:00:00Z".into(), 30_000)];
    let p = priced(&s, &t);
    // 30 kWh * 0.30 = 9.00; parking 13:00Z-14:00Z = 1 h * 12.00 = 12.00; total 21.00
    assert_eq!(
        lines(&p),
        vec![
            line(LineKind::Energy, "30.000", "0.30", "9.00"),
            line(LineKind::ParkingTime, "1", "12.00", "12.00"),
        ]
    );
}
