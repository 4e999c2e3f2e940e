"""Two devhost processes behind one Pushpin that balances over both, sharing one PostgreSQL
database and one Redis: each message of a station's socket may land on either host, and
what one host wrote the other reads. scripts/test runs the 1.6 and 2.0.1 suites on this
set-up too (CSMS_E2E_BACKENDS=scale-out); these tests check the spreading itself."""

import os

import pytest
from ocpp.v16 import call

import harness
from conftest import charge_point

if not os.environ.get(harness.DATABASE_URL_ENV):
    pytest.skip(f"needs {harness.DATABASE_URL_ENV}; scripts/test runs this in its PostgreSQL pass",
                allow_module_level=True)

pytestmark = pytest.mark.parametrize("backend", ["scale-out"], indirect=True)

def connection_requests(log_file) -> int:
    log_file.flush()
    text = open(log_file.name, errors="replace").read()
    return sum(1 for line in text.splitlines() if "component=connection" in line and "request" in line)


async def test_one_stations_messages_are_served_by_both_hosts(backend):
    (_, _, log_a), (_, _, log_b) = backend.hosts
    before = connection_requests(log_a), connection_requests(log_b)
    async with charge_point(backend, "SCALE-1") as cp:
        boot = await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        assert boot.status == "Accepted"
        for _ in range(20):
            await cp.call(call.Heartbeat())
    served = connection_requests(log_a) - before[0], connection_requests(log_b) - before[1]
    # 22 requests at least (open, boot, 20 heartbeats); Pushpin spreads them.
    assert sum(served) >= 22, served
    assert min(served) >= 1, f"one host served every request: {served}"


async def test_both_hosts_see_a_station_online_that_either_accepted(backend):
    host_a = harness.Backend(ws_url=backend.ws_url, api_url=backend.direct_url, state_dir=backend.state_dir)
    async with charge_point(backend, "SCALE-2") as cp:
        await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        for api in (host_a, backend):
            status, body = api.api("GET", "/api/v1/charge-points/SCALE-2")
            assert status == 200, body
            assert body["online"] is True, (api.api_url, body)
            assert body["boot"]["vendor"] == "V", body
