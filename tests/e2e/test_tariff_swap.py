"""Swapping the tariff component in spin.toml changes prices, with no other
change: the same session, the same stored tariff, another pricing component."""

import re

import harness
from test_session import TARIFF, api_ok, run_worked_example_session

DEPENDENCY = re.compile(r'^("ocpp-csms:tariff/pricing@[^"]+" = \{ path = "[^"]*)tariff_standard\.wasm(" \})$', re.M)


def flat_manifest(tmp_path):
    text = (harness.ROOT / "spin.toml").read_text()
    swapped, count = DEPENDENCY.subn(r"\1tariff_flat.wasm\2", text)
    assert count == 1, "spin.toml plugs tariff_standard.wasm into transactions"
    # Same files, read from a manifest elsewhere: make the relative paths absolute.
    swapped = swapped.replace('"target/', f'"{harness.ROOT}/target/')
    path = tmp_path / "spin.toml"
    path.write_text(swapped)
    return path


async def test_the_flat_tariff_component_prices_the_same_session_differently(devhost_bin, tmp_path):
    proc, port, log = harness.start_devhost(
        devhost_bin, tmp_path, gateway=True, manifest=flat_manifest(tmp_path),
        variables={"api_token": harness.API_TOKEN, "unknown_charge_points": "accept"},
    )
    backend = harness.Backend(ws_url=f"ws://127.0.0.1:{port}/ocpp", api_url=f"http://127.0.0.1:{port}",
                              state_dir=tmp_path, processes=[proc], log_files=[log])
    try:
        api_ok(backend, "PUT", "/api/v1/tariffs/stockholm-2026", TARIFF)
        api_ok(backend, "PUT", "/api/v1/id-tags/GOOD", {"status": "Accepted"})
        view = await run_worked_example_session(backend, "CP-FLAT")
    finally:
        backend.stop()
    assert view["energy_wh"] == 22_000
    cdr = view["charge_detail_record"]
    # Only the tariff's session fee: 5.00 + 25 % VAT = 6.25 (the standard component: 129.69).
    assert cdr["total_excl_vat"] == "5.00"
    assert cdr["total_incl_vat"] == "6.25"
