#!/usr/bin/env python3
"""A peer central system to benchmark against: the Python `ocpp` package's
documented central-system pattern (a `websockets` server, one
`ocpp.v16.ChargePoint` subclass per connection with `@on` handlers), storing
what a real CSMS stores in SQLite: boot information, connector status, every
transaction and every sampled meter value, committed per message (like the
Spin components, so an answered message is durable in both).

It answers the same actions loadgen sends: BootNotification (every id
Accepted, like `unknown_charge_points=accept`), Heartbeat, StatusNotification,
Authorize (idTag looked up: Accepted if known, else Invalid), StartTransaction,
MeterValues, StopTransaction.

    python3 bench/peer_csms.py --port 3100 --db /tmp/peer.db
    loadgen --url ws://127.0.0.1:3100/ocpp -n 100 --rate 200
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
from datetime import datetime, timezone

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as OcppChargePoint
from ocpp.v16 import call_result

SCHEMA = """
CREATE TABLE IF NOT EXISTS charge_points (
    id TEXT PRIMARY KEY, vendor TEXT, model TEXT, serial_number TEXT,
    firmware_version TEXT, booted_at TEXT, last_heartbeat TEXT);
CREATE TABLE IF NOT EXISTS connector_status (
    charge_point_id TEXT, connector_id INTEGER, status TEXT, error_code TEXT,
    reported_at TEXT, PRIMARY KEY (charge_point_id, connector_id));
CREATE TABLE IF NOT EXISTS id_tags (id_tag TEXT PRIMARY KEY, status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, charge_point_id TEXT, connector_id INTEGER,
    id_tag TEXT, id_tag_status TEXT, meter_start INTEGER, started_at TEXT,
    meter_stop INTEGER, stopped_at TEXT, stop_reason TEXT);
CREATE TABLE IF NOT EXISTS meter_values (
    id INTEGER PRIMARY KEY AUTOINCREMENT, transaction_id INTEGER, charge_point_id TEXT,
    connector_id INTEGER, sampled_at TEXT, measurand TEXT, phase TEXT, location TEXT,
    context TEXT, unit TEXT, value TEXT);
CREATE INDEX IF NOT EXISTS meter_values_tx ON meter_values (transaction_id);
"""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Store:
    """One SQLite connection for the process; the event loop is single
    threaded, so every handler's statements and commit run back to back."""

    def __init__(self, path: str):
        self.db = sqlite3.connect(path)
        self.db.executescript(SCHEMA)
        self.db.commit()

    def id_tag_status(self, id_tag: str) -> str:
        row = self.db.execute("SELECT status FROM id_tags WHERE id_tag = ?", (id_tag,)).fetchone()
        return row[0] if row else "Invalid"


class ChargePoint(OcppChargePoint):
    store: Store

    @on("BootNotification")
    def on_boot(self, charge_point_vendor, charge_point_model, **kw):
        self.store.db.execute(
            "INSERT INTO charge_points (id, vendor, model, serial_number, firmware_version, booted_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET vendor = excluded.vendor, "
            "model = excluded.model, serial_number = excluded.serial_number, "
            "firmware_version = excluded.firmware_version, booted_at = excluded.booted_at",
            (self.id, charge_point_vendor, charge_point_model, kw.get("charge_point_serial_number"),
             kw.get("firmware_version"), now()))
        self.store.db.commit()
        return call_result.BootNotification(current_time=now(), interval=300, status="Accepted")

    @on("Heartbeat")
    def on_heartbeat(self):
        t = now()
        self.store.db.execute("UPDATE charge_points SET last_heartbeat = ? WHERE id = ?", (t, self.id))
        self.store.db.commit()
        return call_result.Heartbeat(current_time=t)

    @on("StatusNotification")
    def on_status(self, connector_id, error_code, status, **kw):
        self.store.db.execute(
            "INSERT INTO connector_status VALUES (?, ?, ?, ?, ?) ON CONFLICT (charge_point_id, connector_id) "
            "DO UPDATE SET status = excluded.status, error_code = excluded.error_code, "
            "reported_at = excluded.reported_at",
            (self.id, connector_id, status, error_code, kw.get("timestamp") or now()))
        self.store.db.commit()
        return call_result.StatusNotification()

    @on("Authorize")
    def on_authorize(self, id_tag):
        return call_result.Authorize(id_tag_info={"status": self.store.id_tag_status(id_tag)})

    @on("StartTransaction")
    def on_start(self, connector_id, id_tag, meter_start, timestamp, **kw):
        status = self.store.id_tag_status(id_tag)
        # Like the Spin backend: the session is stored even with an unknown tag.
        cur = self.store.db.execute(
            "INSERT INTO transactions (charge_point_id, connector_id, id_tag, id_tag_status, meter_start, started_at) "
            "VALUES (?, ?, ?, ?, ?, ?)", (self.id, connector_id, id_tag, status, meter_start, timestamp))
        self.store.db.commit()
        return call_result.StartTransaction(transaction_id=cur.lastrowid, id_tag_info={"status": status})

    @on("MeterValues")
    def on_meter_values(self, connector_id, meter_value, transaction_id=None, **kw):
        rows = [
            (transaction_id, self.id, connector_id, mv["timestamp"], sv.get("measurand", "Energy.Active.Import.Register"),
             sv.get("phase"), sv.get("location"), sv.get("context"), sv.get("unit"), sv["value"])
            for mv in meter_value for sv in mv["sampled_value"]
        ]
        self.store.db.executemany(
            "INSERT INTO meter_values (transaction_id, charge_point_id, connector_id, sampled_at, measurand, "
            "phase, location, context, unit, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        self.store.db.commit()
        return call_result.MeterValues()

    @on("StopTransaction")
    def on_stop(self, meter_stop, timestamp, transaction_id, id_tag=None, reason=None, **kw):
        self.store.db.execute(
            "UPDATE transactions SET meter_stop = ?, stopped_at = ?, stop_reason = ? WHERE id = ?",
            (meter_stop, timestamp, reason or "Local", transaction_id))
        self.store.db.commit()
        info = {"status": self.store.id_tag_status(id_tag)} if id_tag else None
        return call_result.StopTransaction(id_tag_info=info)


async def serve(host: str, port: int, store: Store) -> None:
    async def on_connect(websocket):
        if "ocpp1.6" != websocket.subprotocol:
            await websocket.close()
            return
        cp_id = websocket.request.path.rstrip("/").rsplit("/", 1)[-1]
        cp = ChargePoint(cp_id, websocket)
        cp.store = store
        try:
            await cp.start()
        except websockets.exceptions.ConnectionClosed:
            pass

    # backlog 1024 = what tokio (devhost) uses, so a connection storm meets
    # the same kernel accept queue on both.
    async with websockets.serve(on_connect, host, port, subprotocols=["ocpp1.6"], backlog=1024):
        await asyncio.Future()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=3100)
    p.add_argument("--db", default="peer_csms.db")
    p.add_argument("--id-tag", action="append", default=[], help="register an Accepted idTag (repeatable)")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    store = Store(args.db)
    for tag in args.id_tag:
        store.db.execute("INSERT OR REPLACE INTO id_tags VALUES (?, 'Accepted')", (tag,))
    store.db.commit()
    try:
        asyncio.run(serve(args.host, args.port, store))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
