"""OCPP security profiles 2 and 3 with real TLS, through both terminators: devhost's embedded
gateway (`--tls-cert/--tls-key/--tls-client-ca`) and nginx -> Pushpin -> devhost. Certificates
are made in the set-up (pki.py); the charge points are the Python websockets client with an
`ssl` context, speaking OCPP with the `ocpp` package's 1.6 ChargePoint."""

import asyncio
import contextlib
import os
import ssl
import urllib.error
import urllib.request
import uuid

import pytest
import websockets
from ocpp.v16 import call

import harness
import pki
from conftest import GRIP_SIG_KEY, ChargePoint

PASSWORD = "profile-2-password-0123"


@pytest.fixture(scope="module", params=["embedded", "nginx"])
def secured(request, devhost_bin, tmp_path_factory):
    state = tmp_path_factory.mktemp(f"secured-{request.param}")
    ca = pki.Authority(state, "Station CA")
    server = ca.server()
    env = {
        "ca": ca, "other_ca": pki.Authority(state, "Other CA"), "kind": request.param,
        "trust": ssl.create_default_context(cafile=str(ca.issued.cert)),
    }
    variables = {"api_token": harness.API_TOKEN, "grip_sig_key": GRIP_SIG_KEY,
                 "unknown_charge_points": "reject", "heartbeat_interval": "60"}
    processes, logs = [], []
    if request.param == "embedded":
        os.environ["DEVHOST_GRIP_SIG_KEY"] = GRIP_SIG_KEY
        tls_args = ("--tls-cert", str(server.cert), "--tls-key", str(server.key),
                    "--tls-client-ca", str(ca.issued.cert))
        proc, port, log = harness.start_devhost(devhost_bin, state, gateway=True,
                                                variables=variables, extra_args=tls_args)
        # The same stores without TLS: how a station that skips TLS would arrive.
        plain, plain_port, plain_log = harness.start_devhost(
            devhost_bin, state, gateway=True, variables=variables, log_name="plain.log")
        processes += [proc, plain]
        logs += [log, plain_log]
        env["wss"] = f"wss://127.0.0.1:{port}/ocpp"
        env["ws"] = f"ws://127.0.0.1:{plain_port}/ocpp"
        api_url = f"https://127.0.0.1:{port}"
    else:
        proc, port, log = harness.start_devhost(devhost_bin, state, gateway=False,
                                                variables=variables)
        pp, pp_port, _publish, pp_log = harness.start_pushpin(state, port, GRIP_SIG_KEY)
        nginx, nginx_port, nginx_log = harness.start_nginx(state, pp_port, server.cert, server.key,
                                                           ca.issued.cert)
        processes += [proc, pp, nginx]
        logs += [log, pp_log, nginx_log]
        env["wss"] = f"wss://127.0.0.1:{nginx_port}/ocpp"
        # Pushpin's own port, skipping the terminator.
        env["ws"] = f"ws://127.0.0.1:{pp_port}/ocpp"
        env["direct"] = f"http://127.0.0.1:{port}"
        api_url = f"http://127.0.0.1:{port}"
    backend = harness.Backend(ws_url=env["wss"], api_url=api_url, state_dir=state,
                              processes=processes, log_files=logs, ssl_context=env["trust"])
    env["backend"] = backend
    yield env
    backend.stop()


def register(secured, profile, password=None):
    cp_id = f"SP{profile}-{secured['kind']}-{uuid.uuid4().hex[:6]}"
    body = {"security_profile": profile, **({"password": password} if password else {})}
    status, answer = secured["backend"].api("PUT", f"/api/v1/charge-points/{cp_id}", body)
    assert status == 201 and answer["security_profile"] == profile, answer
    return cp_id


def client_context(secured, issued=None):
    context = ssl.create_default_context(cafile=str(secured["ca"].issued.cert))
    if issued is not None:
        context.load_cert_chain(str(issued.cert), str(issued.key))
    return context


@contextlib.asynccontextmanager
async def station(url, cp_id, *, context=None, password=None, headers=None):
    extra = dict(headers or {})
    if password:
        extra["Authorization"] = harness.basic_auth(cp_id, password)
    async with websockets.connect(f"{url}/{cp_id}", subprotocols=["ocpp1.6"], ssl=context,
                                  additional_headers=extra, open_timeout=20) as ws:
        cp = ChargePoint(cp_id, ws, response_timeout=20)
        task = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            task.cancel()


async def boots(url, cp_id, **kwargs):
    async with station(url, cp_id, **kwargs) as cp:
        answer = await cp.call(call.BootNotification(charge_point_model="M",
                                                     charge_point_vendor="V"))
        return answer.status


async def refused_status(url, cp_id, **kwargs):
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        async with station(url, cp_id, **kwargs):
            pass
    return refused.value.response.status_code


def csms_events(secured, cp_id):
    status, page = secured["backend"].api(
        "GET", f"/api/v1/charge-points/{cp_id}/security-events?source=csms")
    assert status == 200, page
    return [(e["type"], e["tech_info"]) for e in page["items"]]


async def test_profile_2_is_accepted_over_tls_with_its_password(secured):
    cp_id = register(secured, 2, PASSWORD)
    assert await boots(secured["wss"], cp_id, context=client_context(secured),
                       password=PASSWORD) == "Accepted"
    assert await refused_status(secured["wss"], cp_id, context=client_context(secured),
                                password="wrong-password-0123456") == 401
    assert csms_events(secured, cp_id) == []


async def test_profile_2_over_plain_ws_is_refused_and_recorded(secured):
    cp_id = register(secured, 2, PASSWORD)
    assert await refused_status(secured["ws"], cp_id, password=PASSWORD) == 401
    [(kind, info)] = csms_events(secured, cp_id)
    assert kind == "SecurityProfileDowngrade" and "needs TLS" in info


async def test_profile_3_is_accepted_with_a_certificate_for_its_id(secured):
    cp_id = register(secured, 3)
    issued = secured["ca"].client(cp_id)
    assert await boots(secured["wss"], cp_id, context=client_context(secured, issued)) \
        == "Accepted"


async def test_profile_3_without_a_certificate_is_refused(secured):
    cp_id = register(secured, 3)
    assert await refused_status(secured["wss"], cp_id, context=client_context(secured)) == 401
    [(kind, info)] = csms_events(secured, cp_id)
    assert kind == "InvalidChargingStationCertificate" and "no client certificate" in info


async def test_profile_3_with_the_certificate_of_another_id_is_refused(secured):
    cp_id = register(secured, 3)
    other = secured["ca"].client(f"{cp_id}-OTHER")
    assert await refused_status(secured["wss"], cp_id,
                                context=client_context(secured, other)) == 401
    [(kind, info)] = csms_events(secured, cp_id)
    assert kind == "InvalidChargingStationCertificate" and f"{cp_id}-OTHER" in info


async def test_profile_3_with_a_certificate_from_another_ca_is_refused(secured):
    cp_id = register(secured, 3)
    foreign = secured["other_ca"].client(cp_id)
    assert await refused_status(secured["wss"], cp_id,
                                context=client_context(secured, foreign)) == 401
    [(kind, info)] = csms_events(secured, cp_id)
    assert kind == "InvalidChargingStationCertificate" and "FAILED" in info


async def test_forged_certificate_headers_do_not_count(secured):
    cp_id = register(secured, 3)
    forged = {"X-SSL-Protocol": "TLSv1.3", "X-SSL-Client-Verify": "SUCCESS",
              "X-SSL-Client-Cert": "forged"}
    if secured["kind"] == "embedded":
        # The embedded gateway is the terminator: it drops what the client claims.
        assert await refused_status(secured["ws"], cp_id, headers=forged) == 401
        [(kind, _)] = csms_events(secured, cp_id)
        assert kind == "SecurityProfileDowngrade"
    else:
        # Straight to the component, skipping nginx and Pushpin: no Grip-Sig, refused.
        request = urllib.request.Request(
            f"{secured['direct']}/ocpp/{cp_id}", data=b"OPEN\r\n", method="POST",
            headers={**forged, "Content-Type": "application/websocket-events",
                     "Connection-Id": "forged-1", "Sec-WebSocket-Protocol": "ocpp1.6"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=20)
        assert refused.value.code == 401
        assert b"Grip-Sig" in refused.value.read()
