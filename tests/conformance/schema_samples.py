"""Payload samples generated from the official OCA JSON schemas that the `ocpp`
package from PyPI ships, so that tests cover every message without a second,
hand-written copy of the schemas.

For each schema: a *full* sample (every property, strings at their maxLength,
timestamps written with a non-UTC offset), a *minimal* one (required
properties only), the payload the backend is expected to emit for each
(timestamps normalised to UTC with Z), and mutations that break exactly one
rule, each with the error the version prescribes.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import ocpp

OCPP_DIR = Path(os.path.dirname(ocpp.__file__))

# The instant every generated timestamp names, written with an offset so that
# normalisation to UTC is exercised for every date-time field of every message.
LOCAL_TIMESTAMP = "2026-03-29T03:30:00.250+02:00"
UTC_TIMESTAMP = "2026-03-29T01:30:00.250Z"

SPELLING = {
    "ocpp1.6": {"format": "FormationViolation", "occurrence": "OccurenceConstraintViolation"},
    "ocpp2.0.1": {"format": "FormatViolation", "occurrence": "OccurrenceConstraintViolation"},
}


@dataclass
class Case:
    version: str
    action: str
    kind: str  # "request" | "response"
    schema: dict
    payload: dict
    expected: dict | None  # None: an error is expected
    expected_code: str | None = None
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.version}-{self.action}-{self.kind}-{self.label}"

    def to_line(self) -> str:
        return json.dumps(
            {"version": self.version, "action": self.action, "kind": self.kind, "payload": self.payload}
        )


def schemas(version: str):
    """Yields (action, kind, schema) for every message of a version."""
    folder = OCPP_DIR / ("v16" if version == "ocpp1.6" else "v201") / "schemas"
    for path in sorted(folder.glob("*.json")):
        name = path.stem
        if name.endswith("Response"):
            action, kind = name[: -len("Response")], "response"
        elif name.endswith("Request"):
            action, kind = name[: -len("Request")], "request"
        else:
            action, kind = name, "request"
        yield action, kind, json.loads(path.read_text())


@dataclass
class Generator:
    root: dict
    full: bool
    timestamps_utc: bool = False
    counter: list = field(default_factory=lambda: [0])

    def resolve(self, node: dict) -> dict:
        while "$ref" in node:
            ref = node["$ref"]
            assert ref.startswith("#/definitions/"), ref
            node = self.root["definitions"][ref.split("/")[-1]]
        return node

    def value(self, node: dict, name: str = ""):
        node = self.resolve(node)
        if "enum" in node:
            return node["enum"][0]
        kind = node.get("type")
        if kind == "object":
            props = node.get("properties", {})
            required = set(node.get("required", []))
            return {
                key: self.value(sub, key)
                for key, sub in props.items()
                if self.full or key in required
            }
        if kind == "array":
            count = max(1, node.get("minItems", 1))
            if "maxItems" in node:
                count = min(count, node["maxItems"])
            return [self.value(node["items"], name) for _ in range(count)]
        if kind == "string":
            if node.get("format") == "date-time":
                return UTC_TIMESTAMP if self.timestamps_utc else LOCAL_TIMESTAMP
            if node.get("format") == "uri":
                return "https://example.com/x"
            if name == "vendorId":
                return "com.example"
            limit = node.get("maxLength")
            # Full samples sit exactly on the bound: the edge a too-tight
            # type would refuse.
            if limit is not None and self.full:
                return "x" * limit
            return "text"[: limit] if limit else "text"
        if kind == "integer":
            lo = node.get("minimum", 1)
            hi = node.get("maximum")
            v = max(lo, 1)
            return min(v, hi) if hi is not None else v
        if kind == "number":
            lo = node.get("minimum", 0)
            v = max(lo, 1.5)
            hi = node.get("maximum")
            return min(v, hi) if hi is not None else v
        if kind == "boolean":
            return True
        # Untyped (2.0.1 DataTransfer.data): anything JSON goes.
        return {"any": [1, "two", {"three": None}]}


def first_path(node: dict, gen: Generator, predicate, path=()):
    """Finds the first property (depth first, schema order) where predicate holds."""
    node = gen.resolve(node)
    if node.get("type") == "object":
        for key, sub in node.get("properties", {}).items():
            resolved = gen.resolve(sub)
            if predicate(key, resolved, node):
                return path + (key,)
            if resolved.get("type") == "object":
                found = first_path(resolved, gen, predicate, path + (key,))
                if found:
                    return found
    return None


def set_at(payload: dict, path: tuple, value) -> None:
    target = payload
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value


_DELETE = object()


def cases() -> list[Case]:
    out: list[Case] = []
    for version in ("ocpp1.6", "ocpp2.0.1"):
        codes = SPELLING[version]
        for action, kind, schema in schemas(version):
            for full, label in ((True, "full"), (False, "minimal")):
                payload = Generator(schema, full).value(schema)
                expected = Generator(schema, full, timestamps_utc=True).value(schema)
                out.append(Case(version, action, kind, schema, payload, expected, label=label))

            gen = Generator(schema, True)
            base = gen.value(schema)

            extra = copy.deepcopy(base)
            extra["unexpectedProperty"] = 1
            out.append(Case(version, action, kind, schema, extra, None, codes["format"], "extra-property"))

            required = first_path(schema, gen, lambda k, n, parent: k in parent.get("required", []))
            if required:
                broken = copy.deepcopy(base)
                set_at(broken, required, _DELETE)
                out.append(Case(version, action, kind, schema, broken, None, codes["occurrence"], "missing-" + ".".join(required)))

            stringy = first_path(schema, gen, lambda k, n, p: n.get("type") == "string" and "enum" not in n)
            if stringy:
                broken = copy.deepcopy(base)
                set_at(broken, stringy, 12345)
                out.append(Case(version, action, kind, schema, broken, None, "TypeConstraintViolation", "type-" + ".".join(stringy)))

            bounded = first_path(schema, gen, lambda k, n, p: n.get("type") == "string" and "maxLength" in n)
            if bounded:
                broken = copy.deepcopy(base)
                limit = gen.resolve(_node_at(schema, gen, bounded))["maxLength"]
                set_at(broken, bounded, "y" * (limit + 1))
                out.append(Case(version, action, kind, schema, broken, None, "PropertyConstraintViolation", "too-long-" + ".".join(bounded)))

            enum = first_path(schema, gen, lambda k, n, p: "enum" in n)
            if enum:
                broken = copy.deepcopy(base)
                set_at(broken, enum, "NotAValueOfThisEnum")
                out.append(Case(version, action, kind, schema, broken, None, "PropertyConstraintViolation", "enum-" + ".".join(enum)))
    return out


def _node_at(schema: dict, gen: Generator, path: tuple) -> dict:
    node = gen.resolve(schema)
    for key in path:
        node = gen.resolve(node["properties"][key])
    return node
