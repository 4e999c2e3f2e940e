//! The README's tables of supported station-initiated messages say exactly what each
//! version's routing table dispatches, and list every message a station of that version may
//! send.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use connection::dispatch::supported_actions;
use ocpp_protocol::{actions, OcppVersion};
use std::collections::BTreeSet;

fn marker(version: OcppVersion) -> &'static str {
    match version {
        OcppVersion::V16 => "checked against components/connection/src/ocpp16/mod.rs ROUTES",
        OcppVersion::V201 => "checked against components/connection/src/ocpp201/mod.rs ROUTES",
    }
}

fn readme_rows(version: OcppVersion) -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let section = readme
        .split(marker(version))
        .nth(1)
        .unwrap_or_else(|| panic!("marker comment for {version} in README"));
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
fn readme_marks_handled_exactly_what_each_routing_table_dispatches() {
    for version in [OcppVersion::V16, OcppVersion::V201] {
        let handled: BTreeSet<String> = readme_rows(version)
            .into_iter()
            .filter(|(_, status)| status.starts_with('✅'))
            .map(|(name, _)| name)
            .collect();
        let routed: BTreeSet<String> = supported_actions(version)
            .into_iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(handled, routed, "{version}");
    }
}

#[test]
fn readme_lists_every_message_a_station_may_send() {
    for version in [OcppVersion::V16, OcppVersion::V201] {
        let listed: BTreeSet<String> = readme_rows(version)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let sent_by_cp: BTreeSet<String> = actions(version)
            .iter()
            .filter(|a| a.sent_by_charge_point())
            .map(|a| a.name.to_owned())
            .collect();
        assert_eq!(listed, sent_by_cp, "{version}");
    }
}
