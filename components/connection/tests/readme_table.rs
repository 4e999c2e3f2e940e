//! The README's table of supported 1.6 messages says exactly what the
//! dispatch table handles, and lists every message a charge point may send.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use connection::dispatch::SUPPORTED_16;
use ocpp_protocol::{actions, OcppVersion};
use std::collections::BTreeSet;

fn readme_rows() -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let marker = "checked against components/connection/src/dispatch.rs SUPPORTED_16";
    let section = readme
        .split(marker)
        .nth(1)
        .expect("marker comment in README");
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].to_owned(), cells[2].to_owned())
        })
        .collect()
}

#[test]
fn readme_marks_handled_exactly_what_dispatch_handles() {
    let handled: BTreeSet<String> = readme_rows()
        .into_iter()
        .filter(|(_, status)| status.starts_with('✅'))
        .map(|(name, _)| name)
        .collect();
    let dispatched: BTreeSet<String> = SUPPORTED_16.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(handled, dispatched);
}

#[test]
fn readme_lists_every_message_a_charge_point_may_send() {
    let listed: BTreeSet<String> = readme_rows().into_iter().map(|(name, _)| name).collect();
    let sent_by_cp: BTreeSet<String> = actions(OcppVersion::V16)
        .iter()
        .filter(|a| a.sent_by_charge_point())
        .map(|a| a.name.to_owned())
        .collect();
    assert_eq!(listed, sent_by_cp);
}
