//! Property-based fuzzing of everything that reads peer input: no input may
//! panic, and every refusal must be answerable. cargo-fuzz needs a nightly
//! toolchain that CI machines do not have, so proptest drives the inputs.
//! `PROPTEST_CASES` sets how many inputs each property runs (default below).

// Test helpers state expectations by panicking.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use ocpp_protocol::messages::{v16, v201};
use ocpp_protocol::{actions, Frame, OcppVersion, MAX_MESSAGE_ID_LEN};
use proptest::prelude::*;
use serde_json::{json, Value};

const DEFAULT_CASES: u32 = 20_000;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// Any JSON value, nested a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[ -~]{0,40}".prop_map(Value::from),
        Just(Value::from("2026-03-29T01:30:00+02:00")),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Frames that look almost right: the shapes where parsers usually break.
fn near_frame() -> impl Strategy<Value = String> {
    (
        0u64..7,
        "[ -~]{0,40}",
        "[A-Za-z]{0,24}",
        json_value(),
        any::<u8>(),
    )
        .prop_map(|(kind, id, action, payload, cut)| {
            let text = json!([kind, id, action, payload]).to_string();
            // Truncate some frames to produce broken JSON with a readable header.
            if cut % 3 == 0 {
                let at = (cut as usize) % (text.len() + 1);
                text.char_indices()
                    .map(|(i, _)| i)
                    .take_while(|i| *i < at)
                    .last()
                    .map_or(String::new(), |i| text[..i].to_owned())
            } else {
                text
            }
        })
}

fn check_frame(text: &str) {
    match Frame::parse(text) {
        Ok(frame) => {
            assert!(frame.message_id().chars().count() <= MAX_MESSAGE_ID_LEN);
            // Whatever parsed must write back to the same frame.
            assert_eq!(Frame::parse(&frame.to_text()).ok(), Some(frame));
        }
        Err(e) => {
            for version in [OcppVersion::V16, OcppVersion::V201] {
                let answer = Frame::from(e.to_call_error(version));
                assert!(
                    Frame::parse(&answer.to_text()).is_ok(),
                    "answer must be a valid frame"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_text_never_panics_the_frame_parser(text in "\\PC{0,200}") {
        check_frame(&text);
    }

    #[test]
    fn near_miss_frames_never_panic_the_frame_parser(text in near_frame()) {
        check_frame(&text);
    }

    #[test]
    fn arbitrary_payloads_never_panic_any_decoder(
        payload in json_value(),
        index in any::<prop::sample::Index>(),
    ) {
        let a16 = actions(OcppVersion::V16);
        let a201 = actions(OcppVersion::V201);
        let n16 = index.index(a16.len());
        let n201 = index.index(a201.len());
        for action in [a16[n16].name, "Unknown"] {
            if let Ok(m) = v16::Request::decode(action, &payload) {
                prop_assert!(v16::Request::decode(action, &m.to_payload()).is_ok());
            }
            let _ = v16::Response::decode(action, &payload);
        }
        for action in [a201[n201].name, "Unknown"] {
            if let Ok(m) = v201::Request::decode(action, &payload) {
                prop_assert!(v201::Request::decode(action, &m.to_payload()).is_ok());
            }
            let _ = v201::Response::decode(action, &payload);
        }
    }
}
