"""End-to-end fixtures: the real backend (release .wasm components under
devhost), once with devhost's embedded gateway and once behind a real Pushpin.
Every test module using `backend` runs against both."""

import asyncio
import contextlib
import json
import os

import pytest
import websockets
from ocpp.v16 import ChargePoint as OcppChargePoint
from ocpp.v201 import ChargePoint as OcppChargePoint201

import harness
import pki

GRIP_SIG_KEY = "e2e-grip-sig-key"


@pytest.fixture(scope="session")
def devhost_bin():
    return harness.build_once()


# Which set-ups every `backend` test runs on (comma-separated): `embedded` (devhost's own
# gateway), `pushpin` (devhost behind Pushpin), `scale-out` (two devhosts behind one Pushpin,
# spread round-robin by a load balancer, sharing PostgreSQL from CSMS_E2E_DATABASE_URL and a
# Redis).
BACKENDS = os.environ.get("CSMS_E2E_BACKENDS", "embedded,pushpin").split(",")


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request, devhost_bin, tmp_path_factory):
    state = tmp_path_factory.mktemp(f"backend-{request.param}")
    variables = {
        "api_token": harness.API_TOKEN,
        "unknown_charge_points": "accept",
        "grip_sig_key": GRIP_SIG_KEY,
        "heartbeat_interval": "60",
        # Operator commands: a short timeout so that test_commands sees one expire.
        "command_timeout_seconds": "3",
    }
    # The charging-station CA that signs the stations' SignCertificate requests.
    station_ca = pki.Authority(state, "Station CA")
    variables["station_ca_certificate"] = station_ca.issued.cert.read_text()
    variables["station_ca_key"] = station_ca.issued.key.read_text()
    # Both gateways publish on a port chosen here, so the api component can be told it.
    publish_port = harness.free_port()
    variables["gateway_publish_url"] = f"http://127.0.0.1:{publish_port}/publish/"
    variables["gateway_publish_origin"] = f"http://127.0.0.1:{publish_port}"
    if request.param == "embedded":
        os.environ["DEVHOST_GRIP_SIG_KEY"] = GRIP_SIG_KEY
        proc, port, log = harness.start_devhost(devhost_bin, state, gateway=True, variables=variables,
                                                publish_port=publish_port)
        b = harness.Backend(ws_url=f"ws://127.0.0.1:{port}/ocpp", api_url=f"http://127.0.0.1:{port}",
                            state_dir=state, processes=[proc], log_files=[log])
        b.direct_url = f"http://127.0.0.1:{port}"
    elif request.param == "scale-out":
        if not os.environ.get(harness.DATABASE_URL_ENV):
            raise RuntimeError(f"the scale-out backend needs {harness.DATABASE_URL_ENV}")
        redis, redis_port = harness.start_redis(state)
        runtime_config = harness.redis_runtime_config(state, redis_port)
        # One database for both hosts, as one SQLite file would be for one.
        variables.update(harness.postgres_for(state))
        hosts = []

        def start_host(name, port=None, log_name="devhost.log"):
            host_state = state / name
            host_state.mkdir(exist_ok=True)
            return harness.start_devhost(devhost_bin, host_state, gateway=False, variables=variables,
                                         extra_args=("--runtime-config-file", str(runtime_config)),
                                         port=port, log_name=log_name)

        for name in ("host-a", "host-b"):
            hosts.append(start_host(name))
        balancer, balancer_port, balancer_log = harness.start_balancer(state, [p for _, p, _ in hosts])
        pp, http_port, _publish_port, pp_log = harness.start_pushpin(state, balancer_port, GRIP_SIG_KEY,
                                                                     publish_port=publish_port)
        b = harness.Backend(ws_url=f"ws://127.0.0.1:{http_port}/ocpp", api_url=f"http://127.0.0.1:{hosts[1][1]}",
                            state_dir=state, processes=[proc for proc, _, _ in hosts] + [balancer, pp, redis],
                            log_files=[log for _, _, log in hosts] + [balancer_log, pp_log])
        b.direct_url = f"http://127.0.0.1:{hosts[0][1]}"
        b.hosts = hosts

        def restart_host(index):
            """Starts host `index` again on its port, after it was killed."""
            name = ("host-a", "host-b")[index]
            hosts[index] = start_host(name, port=hosts[index][1], log_name="devhost-restarted.log")
            b.processes.append(hosts[index][0])
            b.log_files.append(hosts[index][2])

        b.restart_host = restart_host
    else:
        proc, port, log = harness.start_devhost(devhost_bin, state, gateway=False, variables=variables)
        pp, http_port, _publish_port, pp_log = harness.start_pushpin(state, port, GRIP_SIG_KEY,
                                                                     publish_port=publish_port)
        b = harness.Backend(ws_url=f"ws://127.0.0.1:{http_port}/ocpp", api_url=f"http://127.0.0.1:{port}",
                            state_dir=state, processes=[proc, pp], log_files=[log, pp_log])
        b.direct_url = f"http://127.0.0.1:{port}"
    b.gateway = request.param
    b.station_ca = station_ca
    yield b
    b.stop()


class ChargePoint(OcppChargePoint):
    """The reference 1.6 charge point from the `ocpp` package: it validates
    every answer it receives against the official schemas."""


@contextlib.asynccontextmanager
async def charge_point(backend, cp_id, *, password=None, subprotocols=("ocpp1.6",), cls=None):
    headers = {"Authorization": harness.basic_auth(cp_id, password)} if password else None
    async with websockets.connect(f"{backend.ws_url}/{cp_id}", subprotocols=list(subprotocols),
                                  additional_headers=headers, open_timeout=20) as ws:
        cp = (cls or ChargePoint)(cp_id, ws, response_timeout=20)
        task = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            task.cancel()


class ChargePoint201(OcppChargePoint201):
    """The reference 2.0.1 charging station from the `ocpp` package: it validates
    every request it sends and every answer it receives against the official
    2.0.1 schemas. Unlike the 1.6 one, a CALLERROR raises (an
    `ocpp.exceptions.OCPPError`) instead of silently returning None."""

    async def call(self, payload, suppress=False, unique_id=None, skip_schema_validation=False):
        return await super().call(payload, suppress=suppress, unique_id=unique_id,
                                  skip_schema_validation=skip_schema_validation)


@contextlib.asynccontextmanager
async def charge_point_201(backend, cp_id, *, password=None, subprotocols=("ocpp2.0.1",)):
    """A 2.0.1 charging station on `{ws_url}/{cp_id}`; fails unless the central
    system chose ocpp2.0.1 for the connection."""
    headers = {"Authorization": harness.basic_auth(cp_id, password)} if password else None
    async with websockets.connect(f"{backend.ws_url}/{cp_id}", subprotocols=list(subprotocols),
                                  additional_headers=headers, open_timeout=20) as ws:
        assert ws.subprotocol == "ocpp2.0.1", ws.subprotocol
        cp = ChargePoint201(cp_id, ws, response_timeout=20)
        task = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            task.cancel()


@contextlib.asynccontextmanager
async def booted_201(backend, cp_id, cls, password=None):
    """A station of class `cls` (a ChargePoint201) connected as 2.0.1 and booted (PowerUp),
    with HTTP Basic when it has a `password`."""
    from ocpp.v201 import call
    headers = {"Authorization": harness.basic_auth(cp_id, password)} if password else None
    async with websockets.connect(f"{backend.ws_url}/{cp_id}", subprotocols=["ocpp2.0.1"],
                                  additional_headers=headers, open_timeout=20) as ws:
        assert ws.subprotocol == "ocpp2.0.1"
        cp = cls(cp_id, ws, response_timeout=20)
        task = asyncio.create_task(cp.start())
        try:
            await cp.call(call.BootNotification(
                charging_station={"model": "Fast-2", "vendor_name": "Acme"}, reason="PowerUp"))
            yield cp
        finally:
            task.cancel()


@contextlib.asynccontextmanager
async def raw_socket(backend, cp_id, *, subprotocols=("ocpp1.6",), headers=None):
    async with websockets.connect(f"{backend.ws_url}/{cp_id}", subprotocols=list(subprotocols),
                                  additional_headers=headers, open_timeout=20) as ws:
        yield ws


async def exchange(ws, text: str):
    """Sends one raw text frame and returns the parsed answer."""
    await ws.send(text)
    return json.loads(await asyncio.wait_for(ws.recv(), 20))
