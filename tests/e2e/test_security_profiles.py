"""OCPP security profiles 2 and 3 with real TLS, through both terminators: devhost's embedded
gateway (`--tls-cert/--tls-key/--tls-client-ca`) and nginx -> Pushpin -> devhost. Certificates
are made in the set-up (pki.py); the charge points are the Python websockets client with an
`ssl` context, speaking OCPP with the `ocpp` package's 1.6 ChargePoint."""

import asyncio
import contextlib
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings

import pytest
import websockets
from ocpp.v16 import call

import harness
import pki
from ocpp.routing import on
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201

from conftest import GRIP_SIG_KEY, ChargePoint, ChargePoint201

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
                 "unknown_charge_points": "reject", "heartbeat_interval": "60",
                 # The same CA signs the stations' SignCertificate requests.
                 "station_ca_certificate": ca.cert_pem(), "station_ca_key": ca.issued.key.read_text()}
    # Commands reach the station through the gateway's publish endpoint on this port.
    publish_port = harness.free_port()
    variables["gateway_publish_url"] = f"http://127.0.0.1:{publish_port}/publish/"
    variables["gateway_publish_origin"] = f"http://127.0.0.1:{publish_port}"
    processes, logs = [], []
    if request.param == "embedded":
        os.environ["DEVHOST_GRIP_SIG_KEY"] = GRIP_SIG_KEY
        tls_args = ("--tls-cert", str(server.cert), "--tls-key", str(server.key),
                    "--tls-client-ca", str(ca.issued.cert))
        proc, port, log = harness.start_devhost(devhost_bin, state, gateway=True,
                                                variables=variables, extra_args=tls_args,
                                                publish_port=publish_port)
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
        pp, pp_port, _publish, pp_log = harness.start_pushpin(state, port, GRIP_SIG_KEY,
                                                              publish_port=publish_port)
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


async def test_TC_A_04_profile_2_is_accepted_over_tls_with_its_password(secured):
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


async def test_TC_A_07_profile_3_is_accepted_with_a_certificate_for_its_id(secured):
    cp_id = register(secured, 3)
    issued = secured["ca"].client(cp_id)
    assert await boots(secured["wss"], cp_id, context=client_context(secured, issued)) \
        == "Accepted"


async def test_TC_A_08_profile_3_without_a_certificate_is_refused(secured):
    cp_id = register(secured, 3)
    assert await refused_status(secured["wss"], cp_id, context=client_context(secured)) == 401
    [(kind, info)] = csms_events(secured, cp_id)
    assert kind == "InvalidChargingStationCertificate" and "no client certificate" in info


async def test_TC_A_08_profile_3_with_the_certificate_of_another_id_is_refused(secured):
    cp_id = register(secured, 3)
    other = secured["ca"].client(f"{cp_id}-OTHER")
    assert await refused_status(secured["wss"], cp_id,
                                context=client_context(secured, other)) == 401
    [(kind, info)] = csms_events(secured, cp_id)
    assert kind == "InvalidChargingStationCertificate" and f"{cp_id}-OTHER" in info


async def test_TC_A_08_profile_3_with_a_certificate_from_another_ca_is_refused(secured):
    cp_id = register(secured, 3)
    foreign = secured["other_ca"].client(cp_id)
    assert await refused_status(secured["wss"], cp_id,
                                context=client_context(secured, foreign)) == 401
    [(kind, info)] = csms_events(secured, cp_id)
    assert kind == "InvalidChargingStationCertificate" and "FAILED" in info


async def test_forged_certificate_headers_do_not_count(secured, tmp_path):
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
        # Through Pushpin's own port, past nginx: Pushpin signs the request, but the
        # certificate the headers name comes from a CA with the trusted CA's name and another
        # key, so the component's own check refuses it.
        impostor = pki.Authority(tmp_path, "Station CA").client(cp_id)
        claimed = {"X-SSL-Protocol": "TLSv1.3", "X-SSL-Client-Verify": "SUCCESS",
                   "X-SSL-Client-Cert": urllib.parse.quote(impostor.cert.read_text(), safe="")}
        assert await refused_status(secured["ws"], cp_id, headers=claimed) == 401
        [(kind, info)] = csms_events(secured, cp_id)
        assert kind == "InvalidChargingStationCertificate" and "signature is not valid" in info


async def test_TC_A_06_a_tls_version_below_1_2_is_refused(secured):
    cp_id = register(secured, 2, PASSWORD)
    old = client_context(secured)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old.minimum_version = ssl.TLSVersion.TLSv1
        old.maximum_version = ssl.TLSVersion.TLSv1_1
    # OpenSSL 3 offers TLS 1.1 only at security level 0.
    old.set_ciphers("DEFAULT:@SECLEVEL=0")
    with pytest.raises((ssl.SSLError, OSError)):
        async with station(secured["wss"], cp_id, context=old, password=PASSWORD):
            pass
    assert await boots(secured["wss"], cp_id, context=client_context(secured),
                       password=PASSWORD) == "Accepted"


class Upgrading201(ChargePoint201):
    """A 2.0.1 station that takes a new certificate and a new network profile, and records
    what it was sent."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked = {}

    def note(self, action, request):
        self.asked[action] = request
        return {"status": "Accepted"}

    @on(Action201.certificate_signed)
    def on_certificate_signed(self, **kw):
        return result201.CertificateSigned(**self.note("CertificateSigned", kw))

    @on(Action201.set_network_profile)
    def on_set_network_profile(self, **kw):
        return result201.SetNetworkProfile(**self.note("SetNetworkProfile", kw))

    @on(Action201.set_variables)
    def on_set_variables(self, set_variable_data, **kw):
        self.asked["SetVariables"] = set_variable_data
        return result201.SetVariables(set_variable_result=[
            {"component": e["component"], "variable": e["variable"], "attribute_status": "Accepted"}
            for e in set_variable_data])

    @on(Action201.reset)
    def on_reset(self, **kw):
        return result201.Reset(**self.note("Reset", kw))


@contextlib.asynccontextmanager
async def station_201(url, cp_id, *, context, password=None):
    headers = {"Authorization": harness.basic_auth(cp_id, password)} if password else {}
    async with websockets.connect(f"{url}/{cp_id}", subprotocols=["ocpp2.0.1"], ssl=context,
                                  additional_headers=headers, open_timeout=20) as ws:
        cp = Upgrading201(cp_id, ws, response_timeout=20)
        task = asyncio.create_task(cp.start())
        try:
            booted = await cp.call(call201.BootNotification(
                charging_station={"model": "Fast-2", "vendor_name": "Acme"}, reason="PowerUp"))
            assert booted.status == "Accepted"
            yield cp
        finally:
            task.cancel()


async def until(check, timeout=20):
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        value = check()
        if value:
            return value
        await asyncio.sleep(0.1)
    return check()


async def operator_command(secured, cp_id, action, payload):
    backend = secured["backend"]
    status, queued = await asyncio.to_thread(
        backend.api, "POST", f"/api/v1/charge-points/{cp_id}/commands/{action}", payload)
    assert status == 202, queued
    for _ in range(100):
        _, view = await asyncio.to_thread(backend.api, "GET", f"/api/v1/commands/{queued['command_id']}")
        if view["state"] == "answered":
            return view
        await asyncio.sleep(0.2)
    raise AssertionError(view)


async def test_TC_A_19_a_station_moves_from_profile_2_to_3_and_back_is_refused(secured, tmp_path):
    cp_id = register(secured, 2, PASSWORD)
    url = secured["wss"]
    async with station_201(url, cp_id, context=client_context(secured), password=PASSWORD) as cp:
        # RenewChargingStationCertificate: the certificate it will use for profile 3.
        csr, key = pki.signing_request_and_key(cp_id)
        signed = await cp.call(call201.SignCertificate(csr=csr,
                                                       certificate_type="ChargingStationCertificate"))
        assert signed.status == "Accepted"
        chain = (await until(lambda: cp.asked.get("CertificateSigned")))["certificate_chain"]
        (tmp_path / "station.pem").write_text(chain)
        (tmp_path / "station.key").write_text(key)
        await operator_command(secured, cp_id, "SetNetworkProfile", {
            "configurationSlot": 2, "connectionData": {
                "ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": url,
                "messageTimeout": 30, "securityProfile": 3, "ocppInterface": "Wired0"}})
        await operator_command(secured, cp_id, "SetVariables", {"setVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NetworkConfigurationPriority"},
             "attributeValue": "2,1"}]})
        await operator_command(secured, cp_id, "Reset", {"type": "Immediate"})
    _, registered = secured["backend"].api("GET", f"/api/v1/charge-points/{cp_id}")
    assert (registered["security_profile"], registered["pending_security_profile"]) == (2, 3)

    issued = pki.Issued(tmp_path / "station.pem", tmp_path / "station.key")
    async with station_201(url, cp_id, context=client_context(secured, issued)):
        pass
    _, registered = secured["backend"].api("GET", f"/api/v1/charge-points/{cp_id}")
    assert (registered["security_profile"], registered["pending_security_profile"]) == (3, None)
    # The old way in is closed now.
    assert await refused_status(url, cp_id, context=client_context(secured),
                                password=PASSWORD) == 401
