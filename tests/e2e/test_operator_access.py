"""Operator access through the real API component: tokens with roles made by the bootstrap
administrator, what each role may do, revocation, and the audit log naming who sent a
command to a real charge point."""

import uuid

from ocpp.v16 import call

from conftest import charge_point


def make_token(backend, role):
    name = f"{role}-{uuid.uuid4().hex[:8]}"
    status, made = backend.api("POST", "/api/v1/api-tokens", {"name": name, "role": role})
    assert status == 201, made
    assert made["role"] == role and made["created_by"] == "bootstrap"
    return name, made["token"]


def test_each_role_may_do_exactly_what_it_allows(backend):
    _, viewer = make_token(backend, "viewer")
    _, operator = make_token(backend, "operator")
    _, admin = make_token(backend, "admin")
    tag = f"/api/v1/id-tags/ACCESS-{uuid.uuid4().hex[:6]}"
    cp = f"/api/v1/charge-points/ACCESS-{uuid.uuid4().hex[:6]}"
    statuses = {}
    for role, token in [("viewer", viewer), ("operator", operator), ("admin", admin)]:
        statuses[role] = (
            backend.api("GET", "/api/v1/charge-points", token=token)[0],
            backend.api("PUT", tag, {"status": "Accepted"}, token=token)[0],
            backend.api("PUT", cp, {"time_zone": "Europe/Oslo"}, token=token)[0],
            backend.api("GET", "/api/v1/audit-log", token=token)[0],
        )
    assert statuses == {
        "viewer": (200, 403, 403, 403),
        "operator": (200, 201, 403, 403),
        "admin": (200, 200, 201, 200),
    }
    status, problem = backend.api("POST", "/api/v1/api-tokens", {"name": "x", "role": "admin"},
                                  token=viewer)
    assert status == 403 and "needs the role admin" in problem["detail"]


def test_a_revoked_token_is_401(backend):
    name, token = make_token(backend, "viewer")
    assert backend.api("GET", "/api/v1/tariffs", token=token)[0] == 200
    assert backend.api("DELETE", f"/api/v1/api-tokens/{name}")[0] == 204
    status, problem = backend.api("GET", "/api/v1/tariffs", token=token)
    assert status == 401 and "revoked" in problem["detail"]
    _, tokens = backend.api("GET", "/api/v1/api-tokens?limit=500")
    listed = next(t for t in tokens["items"] if t["name"] == name)
    assert listed["revoked_by"] == "bootstrap" and "token" not in listed


async def test_the_audit_log_names_who_sent_a_command(backend):
    name, operator = make_token(backend, "operator")
    cp_id = f"AUDIT-{backend.gateway}"
    async with charge_point(backend, cp_id) as cp:
        await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        status, queued = backend.api("POST", f"/api/v1/charge-points/{cp_id}/commands/ClearCache",
                                     {}, token=operator)
        assert status == 202, queued
    _, log = backend.api("GET", f"/api/v1/audit-log?actor={name}")
    assert [(e["method"], e["path"], e["status"], e["reference"], e["role"]) for e in log["items"]] \
        == [("POST", f"/api/v1/charge-points/{cp_id}/commands/ClearCache", 202, str(queued["command_id"]),
             "operator")]


def test_commands_that_change_what_a_station_trusts_need_an_admin(backend):
    _, operator = make_token(backend, "operator")
    _, admin = make_token(backend, "admin")
    cp_id = f"TRUST-{uuid.uuid4().hex[:6]}"
    assert backend.api("PUT", f"/api/v1/charge-points/{cp_id}", {})[0] == 201
    install = f"/api/v1/charge-points/{cp_id}/commands/InstallCertificate"
    body = {"certificateType": "CentralSystemRootCertificate",
            "certificate": backend.station_ca.cert_pem()}
    status, problem = backend.api("POST", install, body, token=operator)
    assert status == 403 and "with InstallCertificate needs the role admin" in problem["detail"]
    for action, payload in [("UpdateFirmware", {"location": "https://fw.example.com/1.bin",
                                                "retrieveDate": "2026-12-03T00:00:00Z"})]:
        status, _ = backend.api("POST", f"/api/v1/charge-points/{cp_id}/commands/{action}",
                                payload, token=operator)
        assert status == 403, action
    # An operator still sends everything else, and reads the inventory.
    assert backend.api("POST", f"/api/v1/charge-points/{cp_id}/commands/GetInstalledCertificateIds",
                       {"certificateType": "CentralSystemRootCertificate"}, token=operator)[0] == 202
    assert backend.api("POST", install, body, token=admin)[0] == 202
