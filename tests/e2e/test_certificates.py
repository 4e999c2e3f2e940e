"""Certificate management end to end through both gateways, for both versions: a station's
SignCertificate checked and signed by the charging-station CA (the backend's
`station_ca_certificate` / `station_ca_key`), the CertificateSigned that follows, and the
certificate commands (InstallCertificate, GetInstalledCertificateIds, DeleteCertificate) with
the inventory they leave in the API. 2.0.1 cases are named after the OCTT cases they follow;
the 1.6 security extension runs with the `ocpp` package's v16 ChargePoint, which validates every
message against the extension's schemas."""

import asyncio
import contextlib
import hashlib
import uuid

import websockets
from cryptography.hazmat.primitives import serialization
from ocpp.routing import on
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

import harness
import pki
from conftest import ChargePoint
from test_commands import api, finished, register
from test_ocpp201_octt_commands import Scripted201, command, eventually, scripted


class Certified201(Scripted201):
    """Also answers the certificate commands (with `self.answers`, default Accepted)."""

    @on(Action.certificate_signed)
    def on_certificate_signed(self, **kw):
        return call_result.CertificateSigned(**self.answer("CertificateSigned", kw))

    @on(Action.install_certificate)
    def on_install_certificate(self, **kw):
        return call_result.InstallCertificate(**self.answer("InstallCertificate", kw))

    @on(Action.delete_certificate)
    def on_delete_certificate(self, **kw):
        return call_result.DeleteCertificate(**self.answer("DeleteCertificate", kw))

    @on(Action.get_installed_certificate_ids)
    def on_get_installed_certificate_ids(self, **kw):
        return call_result.GetInstalledCertificateIds(
            **self.answer("GetInstalledCertificateIds", kw))


# Only a station that authenticated is signed a certificate.
PASSWORD = "certificates-password-0123"


@contextlib.asynccontextmanager
async def station(backend, name):
    async with scripted(backend, name, Certified201, password=PASSWORD) as cp:
        cp._backend = backend
        yield cp


def asked(cp, action):
    return [request for a, request in cp.asked if a == action]


async def certificate_signed(cp):
    async def check():
        return asked(cp, "CertificateSigned") or None
    return await eventually(check)


def hash_data(cert):
    """OCPP CertificateHashData of a self-signed certificate (it is its own issuer)."""
    name = hashlib.sha256(cert.issuer.public_bytes()).hexdigest()
    key = cert.public_key().public_bytes(serialization.Encoding.X962,
                                         serialization.PublicFormat.UncompressedPoint)
    return {"hash_algorithm": "SHA256", "issuer_name_hash": name,
            "issuer_key_hash": hashlib.sha256(key).hexdigest(),
            "serial_number": format(cert.serial_number, "x")}


async def inventory(backend, cp_id):
    status, body = await api(backend, "GET", f"/api/v1/charge-points/{cp_id}/certificates")
    assert status == 200, body
    return body["certificates"]


def assert_signed_by(backend, chain_pem, cp_id):
    leaf, ca = pki.chain_facts(chain_pem)
    leaf.verify_directly_issued_by(backend.station_ca.cert)
    assert ca == backend.station_ca.cert
    common_name = leaf.subject.get_attributes_for_oid(pki.NameOID.COMMON_NAME)[0].value
    assert common_name == cp_id
    return leaf


# === A Security (Advanced Security cases) ======================================================

async def test_a_station_asks_for_a_certificate_of_its_own_accord_and_gets_it_signed(backend):
    """A03: the station starts the renewal (no TriggerMessage)."""
    async with station(backend, "A11") as cp:
        cp.answers["CertificateSigned"] = {"status": "Accepted"}
        answer = await cp.call(call.SignCertificate(csr=pki.signing_request(cp.id),
                                                    certificate_type="ChargingStationCertificate"))
        assert answer.status == "Accepted"
        [signed] = await certificate_signed(cp)
        assert signed["certificate_type"] == "ChargingStationCertificate"
        leaf = assert_signed_by(backend, signed["certificate_chain"], cp.id)
        _, commands = await api(backend, "GET", f"/api/v1/charge-points/{cp.id}/commands")
        [sent] = [c for c in commands["items"] if c["action"] == "CertificateSigned"]
        done = await finished(backend, sent["id"])
        assert done["response"] == {"status": "Accepted"}
    [held] = await inventory(backend, cp.id)
    assert (held["certificate_type"], held["source"], held["serial_number"]) \
        == ("ChargingStationCertificate", "signed", format(leaf.serial_number, "x"))
    assert held["not_after"] == leaf.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_an_invalid_csr_is_rejected_and_nothing_is_signed(backend):
    async with station(backend, "A14") as cp:
        answer = await cp.call(call.SignCertificate(csr=pki.signing_request("SOMEONE-ELSE")))
        assert answer.status == "Rejected"
        assert "charge point id" in answer.status_info["additional_info"]
        not_pem = await cp.call(call.SignCertificate(csr="-----BEGIN CERTIFICATE REQUEST-----x"))
        assert not_pem.status == "Rejected"
        await asyncio.sleep(0.5)
        assert asked(cp, "CertificateSigned") == []
    _, events = await api(backend, "GET", f"/api/v1/charge-points/{cp.id}/security-events?source=csms")
    assert [e["type"] for e in events["items"]] == ["InvalidCsr", "InvalidCsr"]
    assert await inventory(backend, cp.id) == []


async def test_a_station_that_did_not_authenticate_is_not_signed_a_certificate(backend):
    async with scripted(backend, "A-NOPASSWORD", Certified201) as cp:
        answer = await cp.call(call.SignCertificate(csr=pki.signing_request(cp.id)))
        assert answer.status == "Rejected"
        assert answer.status_info["reason_code"] == "NotAuthenticated"
    _, events = await api(backend, "GET", f"/api/v1/charge-points/{cp.id}/security-events?source=csms")
    assert [e["type"] for e in events["items"]][:1] == ["UnauthenticatedCsr"]
    _, commands = await api(backend, "GET", f"/api/v1/charge-points/{cp.id}/commands")
    assert [c for c in commands["items"] if c["action"] == "CertificateSigned"] == []


async def test_TC_A_11_the_csms_asks_for_a_new_certificate_with_trigger_message(backend):
    async with station(backend, "A07") as cp:
        cp.after["TriggerMessage"] = [call.SignCertificate(csr=pki.signing_request(cp.id))]
        triggered = await command(cp, "TriggerMessage",
                                  {"requestedMessage": "SignChargingStationCertificate"})
        assert triggered["response"] == {"status": "Accepted"}
        [signed] = await certificate_signed(cp)
        assert_signed_by(backend, signed["certificate_chain"], cp.id)


async def test_TC_A_14_a_certificate_the_station_rejects_is_not_recorded(backend):
    async with station(backend, "A14") as cp:
        cp.answers["CertificateSigned"] = {"status": "Rejected"}
        cp.after["TriggerMessage"] = [call.SignCertificate(
            csr=pki.signing_request(cp.id), certificate_type="ChargingStationCertificate")]
        await command(cp, "TriggerMessage", {"requestedMessage": "SignChargingStationCertificate"})
        [signed] = await certificate_signed(cp)
        assert signed["certificate_type"] == "ChargingStationCertificate"

        async def rejected():
            _, commands = await api(backend, "GET", f"/api/v1/charge-points/{cp.id}/commands")
            done = [c for c in commands["items"] if c["action"] == "CertificateSigned"
                    and c["state"] == "answered"]
            return done or None
        [done] = await eventually(rejected)
        assert done["response"] == {"status": "Rejected"}
        await cp.call(call.SecurityEventNotification(
            type="InvalidChargingStationCertificate", timestamp="2026-12-02T10:00:00Z"))
    assert await inventory(backend, cp.id) == []
    _, events = await api(backend, "GET", f"/api/v1/charge-points/{cp.id}/security-events?source=station")
    assert [e["type"] for e in events["items"]] == ["InvalidChargingStationCertificate"]


# === M Certificate management ==================================================================

async def install(cp, kind, pem, expected="Accepted"):
    cp.answers["InstallCertificate"] = {"status": expected}
    done = await command(cp, "InstallCertificate", {"certificateType": kind, "certificate": pem})
    assert done["response"] == {"status": expected}
    assert asked(cp, "InstallCertificate")[-1]["certificate_type"] == kind


async def test_TC_M_01_and_TC_M_02_install_csms_and_manufacturer_root_certificates(backend):
    root = backend.station_ca
    async with station(backend, "M01") as cp:
        await install(cp, "CSMSRootCertificate", root.cert_pem())
        [held] = await inventory(backend, cp.id)
        assert held["source"] == "installed" and "Station CA" in held["subject"]
        mine = hash_data(root.cert)
        assert (held["issuer_name_hash"], held["serial_number"]) \
            == (mine["issuer_name_hash"], mine["serial_number"])
        await install(cp, "ManufacturerRootCertificate", root.cert_pem())
        [held] = await inventory(backend, cp.id)
        assert held["certificate_type"] == "ManufacturerRootCertificate"
        status, problem = await api(backend, "POST", f"/api/v1/charge-points/{cp.id}/commands/InstallCertificate",
                                    {"certificateType": "CSMSRootCertificate", "certificate": "x"})
        assert status == 400 and "PEM" in problem["detail"], problem


async def test_TC_M_05_a_failed_install_changes_nothing(backend):
    async with station(backend, "M05") as cp:
        await install(cp, "CSMSRootCertificate", backend.station_ca.cert_pem(), expected="Failed")
    assert await inventory(backend, cp.id) == []


OTHER = {"hash_algorithm": "SHA384", "issuer_name_hash": "ab" * 48, "issuer_key_hash": "cd" * 48,
         "serial_number": "1f"}


async def test_TC_M_13_TC_M_18_and_TC_M_19_retrieve_installed_certificates(backend):
    mine = hash_data(backend.station_ca.cert)
    async with station(backend, "M13") as cp:
        cp.answers["GetInstalledCertificateIds"] = {"status": "Accepted", "certificate_hash_data_chain": [
            {"certificate_type": "ManufacturerRootCertificate", "certificate_hash_data": OTHER}]}
        one = await command(cp, "GetInstalledCertificateIds", {"certificateType": ["ManufacturerRootCertificate"]})
        assert asked(cp, "GetInstalledCertificateIds")[-1] == {"certificate_type": ["ManufacturerRootCertificate"]}
        assert len(one["response"]["certificateHashDataChain"]) == 1
        assert [h["serial_number"] for h in await inventory(backend, cp.id)] == ["1f"]
        # TC_M_18: without certificateType, everything the station holds.
        cp.answers["GetInstalledCertificateIds"] = {"status": "Accepted", "certificate_hash_data_chain": [
            {"certificate_type": "CSMSRootCertificate", "certificate_hash_data": mine},
            {"certificate_type": "ManufacturerRootCertificate", "certificate_hash_data": OTHER}]}
        await command(cp, "GetInstalledCertificateIds", {})
        assert asked(cp, "GetInstalledCertificateIds")[-1] == {}
        assert sorted(h["certificate_type"] for h in await inventory(backend, cp.id)) \
            == ["CSMSRootCertificate", "ManufacturerRootCertificate"]
        # TC_M_19: NotFound for a type: the station holds none of it.
        cp.answers["GetInstalledCertificateIds"] = {"status": "NotFound"}
        done = await command(cp, "GetInstalledCertificateIds", {"certificateType": ["ManufacturerRootCertificate"]})
        assert done["response"] == {"status": "NotFound"}
        assert [h["certificate_type"] for h in await inventory(backend, cp.id)] == ["CSMSRootCertificate"]


async def test_TC_M_20_and_TC_M_21_delete_with_the_hash_data_the_station_reported(backend):
    root = backend.station_ca
    async with station(backend, "M20") as cp:
        await install(cp, "CSMSRootCertificate", root.cert_pem())
        reported = hash_data(root.cert)
        cp.answers["GetInstalledCertificateIds"] = {"status": "Accepted", "certificate_hash_data_chain": [
            {"certificate_type": "CSMSRootCertificate", "certificate_hash_data": reported}]}
        listed = await command(cp, "GetInstalledCertificateIds", {"certificateType": ["CSMSRootCertificate"]})
        hash_data_sent = listed["response"]["certificateHashDataChain"][0]["certificateHashData"]
        # TC_M_21 first: the station fails to delete it, so it stays.
        cp.answers["DeleteCertificate"] = {"status": "Failed"}
        await command(cp, "DeleteCertificate", {"certificateHashData": hash_data_sent})
        assert len(await inventory(backend, cp.id)) == 1
        cp.answers["DeleteCertificate"] = {"status": "Accepted"}
        await command(cp, "DeleteCertificate", {"certificateHashData": hash_data_sent})
        # M04.FR.07: exactly the hash data the station reported.
        assert asked(cp, "DeleteCertificate")[-1]["certificate_hash_data"] == reported
        assert await inventory(backend, cp.id) == []


# === OCPP 1.6 security extension ===============================================================

class Secure16(ChargePoint):
    """A 1.6 charge point with the security extension; records what it was asked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked = []
        self.installed = []

    @on(Action16.certificate_signed)
    def on_certificate_signed(self, certificate_chain):
        self.asked.append(("CertificateSigned", certificate_chain))
        return result16.CertificateSigned(status="Accepted")

    @on(Action16.install_certificate)
    def on_install_certificate(self, certificate_type, certificate):
        self.asked.append(("InstallCertificate", certificate_type))
        self.installed.append(certificate)
        return result16.InstallCertificate(status="Accepted")

    @on(Action16.get_installed_certificate_ids)
    def on_get_installed_certificate_ids(self, certificate_type):
        self.asked.append(("GetInstalledCertificateIds", certificate_type))
        certs = [hash_data(c) for pem in self.installed for c in pki.chain_facts(pem)]
        return result16.GetInstalledCertificateIds(
            status="Accepted" if certs else "NotFound", certificate_hash_data=certs or None)

    @on(Action16.delete_certificate)
    def on_delete_certificate(self, certificate_hash_data):
        self.asked.append(("DeleteCertificate", certificate_hash_data))
        self.installed.clear()
        return result16.DeleteCertificate(status="Accepted")

    @on(Action16.extended_trigger_message)
    def on_extended_trigger_message(self, requested_message, **kw):
        self.asked.append(("ExtendedTriggerMessage", requested_message))
        if requested_message == "SignChargePointCertificate":
            asyncio.get_running_loop().create_task(self.sign())
        return result16.ExtendedTriggerMessage(status="Accepted")

    async def sign(self):
        await asyncio.sleep(0.1)
        await self.call(call16.SignCertificate(csr=pki.signing_request(self.id)))

    @on(Action16.get_log)
    def on_get_log(self, log, log_type, request_id, **kw):
        self.asked.append(("GetLog", request_id))
        asyncio.get_running_loop().create_task(
            self.report([call16.LogStatusNotification(status="Uploading", request_id=request_id),
                         call16.LogStatusNotification(status="Uploaded", request_id=request_id)]))
        return result16.GetLog(status="Accepted", filename="log.tar.gz")

    @on(Action16.signed_update_firmware)
    def on_signed_update_firmware(self, request_id, firmware, **kw):
        self.asked.append(("SignedUpdateFirmware", request_id))
        asyncio.get_running_loop().create_task(self.report([
            call16.SignedFirmwareStatusNotification(status="Downloading", request_id=request_id),
            call16.SignedFirmwareStatusNotification(status="Installed", request_id=request_id)]))
        return result16.SignedUpdateFirmware(status="Accepted")

    async def report(self, notifications):
        await asyncio.sleep(0.1)
        for n in notifications:
            await self.call(n)


@contextlib.asynccontextmanager
async def secure_16(backend):
    cp_id = f"SEC16-{backend.gateway}-{uuid.uuid4().hex[:6]}"
    await register(backend, cp_id, password=PASSWORD)
    async with websockets.connect(f"{backend.ws_url}/{cp_id}", subprotocols=["ocpp1.6"],
                                  additional_headers={"Authorization": harness.basic_auth(cp_id, PASSWORD)},
                                  open_timeout=20) as ws:
        cp = Secure16(cp_id, ws, response_timeout=20)
        task = asyncio.create_task(cp.start())
        try:
            await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
            cp._backend = backend
            yield cp
        finally:
            task.cancel()


def asked16(cp, action):
    return [detail for a, detail in cp.asked if a == action]


async def test_16_sign_certificate_after_extended_trigger_message(backend):
    async with secure_16(backend) as cp:
        triggered = await command(cp, "ExtendedTriggerMessage",
                                  {"requestedMessage": "SignChargePointCertificate"})
        assert triggered["response"] == {"status": "Accepted"}

        async def signed():
            return asked16(cp, "CertificateSigned") or None
        [chain] = await eventually(signed)
        leaf = assert_signed_by(backend, chain, cp.id)
        refused = await cp.call(call16.SignCertificate(csr=pki.signing_request("NOT-ME")))
        assert refused.status == "Rejected"
    async def recorded():
        held = await inventory(backend, cp.id)
        return held or None
    [held] = await eventually(recorded)
    assert (held["certificate_type"], held["serial_number"]) \
        == ("ChargePointCertificate", format(leaf.serial_number, "x"))


async def test_16_install_list_and_delete_a_root_certificate(backend):
    root = backend.station_ca
    async with secure_16(backend) as cp:
        await command(cp, "InstallCertificate", {"certificateType": "CentralSystemRootCertificate",
                                                 "certificate": root.cert_pem()})
        listed = await command(cp, "GetInstalledCertificateIds",
                               {"certificateType": "CentralSystemRootCertificate"})
        [reported] = listed["response"]["certificateHashData"]
        [held] = await inventory(backend, cp.id)
        assert (held["source"], held["serial_number"]) == ("installed", reported["serialNumber"])
        await command(cp, "DeleteCertificate", {"certificateHashData": reported})
        assert await inventory(backend, cp.id) == []
        emptied = await command(cp, "GetInstalledCertificateIds",
                                {"certificateType": "CentralSystemRootCertificate"})
        assert emptied["response"] == {"status": "NotFound"}


async def test_16_get_log_and_signed_update_firmware_are_followed_to_the_end(backend):
    from test_ocpp201_octt_commands import follow_up_complete
    async with secure_16(backend) as cp:
        log = await command(cp, "GetLog", {"logType": "SecurityLog", "requestId": 7,
                                           "log": {"remoteLocation": "ftp://logs.example.com/"}})
        done = await follow_up_complete(cp, log["id"])
        assert (done["follow_up"]["notification"], done["follow_up"]["status"]) \
            == ("LogStatusNotification", "Uploaded")
        firmware = await command(cp, "SignedUpdateFirmware", {
            "requestId": 8, "firmware": {
                "location": "https://fw.example.com/v2.bin", "retrieveDateTime": "2026-12-02T10:00:00Z",
                "signingCertificate": backend.station_ca.cert_pem(), "signature": "c2lnbmF0dXJl"}})
        done = await follow_up_complete(cp, firmware["id"])
        assert (done["follow_up"]["notification"], done["follow_up"]["status"], done["follow_up"]["count"]) \
            == ("SignedFirmwareStatusNotification", "Installed", 2)
