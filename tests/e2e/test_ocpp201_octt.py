"""OCTT 2.0.1 Core CSMS test cases that need only station-to-CSMS messages (the CSMS
just answers), one test per case, through both gateways: authorization by cache and
Master Pass (C), the start and stop options of transactions (E), connector lock
failure (G), and clock-aligned and sampled meter values (J).

Each test follows its case's scenario as the OCTT's reusable states drive it
(Authorized, EVConnectedPreSession, EnergyTransferStarted, EnergyTransferSuspended,
StopAuthorized, EVConnectedPostSession, EVDisconnected), asserts the answers the
OCTT validates, and then what an operator sees of it through the API. Cases that
need a CSMS-initiated 2.0.1 message (GetVariables, Reset, ChangeAvailability,
GetTransactionStatus, ...) have no test yet. The cases of this block that
test_ocpp201.py covers (TC_B_01, TC_B_02, TC_B_30, TC_C_02, TC_C_06, TC_C_07,
TC_C_39, TC_E_03, TC_E_04, TC_E_16, TC_E_53, TC_J_01, TC_P_02, TC_P_03) are not
repeated here."""

from decimal import Decimal

import pytest
from ocpp.v201 import call

from conftest import charge_point_201, raw_socket
from test_ocpp201 import (TARIFF, answer, api_ok, at, boot_request, energy, raw_boot, register, status_of,
                          the_transaction, token)

MASTER_GROUP = "MASTERPASS201"

# One token per transaction, so that no test sees another's open transaction (ConcurrentTx).
TOKENS = {
    **{f"OCTT-{case}": {"status": "Accepted"} for case in (
        "C08", "E01", "E02", "E07", "E08", "E10", "E11", "E14", "E15", "E17", "E19", "E20", "E22",
        "E26", "E38", "E39", "J02", "J03", "J04", "J08", "J09", "J10", "J11")},
    **{f"OCTT-{case}-{side}": {"status": "Accepted"} for case in ("C47", "C48", "C49") for side in "AB"},
    # The Master Pass: a token whose group is the station's MasterPassGroupId.
    "OCTT-MASTER": {"status": "Accepted", "parent_id_tag": MASTER_GROUP},
}

SIGNATURE = {"signed_meter_data": "T0NNRnx7IkZWIjoiMS4wIn18eyJTQSI6IkVDRFNBIn0=",
             "signing_method": "ECDSA-secp256r1-SHA256", "encoding_method": "OCMF",
             "public_key": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"}


@pytest.fixture(scope="module")
def octt(backend):
    api_ok(backend, "PUT", "/api/v1/tariffs/stockholm-2026", TARIFF)
    for tok, body in TOKENS.items():
        api_ok(backend, "PUT", f"/api/v1/id-tags/{tok}", body)
    return backend


# --- requests ------------------------------------------------------------------------------

def signed_energy(ts, value, context):
    """A meter value whose Energy.Active.Import.Register reading also carries its signed form."""
    reading = energy(ts, value, context)
    reading["sampled_value"][0]["signed_meter_value"] = SIGNATURE
    return reading


class Tx:
    """One transaction as the station reports it: its own transactionId, its EVSE, and the
    seqNo counted from 0. The EVSE is sent in the first event unless said otherwise."""

    def __init__(self, cp, tx_id, evse_id=1, connector_id=1):
        self.cp, self.id = cp, tx_id
        self.evse_id, self.connector_id = evse_id, connector_id
        self.seq_no = 0

    async def event(self, event_type, ts, trigger, *, charging_state=None, stopped_reason=None,
                    id_token=None, meter=None, with_evse=None, **extra):
        info = {"transaction_id": self.id}
        if charging_state:
            info["charging_state"] = charging_state
        if stopped_reason:
            info["stopped_reason"] = stopped_reason
        if with_evse is None:
            with_evse = self.seq_no == 0
        request = call.TransactionEvent(
            event_type=event_type, timestamp=ts, trigger_reason=trigger, seq_no=self.seq_no,
            transaction_info=info, id_token=id_token, meter_value=meter,
            evse={"id": self.evse_id, "connector_id": self.connector_id} if with_evse else None, **extra)
        self.seq_no += 1
        return await self.cp.call(request)

    def next_type(self):
        return "Started" if self.seq_no == 0 else "Updated"


async def connector_status(cp, ts, status, evse_id=1, connector_id=1):
    """The connector's new state as the OCTT reports it: a StatusNotification and the
    NotifyEvent AvailabilityState alternative."""
    await cp.call(call.StatusNotification(timestamp=ts, connector_status=status, evse_id=evse_id,
                                          connector_id=connector_id))
    await cp.call(call.NotifyEvent(generated_at=ts, seq_no=0, tbc=False, event_data=[
        {"event_id": 1, "timestamp": ts, "trigger": "Delta", "actual_value": status,
         "event_notification_type": "HardWiredNotification",
         "component": {"name": "Connector", "evse": {"id": evse_id, "connector_id": connector_id}},
         "variable": {"name": "AvailabilityState"}},
    ]))


# --- the OCTT's reusable states ----------------------------------------------------------------

async def authorized(tx, tok, ts, *, meter_wh=None, with_evse=None):
    """Authorized: AuthorizeRequest, then the TransactionEvent with triggerReason Authorized
    (Started, or Updated when the transaction already started); both must be Accepted."""
    assert status_of(await tx.cp.call(call.Authorize(id_token=token(tok)))) == "Accepted"
    meter = None if meter_wh is None else [energy(ts, float(meter_wh), "Transaction.Begin")]
    answered = await tx.event(tx.next_type(), ts, "Authorized", id_token=token(tok), meter=meter,
                              with_evse=with_evse)
    assert status_of(answered) == "Accepted"
    return answered


async def ev_connected_pre_session(tx, ts, *, meter_wh=None):
    """EVConnectedPreSession: the connector Occupied, then CablePluggedIn / EVConnected."""
    await connector_status(tx.cp, ts, "Occupied", tx.evse_id, tx.connector_id)
    meter = None if meter_wh is None else [energy(ts, float(meter_wh), "Transaction.Begin")]
    return await tx.event(tx.next_type(), ts, "CablePluggedIn", charging_state="EVConnected", meter=meter,
                          with_evse=True)


async def energy_transfer_started(tx, plugged_at, charging_at):
    """EnergyTransferStarted: EVConnectedPreSession, then ChargingStateChanged / Charging."""
    plugged = await ev_connected_pre_session(tx, plugged_at)
    assert plugged.id_token_info is None
    charging = await tx.event("Updated", charging_at, "ChargingStateChanged", charging_state="Charging")
    assert charging.id_token_info is None


async def energy_transfer_suspended(tx, ts):
    """EnergyTransferSuspended: ChargingStateChanged / SuspendedEV."""
    assert (await tx.event("Updated", ts, "ChargingStateChanged", charging_state="SuspendedEV")).id_token_info is None


async def stop_authorized(tx, tok, ts):
    """StopAuthorized: an Updated with triggerReason StopAuthorized and the token, Accepted."""
    answered = await tx.event("Updated", ts, "StopAuthorized", id_token=token(tok))
    assert status_of(answered) == "Accepted"


async def ev_connected_post_session(tx, ts):
    """EVConnectedPostSession: ChargingStateChanged / EVConnected."""
    assert (await tx.event("Updated", ts, "ChargingStateChanged", charging_state="EVConnected")).id_token_info is None


async def ev_disconnected(tx, ts, *, meter_wh=None, meter=None):
    """EVDisconnected: the connector Available, then Ended / EVCommunicationLost / Idle /
    EVDisconnected, with the Transaction.End reading (or the meter values given)."""
    await connector_status(tx.cp, ts, "Available", tx.evse_id, tx.connector_id)
    if meter is None:
        meter = [energy(ts, float(meter_wh), "Transaction.End")]
    end = await tx.event("Ended", ts, "EVCommunicationLost", charging_state="Idle",
                         stopped_reason="EVDisconnected", meter=meter)
    assert end.id_token_info is None
    return end


# --- API views ------------------------------------------------------------------------------

def connector_of(backend, cp_id, evse_id, connector_id):
    items = api_ok(backend, "GET", f"/api/v1/charge-points/{cp_id}/connectors")["items"]
    found = [c for c in items if c["evse_id"] == evse_id and c["evse_connector_id"] == connector_id]
    assert len(found) == 1, items
    return found[0]


def detail(backend, view):
    return api_ok(backend, "GET", f"/api/v1/transactions/{view['id']}")


def readings(backend, view, context=None):
    """The transaction's Energy.Active.Import.Register samples in Wh, oldest first."""
    return [m["value_wh"] for m in detail(backend, view)["meter_values"]
            if m["measurand"] == "Energy.Active.Import.Register" and context in (None, m["context"])]


def timeline(backend, view):
    return [(e["seq_no"], e["event_type"], e["trigger_reason"], e["charging_state"])
            for e in detail(backend, view)["events"]]


def priced(end, view):
    """The Ended answer's totalCost is the stored CDR's total including VAT."""
    assert end.total_cost is not None
    assert Decimal(str(end.total_cost)) == Decimal(view["charge_detail_record"]["total_incl_vat"])


def station(backend, cp_id):
    """A registered 2.0.1 station with the example tariff, connected (not booted yet)."""
    register(backend, cp_id)
    return charge_point_201(backend, cp_id)


# === C Authorization ===========================================================================

async def test_TC_C_08_CSMS_authorization_through_cache_accepted(octt):
    """TC_C_08 Authorization through authorization cache - Accepted: an Updated / Authorized with a cached token (no AuthorizeRequest) gets Accepted."""
    cp_id = "OCTT-C08"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-c08")
        # ParkingBayOccupied (TxStartPoint ParkingBayOccupancy), then EVConnectedPreSession.
        assert (await tx.event("Started", at(20), "EVDetected")).id_token_info is None
        assert (await ev_connected_pre_session(tx, at(20, 1))).id_token_info is None
        cached = await tx.event("Updated", at(20, 2), "Authorized", id_token=token("OCTT-C08"))
        assert status_of(cached) == "Accepted"
    view = the_transaction(octt, cp_id, "tx-c08")
    assert view["id_tag"] == "OCTT-C08"
    assert view["flagged"] is False
    assert view["charging_state"] == "EVConnected"
    assert view["stopped_at"] is None
    assert connector_of(octt, cp_id, 1, 1)["status"] == "Occupied"


async def test_TC_C_20_CSMS_authorization_through_cache_invalid(octt):
    """TC_C_20 Authorization through authorization cache - Invalid: a token the station has cached but the CSMS does not know gets Invalid or Unknown (here Unknown); the transaction is kept, flagged."""
    cp_id = "OCTT-C20"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-c20")
        assert (await tx.event("Started", at(20), "EVDetected")).id_token_info is None
        await ev_connected_pre_session(tx, at(20, 1))
        cached = await tx.event("Updated", at(20, 2), "Authorized", id_token=token("OCTT-NOBODY"))
        assert status_of(cached) == "Unknown"
    view = the_transaction(octt, cp_id, "tx-c20")
    assert view["id_tag"] == "OCTT-NOBODY"
    assert view["flagged"] is True


async def two_charging_sessions(cp, case):
    """EnergyTransferStarted on EVSE 1 (token A) and EVSE 2 (token B)."""
    sessions = {}
    for side, evse_id, minute in (("A", 1, 0), ("B", 2, 5)):
        tx = Tx(cp, f"tx-{case.lower()}-{side.lower()}", evse_id=evse_id)
        await authorized(tx, f"OCTT-{case}-{side}", at(20, minute), meter_wh=1000)
        await energy_transfer_started(tx, at(20, minute + 1), at(20, minute + 2))
        sessions[side] = tx
    return sessions


async def master_pass_authorize(cp):
    auth = await cp.call(call.Authorize(id_token=token("OCTT-MASTER")))
    assert status_of(auth) == "Accepted"
    assert auth.id_token_info["group_id_token"]["id_token"] == MASTER_GROUP


async def test_TC_C_47_CSMS_master_pass_with_ui_all_transactions(octt):
    """TC_C_47 Stop Transaction with a Master Pass - With UI - All transactions: Authorize and each Ended / MasterPass with the Master Pass get Accepted with the MasterPassGroupId."""
    cp_id = "OCTT-C47"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        sessions = await two_charging_sessions(cp, "C47")
        await master_pass_authorize(cp)
        for side, minute in (("A", 30), ("B", 31)):
            end = await sessions[side].event(
                "Ended", at(21, minute), "StopAuthorized", stopped_reason="MasterPass", charging_state="EVConnected",
                id_token=token("OCTT-MASTER"), meter=[energy(at(21, minute), 5000.0, "Transaction.End")])
            assert status_of(end) == "Accepted"
            assert end.id_token_info["group_id_token"]["id_token"] == MASTER_GROUP
            view = the_transaction(octt, cp_id, sessions[side].id)
            priced(end, view)
    for side, evse_id in (("A", 1), ("B", 2)):
        view = the_transaction(octt, cp_id, sessions[side].id)
        assert (view["evse_id"], view["id_tag"]) == (evse_id, f"OCTT-C47-{side}")
        assert view["stop_reason"] == "MasterPass"
        assert view["stop_id_tag"] == "OCTT-MASTER"
        assert view["energy_wh"] == 4000


async def test_TC_C_48_CSMS_master_pass_with_ui_specific_transactions(octt):
    """TC_C_48 Stop Transaction with a Master Pass - With UI - Specific transactions: the Ended / MasterPass of the one chosen transaction gets Accepted with the MasterPassGroupId; the other goes on."""
    cp_id = "OCTT-C48"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        sessions = await two_charging_sessions(cp, "C48")
        await master_pass_authorize(cp)
        end = await sessions["A"].event(
            "Ended", at(21, 30), "StopAuthorized", stopped_reason="MasterPass", charging_state="EVConnected",
            id_token=token("OCTT-MASTER"), meter=[energy(at(21, 30), 5000.0, "Transaction.End")])
        assert status_of(end) == "Accepted"
        assert end.id_token_info["group_id_token"]["id_token"] == MASTER_GROUP
    stopped = the_transaction(octt, cp_id, sessions["A"].id)
    priced(end, stopped)
    assert stopped["stop_reason"] == "MasterPass"
    assert stopped["stopped_at"] == at(21, 30)
    going_on = the_transaction(octt, cp_id, sessions["B"].id)
    assert going_on["stopped_at"] is None
    assert going_on["charging_state"] == "Charging"


async def test_TC_C_49_CSMS_master_pass_without_ui(octt):
    """TC_C_49 Stop Transaction with a Master Pass - Without UI: after the Master Pass is authorized, every transaction ends (MasterPass) with its own token, each Ended Accepted."""
    cp_id = "OCTT-C49"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        sessions = await two_charging_sessions(cp, "C49")
        await master_pass_authorize(cp)
        for side, minute in (("A", 30), ("B", 31)):
            end = await sessions[side].event(
                "Ended", at(21, minute), "StopAuthorized", stopped_reason="MasterPass", charging_state="EVConnected",
                id_token=token(f"OCTT-C49-{side}"), meter=[energy(at(21, minute), 5000.0, "Transaction.End")])
            assert status_of(end) == "Accepted"
            priced(end, the_transaction(octt, cp_id, sessions[side].id))
    for side in "AB":
        view = the_transaction(octt, cp_id, sessions[side].id)
        assert view["stop_reason"] == "MasterPass"
        assert view["flagged"] is False
        assert view["energy_wh"] == 4000


# === E Transactions ============================================================================

async def test_TC_E_01_CSMS_start_transaction_options_power_path_closed(octt):
    """TC_E_01 Start transaction options - PowerPathClosed: after Authorize, a Started in SuspendedEVSE with the token is Accepted, then Charging."""
    cp_id = "OCTT-E01"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        assert status_of(await cp.call(call.Authorize(id_token=token("OCTT-E01")))) == "Accepted"
        await connector_status(cp, at(20), "Occupied")
        tx = Tx(cp, "tx-e01")
        start = await tx.event("Started", at(20, 1), "ChargingStateChanged", charging_state="SuspendedEVSE",
                               id_token=token("OCTT-E01"), meter=[energy(at(20, 1), 1000.0, "Transaction.Begin")])
        assert status_of(start) == "Accepted"
        charging = await tx.event("Updated", at(20, 2), "ChargingStateChanged", charging_state="Charging")
        assert charging.id_token_info is None
    view = the_transaction(octt, cp_id, "tx-e01")
    assert (view["evse_id"], view["evse_connector_id"]) == (1, 1)
    assert view["id_tag"] == "OCTT-E01"
    assert view["meter_start_wh"] == 1000
    assert view["started_at"] == at(20, 1)
    assert view["charging_state"] == "Charging"
    assert view["stopped_at"] is None
    assert timeline(octt, view) == [(0, "Started", "ChargingStateChanged", "SuspendedEVSE"),
                                    (1, "Updated", "ChargingStateChanged", "Charging")]
    assert connector_of(octt, cp_id, 1, 1)["status"] == "Occupied"


async def test_TC_E_02_CSMS_start_transaction_options_energy_transfer(octt):
    """TC_E_02 Start transaction options - EnergyTransfer: a Started already Charging, with the token, is Accepted."""
    cp_id = "OCTT-E02"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        assert status_of(await cp.call(call.Authorize(id_token=token("OCTT-E02")))) == "Accepted"
        await connector_status(cp, at(20), "Occupied")
        tx = Tx(cp, "tx-e02")
        start = await tx.event("Started", at(20, 1), "ChargingStateChanged", charging_state="Charging",
                               id_token=token("OCTT-E02"), meter=[energy(at(20, 1), 500.0, "Transaction.Begin")])
        assert status_of(start) == "Accepted"
    view = the_transaction(octt, cp_id, "tx-e02")
    assert (view["id_tag"], view["meter_start_wh"], view["charging_state"]) == ("OCTT-E02", 500, "Charging")
    assert view["stopped_at"] is None


async def test_TC_E_07_CSMS_stop_transaction_options_power_path_closed_local_stop(octt):
    """TC_E_07 Stop transaction options - PowerPathClosed - Local stop: the Ended / StopAuthorized / Local with the token gets idTokenInfo Accepted and totalCost."""
    cp_id = "OCTT-E07"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-e07")
        await authorized(tx, "OCTT-E07", at(20), meter_wh=1000)
        await energy_transfer_started(tx, at(20, 1), at(20, 2))
        end = await tx.event("Ended", at(21), "StopAuthorized", stopped_reason="Local", charging_state="EVConnected",
                             id_token=token("OCTT-E07"), meter=[energy(at(21), 6000.0, "Transaction.End")])
        assert status_of(end) == "Accepted"
    view = the_transaction(octt, cp_id, "tx-e07")
    priced(end, view)
    assert (view["stopped_at"], view["stop_reason"]) == (at(21), "Local")
    assert (view["meter_start_wh"], view["meter_stop_wh"], view["energy_wh"]) == (1000, 6000, 5000)
    assert view["stop_id_tag"] == "OCTT-E07"
    assert view["charging_state"] == "EVConnected"
    assert view["flagged"] is False


async def test_TC_E_08_CSMS_stop_transaction_options_energy_transfer_stopped_stop_authorized(octt):
    """TC_E_08 Stop transaction options - EnergyTransfer stopped - StopAuthorized: StopAuthorized is Accepted, the Ended that follows when energy stops (no token) is answered with totalCost."""
    cp_id = "OCTT-E08"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-e08")
        await authorized(tx, "OCTT-E08", at(20), meter_wh=1000)
        await energy_transfer_started(tx, at(20, 1), at(20, 2))
        await stop_authorized(tx, "OCTT-E08", at(21))
        end = await tx.event("Ended", at(21, 1), "ChargingStateChanged", charging_state="EVConnected",
                             stopped_reason="Local", meter=[energy(at(21, 1), 7000.0, "Transaction.End")])
        assert end.id_token_info is None
    view = the_transaction(octt, cp_id, "tx-e08")
    priced(end, view)
    assert (view["stopped_at"], view["stop_reason"], view["energy_wh"]) == (at(21, 1), "Local", 6000)
    # The token that authorized the stop came in the Updated / StopAuthorized, not in the Ended.
    assert view["stop_id_tag"] == "OCTT-E08"


async def test_TC_E_09_CSMS_start_transaction_options_ev_connected(octt):
    """TC_E_09 Start transaction options - EVConnected: a Started / CablePluggedIn without a token gets no idTokenInfo; the transaction is open with no token."""
    cp_id = "OCTT-E09"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-e09")
        start = await ev_connected_pre_session(tx, at(20), meter_wh=2500)
        assert start.id_token_info is None
    view = the_transaction(octt, cp_id, "tx-e09")
    assert not view["id_tag"]
    assert (view["evse_id"], view["charging_state"], view["meter_start_wh"]) == (1, "EVConnected", 2500)
    assert view["stopped_at"] is None
    assert connector_of(octt, cp_id, 1, 1)["status"] == "Occupied"


async def test_TC_E_10_CSMS_start_transaction_options_authorized_local(octt):
    """TC_E_10 Start transaction options - Authorized - Local: after Authorize, the Started / Authorized with the token is Accepted."""
    cp_id = "OCTT-E10"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        await authorized(Tx(cp, "tx-e10"), "OCTT-E10", at(20))
    view = the_transaction(octt, cp_id, "tx-e10")
    assert (view["id_tag"], view["evse_id"], view["started_at"]) == ("OCTT-E10", 1, at(20))
    assert view["charging_state"] is None
    assert view["stopped_at"] is None
    assert view["flagged"] is False


async def test_TC_E_11_CSMS_start_transaction_options_data_signed(octt):
    """TC_E_11 Start transaction options - DataSigned: a Started / SignedDataReceived with a signed Transaction.Begin value is Accepted; the reading is the start register."""
    cp_id = "OCTT-E11"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        assert status_of(await cp.call(call.Authorize(id_token=token("OCTT-E11")))) == "Accepted"
        await connector_status(cp, at(20), "Occupied")
        tx = Tx(cp, "tx-e11")
        start = await tx.event("Started", at(20, 1), "SignedDataReceived", charging_state="SuspendedEVSE",
                               id_token=token("OCTT-E11"), meter=[signed_energy(at(20, 1), 1000.0, "Transaction.Begin")])
        assert status_of(start) == "Accepted"
        assert (await tx.event("Updated", at(20, 2), "ChargingStateChanged", charging_state="Charging")).id_token_info is None
    view = the_transaction(octt, cp_id, "tx-e11")
    assert view["meter_start_wh"] == 1000
    begin = [m for m in detail(octt, view)["meter_values"] if m["context"] == "Transaction.Begin"]
    assert [(m["value_wh"], m["format"]) for m in begin] == [(1000, "SignedData")]


async def test_TC_E_12_CSMS_start_transaction_options_parking_bay_occupied(octt):
    """TC_E_12 Start transaction options - ParkingBayOccupied: a Started / EVDetected without a token gets no idTokenInfo."""
    cp_id = "OCTT-E12"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        start = await Tx(cp, "tx-e12").event("Started", at(20), "EVDetected")
        assert start.id_token_info is None
    view = the_transaction(octt, cp_id, "tx-e12")
    assert not view["id_tag"]
    assert (view["evse_id"], view["started_at"], view["stopped_at"]) == (1, at(20), None)


async def test_TC_E_14_CSMS_stop_transaction_options_ev_disconnected_charging_station_side(octt):
    """TC_E_14 Stop transaction options - EVDisconnected - Charging Station side: StopAuthorized, EVConnected, then the Ended / EVCommunicationLost / EVDisconnected gets totalCost."""
    cp_id = "OCTT-E14"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-e14")
        await authorized(tx, "OCTT-E14", at(20), meter_wh=1000)
        await energy_transfer_started(tx, at(20, 1), at(20, 2))
        await stop_authorized(tx, "OCTT-E14", at(21))
        await ev_connected_post_session(tx, at(21, 1))
        end = await ev_disconnected(tx, at(21, 5), meter_wh=9000)
    view = the_transaction(octt, cp_id, "tx-e14")
    priced(end, view)
    assert (view["stopped_at"], view["stop_reason"], view["charging_state"]) == (at(21, 5), "EVDisconnected", "Idle")
    assert view["energy_wh"] == 8000
    assert view["stop_id_tag"] == "OCTT-E14"
    # Idle time from when the station left Charging (EVConnected at 21:01) to the end.
    assert view["charge_detail_record"]["idle_s"] == 240
    assert connector_of(octt, cp_id, 1, 1)["status"] == "Available"


async def test_TC_E_15_CSMS_stop_transaction_options_stop_authorized_local(octt):
    """TC_E_15 Stop transaction options - StopAuthorized - Local: the Ended / StopAuthorized with the token and no stoppedReason (a local stop) gets Accepted and totalCost."""
    cp_id = "OCTT-E15"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-e15")
        await authorized(tx, "OCTT-E15", at(20), meter_wh=0)
        await energy_transfer_started(tx, at(20, 1), at(20, 2))
        end = await tx.event("Ended", at(21), "StopAuthorized", id_token=token("OCTT-E15"),
                             meter=[energy(at(21), 3000.0, "Transaction.End")])
        assert status_of(end) == "Accepted"
    view = the_transaction(octt, cp_id, "tx-e15")
    priced(end, view)
    assert (view["stopped_at"], view["stop_reason"], view["energy_wh"]) == (at(21), "Local", 3000)
    assert view["stop_id_tag"] == "OCTT-E15"


async def test_TC_E_17_CSMS_stop_transaction_options_deauthorized_ev_side_disconnect(octt):
    """TC_E_17 Stop transaction options - Deauthorized - EV side disconnect: from SuspendedEV, the Ended / EVCommunicationLost / EVDisconnected is answered; idle time runs from SuspendedEV."""
    cp_id = "OCTT-E17"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-e17")
        await authorized(tx, "OCTT-E17", at(20), meter_wh=1000)
        await energy_transfer_started(tx, at(20, 1), at(20, 2))
        await energy_transfer_suspended(tx, at(21))
        end = await tx.event("Ended", at(21, 30), "EVCommunicationLost", charging_state="Idle",
                             stopped_reason="EVDisconnected", meter=[energy(at(21, 30), 11000.0, "Transaction.End")])
        assert end.id_token_info is None
    view = the_transaction(octt, cp_id, "tx-e17")
    priced(end, view)
    assert (view["stop_reason"], view["energy_wh"]) == ("EVDisconnected", 10000)
    cdr = view["charge_detail_record"]
    assert (cdr["duration_s"], cdr["charging_s"], cdr["idle_s"]) == (5400, 3600, 1800)


async def test_TC_E_19_CSMS_stop_transaction_options_parking_bay_unoccupied(octt):
    """TC_E_19 Stop transaction options - ParkingBayUnoccupied: after the EV is unplugged (Updated / EVCommunicationLost / Idle), the Ended / EVDeparted when it leaves the bay is answered."""
    cp_id = "OCTT-E19"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-e19")
        await authorized(tx, "OCTT-E19", at(20), meter_wh=1000)
        await energy_transfer_started(tx, at(20, 1), at(20, 2))
        await stop_authorized(tx, "OCTT-E19", at(21))
        await ev_connected_post_session(tx, at(21, 1))
        await connector_status(cp, at(21, 5), "Available")
        unplugged = await tx.event("Updated", at(21, 5), "EVCommunicationLost", charging_state="Idle",
                                   meter=[energy(at(21, 5), 4000.0, "Sample.Periodic")])
        assert unplugged.id_token_info is None
        end = await tx.event("Ended", at(21, 10), "EVDeparted", stopped_reason="Local",
                             meter=[energy(at(21, 10), 4000.0, "Transaction.End")])
        assert end.id_token_info is None
    view = the_transaction(octt, cp_id, "tx-e19")
    priced(end, view)
    assert (view["stopped_at"], view["stop_reason"], view["energy_wh"]) == (at(21, 10), "Local", 3000)
    # The Ended reported no chargingState: the last one reported stays.
    assert view["charging_state"] == "Idle"
    assert view["seq_no_gaps"] == []


async def test_TC_E_20_CSMS_stop_transaction_options_ev_disconnected_ev_side(octt):
    """TC_E_20 Stop transaction options - EVDisconnected - EV side (IEC 61851-1): from SuspendedEV, EVDisconnected (connector Available, Ended / EVDisconnected) is answered with totalCost."""
    cp_id = "OCTT-E20"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-e20")
        await authorized(tx, "OCTT-E20", at(20), meter_wh=1000)
        await energy_transfer_started(tx, at(20, 1), at(20, 2))
        await energy_transfer_suspended(tx, at(21))
        end = await ev_disconnected(tx, at(21, 10), meter_wh=5000)
    view = the_transaction(octt, cp_id, "tx-e20")
    priced(end, view)
    assert (view["stopped_at"], view["stop_reason"], view["energy_wh"]) == (at(21, 10), "EVDisconnected", 4000)
    assert view["charge_detail_record"]["idle_s"] == 600
    assert connector_of(octt, cp_id, 1, 1)["status"] == "Available"


async def test_TC_E_22_CSMS_stop_transaction_options_energy_transfer_stopped_suspended_ev(octt):
    """TC_E_22 Stop transaction options - EnergyTransfer stopped - SuspendedEV: the Ended / ChargingStateChanged / SuspendedEV / StoppedByEV is answered with totalCost."""
    cp_id = "OCTT-E22"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-e22")
        await authorized(tx, "OCTT-E22", at(20), meter_wh=1000)
        await energy_transfer_started(tx, at(20, 1), at(20, 2))
        end = await tx.event("Ended", at(21), "ChargingStateChanged", charging_state="SuspendedEV",
                             stopped_reason="StoppedByEV", meter=[energy(at(21), 8000.0, "Transaction.End")])
        assert end.id_token_info is None
    view = the_transaction(octt, cp_id, "tx-e22")
    priced(end, view)
    assert (view["stop_reason"], view["charging_state"], view["energy_wh"]) == ("StoppedByEV", "SuspendedEV", 7000)
    assert view["charge_detail_record"]["idle_s"] == 0


async def test_TC_E_26_CSMS_disconnect_cable_on_ev_side_suspend_transaction(octt):
    """TC_E_26 Disconnect cable on EV-side - Suspend transaction: the cable unplugged at the EV and plugged again, the transaction goes on and charges again."""
    cp_id = "OCTT-E26"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-e26")
        await authorized(tx, "OCTT-E26", at(20), meter_wh=1000)
        await energy_transfer_started(tx, at(20, 1), at(20, 2))
        await energy_transfer_suspended(tx, at(21))
        lost = await tx.event("Updated", at(21, 5), "EVCommunicationLost", charging_state="Idle")
        assert lost.id_token_info is None
        await connector_status(cp, at(21, 5), "Available")
        await connector_status(cp, at(21, 10), "Occupied")
        plugged = await tx.event("Updated", at(21, 10), "CablePluggedIn", charging_state="EVConnected")
        assert plugged.id_token_info is None
        charging = await tx.event("Updated", at(21, 11), "ChargingStateChanged", charging_state="Charging")
        assert charging.id_token_info is None
    view = the_transaction(octt, cp_id, "tx-e26")
    assert view["stopped_at"] is None
    assert view["charging_state"] == "Charging"
    assert view["seq_no_gaps"] == []
    assert [state for *_, state in timeline(octt, view)] == [
        None, "EVConnected", "Charging", "SuspendedEV", "Idle", "EVConnected", "Charging"]
    assert connector_of(octt, cp_id, 1, 1)["status"] == "Occupied"


async def test_TC_E_38_CSMS_local_start_transaction_ev_not_ready(octt):
    """TC_E_38 Local start transaction - EV not ready: after Authorized and EVConnectedPreSession, the Updated / SuspendedEV is answered; the transaction is open, SuspendedEV."""
    cp_id = "OCTT-E38"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-e38")
        await authorized(tx, "OCTT-E38", at(20), meter_wh=1000)
        assert (await ev_connected_pre_session(tx, at(20, 1))).id_token_info is None
        await energy_transfer_suspended(tx, at(20, 2))
    view = the_transaction(octt, cp_id, "tx-e38")
    assert (view["charging_state"], view["stopped_at"], view["id_tag"]) == ("SuspendedEV", None, "OCTT-E38")


async def test_TC_E_39_CSMS_stop_transaction_options_deauthorized_timeout(octt):
    """TC_E_39 Stop transaction options - Deauthorized - timeout: no EV connected within EVConnectionTimeout, the Ended / EVConnectTimeout / Timeout is answered."""
    cp_id = "OCTT-E39"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-e39")
        await authorized(tx, "OCTT-E39", at(20))
        end = await tx.event("Ended", at(20, 1), "EVConnectTimeout", stopped_reason="Timeout")
        assert end.id_token_info is None
    view = the_transaction(octt, cp_id, "tx-e39")
    assert (view["stopped_at"], view["stop_reason"], view["energy_wh"]) == (at(20, 1), "Timeout", 0)
    assert view["flagged"] is False


# === G Availability ============================================================================

async def test_TC_G_20_CSMS_connector_status_notification_lock_failure(octt):
    """TC_G_20 Connector status Notification - Lock Failure: a NotifyEvent ConnectorPlugRetentionLock Problem true gets an empty NotifyEventResponse."""
    cp_id = "OCTT-G20"
    async with raw_socket(octt, cp_id, subprotocols=("ocpp2.0.1",)) as ws:
        assert (await answer(ws, raw_boot("b1")))[:2] == [3, "b1"]
        status = [2, "s1", "StatusNotification",
                  {"timestamp": at(8), "connectorStatus": "Available", "evseId": 1, "connectorId": 1}]
        assert await answer(ws, status) == [3, "s1", {}]
        lock = [2, "n1", "NotifyEvent", {"generatedAt": at(8, 1), "seqNo": 0, "tbc": False, "eventData": [
            {"eventId": 7, "timestamp": at(8, 1), "trigger": "Delta", "actualValue": "true",
             "eventNotificationType": "HardWiredNotification",
             "component": {"name": "ConnectorPlugRetentionLock", "evse": {"id": 1, "connectorId": 1}},
             "variable": {"name": "Problem"}}]}]
        assert await answer(ws, lock) == [3, "n1", {}]
    # A Problem event is not an availability state: the connector keeps what it reported.
    assert connector_of(octt, cp_id, 1, 1)["status"] == "Available"


# === J Meter values ============================================================================

async def test_TC_J_02_CSMS_clock_aligned_meter_values_transaction_ongoing(octt):
    """TC_J_02 Clock-aligned Meter Values - Transaction ongoing: MeterValues of EVSE 0, NotifyEvent FiscalMetering and Updated / MeterValueClock are answered; only the transaction's own values are its."""
    cp_id = "OCTT-J02"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-j02")
        await authorized(tx, "OCTT-J02", at(20), meter_wh=1000)
        await energy_transfer_started(tx, at(20, 1), at(20, 2))
        for i, minute in enumerate((15, 30, 45), start=1):
            ts = at(20, minute)
            await cp.call(call.MeterValues(evse_id=0, meter_value=[energy(ts, 90000.0 + i * 1000, "Sample.Clock")]))
            await cp.call(call.NotifyEvent(generated_at=ts, seq_no=0, tbc=False, event_data=[
                {"event_id": i, "timestamp": ts, "trigger": "Periodic", "actual_value": str(90000 + i * 1000),
                 "event_notification_type": "PreconfiguredMonitor",
                 "component": {"name": "FiscalMetering"}, "variable": {"name": "EnergyImport"}}]))
            clock = await tx.event("Updated", ts, "MeterValueClock", charging_state="Charging",
                                   meter=[energy(ts, 1000.0 + i * 1000, "Sample.Clock")])
            assert clock.id_token_info is None
    view = the_transaction(octt, cp_id, "tx-j02")
    assert readings(octt, view, "Sample.Clock") == [2000, 3000, 4000]
    assert all(wh < 90000 for wh in readings(octt, view))
    assert view["seq_no_gaps"] == []


async def test_TC_J_03_CSMS_clock_aligned_meter_values_event_type_ended(octt):
    """TC_J_03 Clock-aligned Meter Values - EventType Ended: the Ended carries Sample.Clock values and last the Transaction.End one, which is the stop register."""
    cp_id = "OCTT-J03"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-j03")
        await authorized(tx, "OCTT-J03", at(20), meter_wh=1000)
        await energy_transfer_started(tx, at(20, 1), at(20, 2))
        end = await ev_disconnected(tx, at(20, 40), meter=[
            energy(at(20, 15), 2000.0, "Sample.Clock"), energy(at(20, 30), 3000.0, "Sample.Clock"),
            energy(at(20, 40), 3500.0, "Transaction.End")])
    view = the_transaction(octt, cp_id, "tx-j03")
    priced(end, view)
    assert (view["meter_start_wh"], view["meter_stop_wh"], view["energy_wh"]) == (1000, 3500, 2500)
    assert readings(octt, view, "Sample.Clock") == [2000, 3000]


async def test_TC_J_04_CSMS_clock_aligned_meter_values_signed(octt):
    """TC_J_04 Clock-aligned Meter Values - Signed: the Ended's signed Sample.Clock and Transaction.End values are answered and kept as signed data."""
    cp_id = "OCTT-J04"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-j04")
        await authorized(tx, "OCTT-J04", at(20), meter_wh=1000)
        await energy_transfer_started(tx, at(20, 1), at(20, 2))
        end = await ev_disconnected(tx, at(20, 40), meter=[
            signed_energy(at(20, 15), 2000.0, "Sample.Clock"), signed_energy(at(20, 30), 3000.0, "Sample.Clock"),
            signed_energy(at(20, 40), 3500.0, "Transaction.End")])
    view = the_transaction(octt, cp_id, "tx-j04")
    priced(end, view)
    assert (view["meter_stop_wh"], view["energy_wh"]) == (3500, 2500)
    signed = [(m["context"], m["value_wh"]) for m in detail(octt, view)["meter_values"] if m["format"] == "SignedData"]
    assert signed == [("Sample.Clock", 2000), ("Sample.Clock", 3000), ("Transaction.End", 3500)]


async def test_TC_J_07_CSMS_sampled_meter_values_event_type_started_evse_known(octt):
    """TC_J_07 Sampled Meter Values - EventType Started - EVSE known: the Started of EVConnectedPreSession carries the EVSE and a Transaction.Begin value, the start register."""
    cp_id = "OCTT-J07"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        start = await ev_connected_pre_session(Tx(cp, "tx-j07"), at(20), meter_wh=1234)
        assert start.id_token_info is None
    view = the_transaction(octt, cp_id, "tx-j07")
    assert (view["evse_id"], view["meter_start_wh"]) == (1, 1234)
    assert readings(octt, view, "Transaction.Begin") == [1234]


async def test_TC_J_08_CSMS_sampled_meter_values_transaction_begin_evse_not_known(octt):
    """TC_J_08 Sampled Meter Values - Context Transaction.Begin - EVSE not known: a Started without EVSE, then the Updated naming the EVSE with the Transaction.Begin value; both are the transaction's."""
    cp_id = "OCTT-J08"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-j08")
        await authorized(tx, "OCTT-J08", at(20), with_evse=False)
        plugged = await ev_connected_pre_session(tx, at(20, 1), meter_wh=4321)
        assert plugged.id_token_info is None
        assert (await tx.event("Updated", at(20, 2), "ChargingStateChanged", charging_state="Charging")).id_token_info is None
    view = the_transaction(octt, cp_id, "tx-j08")
    assert (view["evse_id"], view["evse_connector_id"]) == (1, 1)
    assert (view["id_tag"], view["meter_start_wh"], view["charging_state"]) == ("OCTT-J08", 4321, "Charging")
    assert view["started_at"] == at(20)


async def test_TC_J_09_CSMS_sampled_meter_values_event_type_updated(octt):
    """TC_J_09 Sampled Meter Values - EventType Updated: three Updated / MeterValuePeriodic with Sample.Periodic values are answered and kept."""
    cp_id = "OCTT-J09"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-j09")
        await authorized(tx, "OCTT-J09", at(20), meter_wh=1000)
        await energy_transfer_started(tx, at(20, 1), at(20, 2))
        for i, minute in enumerate((10, 20, 30), start=1):
            periodic = await tx.event("Updated", at(20, minute), "MeterValuePeriodic", charging_state="Charging",
                                      meter=[energy(at(20, minute), 1000.0 + i * 1000, "Sample.Periodic")])
            assert periodic.id_token_info is None
    view = the_transaction(octt, cp_id, "tx-j09")
    assert readings(octt, view, "Sample.Periodic") == [2000, 3000, 4000]
    assert (view["stopped_at"], view["charging_state"]) == (None, "Charging")


async def test_TC_J_10_CSMS_sampled_meter_values_event_type_ended(octt):
    """TC_J_10 Sampled Meter Values - EventType Ended: the Ended carries Sample.Periodic values and last the Transaction.End one, which is the stop register."""
    cp_id = "OCTT-J10"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-j10")
        await authorized(tx, "OCTT-J10", at(20), meter_wh=1000)
        await energy_transfer_started(tx, at(20, 1), at(20, 2))
        end = await ev_disconnected(tx, at(20, 25), meter=[
            energy(at(20, 10), 2000.0, "Sample.Periodic"), energy(at(20, 20), 3000.0, "Sample.Periodic"),
            energy(at(20, 25), 3400.0, "Transaction.End")])
    view = the_transaction(octt, cp_id, "tx-j10")
    priced(end, view)
    assert (view["meter_start_wh"], view["meter_stop_wh"], view["energy_wh"]) == (1000, 3400, 2400)
    assert readings(octt, view, "Sample.Periodic") == [2000, 3000]


async def test_TC_J_11_CSMS_sampled_meter_values_signed(octt):
    """TC_J_11 Sampled Meter Values - Signed: the Ended's signed Sample.Periodic and Transaction.End values are answered and kept as signed data."""
    cp_id = "OCTT-J11"
    async with station(octt, cp_id) as cp:
        await cp.call(boot_request())
        tx = Tx(cp, "tx-j11")
        await authorized(tx, "OCTT-J11", at(20), meter_wh=1000)
        await energy_transfer_started(tx, at(20, 1), at(20, 2))
        end = await ev_disconnected(tx, at(20, 25), meter=[
            signed_energy(at(20, 10), 2000.0, "Sample.Periodic"), signed_energy(at(20, 20), 3000.0, "Sample.Periodic"),
            signed_energy(at(20, 25), 3400.0, "Transaction.End")])
    view = the_transaction(octt, cp_id, "tx-j11")
    priced(end, view)
    assert (view["meter_stop_wh"], view["energy_wh"]) == (3400, 2400)
    signed = [(m["context"], m["value_wh"]) for m in detail(octt, view)["meter_values"] if m["format"] == "SignedData"]
    assert signed == [("Sample.Periodic", 2000), ("Sample.Periodic", 3000), ("Transaction.End", 3400)]
