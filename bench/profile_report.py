"""Sums `perf script -F comm,ip,sym,dso` samples of devhost into the parts of one
message's cost.

"Where the CPU was" assigns every sample once, from its innermost frames: the
components' own code (the Wasm guest, named through devhost's perf map), the
SQLite engine, disk syncs and network syscalls (told apart by the kernel
frames), wasmtime's runtime (instantiation, host calls), the async runtime with
HTTP and WebSocket, and so on. devhost's release build has no frame pointers, so
a host stack often ends at its innermost Rust frame; guest code keeps them, so
"inside the guest" shares are inclusive (what the components' functions and
their callees took, as far as the stack could be followed).
"""

import argparse
import collections
import json
import sys

KERNEL_CUES = [
    ("disk: fsync and writes (SQLite commits)", ("fsync", "ext4_", "jbd2", "blk_", "writepages")),
    ("network syscalls (TCP, epoll)", ("tcp_", "inet_", "sock_", "ep_poll", "epoll", "unix_", "skb")),
    ("thread wake-ups and sleeps (futex, scheduler)", ("futex", "schedule", "try_to_wake_up")),
    ("memory: page faults, madvise, mmap (instance memories)",
     ("page_fault", "madvise", "mmap", "munmap", "zap_", "handle_mm_fault", "clear_page")),
]

USER_AREAS = [
    ("SQLite engine", lambda s, d: s.startswith("sqlite3") or "rusqlite" in s),
    ("wasmtime runtime (instantiation, host calls, trampolines)",
     lambda s, d: "wasmtime" in s or "cranelift" in s or "trampoline" in s),
    ("async runtime, HTTP and WebSocket (tokio, hyper, tungstenite)",
     lambda s, d: any(k in s for k in ("tokio", "hyper", "tungstenite", "mio::", "http::", "h2::"))),
    ("host JSON (serde_json in devhost)", lambda s, d: "serde_json" in s),
    ("libc (malloc, memcpy, ...)", lambda s, d: d.startswith("libc")),
]

# Inclusive, inside the guest: a sample counts when any frame matches.
GUEST_STAGES = [
    ("all guest code (the components)", lambda s: True),
    ("OCPP decoding and schema checks (ocpp_protocol)", lambda s: "ocpp_protocol" in s or "ocpp_types" in s),
    ("JSON (serde_json)", lambda s: "serde_json" in s),
    ("SQL calls to the host (csms_store::spin)", lambda s: "csms_store::spin::SpinSql" in s or "sqlite" in s.lower()),
    ("service chaining calls (post_json)", lambda s: "post_json" in s),
    ("pricing (tariff component)", lambda s: "tariff" in s),
]


def samples(lines):
    """Yields each sample's frames, innermost first, as (symbol, dso)."""
    frames = []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if frames:
                yield frames
            frames = []
            continue
        if not line.startswith("\t"):
            continue  # a sample's header: the thread name
        text = line.strip()
        dso = ""
        if text.endswith(")") and " (" in text:
            text, dso = text.rsplit(" (", 1)
            dso = dso[:-1].rsplit("/", 1)[-1]
        parts = text.split(" ", 1)
        symbol = parts[1] if len(parts) == 2 else ""
        frames.append((symbol.split("+0x")[0], dso))
    if frames:
        yield frames


def is_guest(dso: str) -> bool:
    return dso.startswith("perf-") or dso.startswith("[JIT]")


def area_of(frames) -> str:
    leaf_symbol, leaf_dso = frames[0]
    if is_guest(leaf_dso):
        return "guest code (the components, Wasm)"
    if "kernel" in leaf_dso:
        kernel = " ".join(s for s, d in frames if "kernel" in d)
        for name, cues in KERNEL_CUES:
            if any(c in kernel for c in cues):
                return name
        return "kernel, other"
    for name, match in USER_AREAS:
        if match(leaf_symbol, leaf_dso):
            return name
    return "other (devhost's own code, std, unresolved)"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--loadgen", help="loadgen's JSON report of the sampled run")
    p.add_argument("--hz", type=float, default=999)
    args = p.parse_args()
    total = 0
    areas = collections.Counter()
    guest = collections.Counter()
    for frames in samples(sys.stdin):
        total += 1
        areas[area_of(frames)] += 1
        guest_symbols = [s for s, d in frames if is_guest(d)]
        if guest_symbols:
            for name, match in GUEST_STAGES:
                if any(match(s) for s in guest_symbols):
                    guest[name] += 1
    if total == 0:
        sys.exit("no samples: is perf allowed to sample this process (kernel.perf_event_paranoid)?")
    cpu_seconds = total / args.hz
    answered = None
    if args.loadgen:
        with open(args.loadgen) as f:
            report = json.load(f)
        answered = report.get("answered")
        latency = report["latency_ms"]["all"]
        print(f"load: {report.get('messages_per_second')} msg/s, {answered} answers, "
              f"p50 / p99 {latency['p50_ms']} / {latency['p99_ms']} ms")
    per = f", {1000 * cpu_seconds / answered:.3f} ms of CPU per message" if answered else ""
    print(f"{total} samples at {args.hz:g} Hz: {cpu_seconds:.1f} CPU-seconds{per}")
    print("\nwhere the CPU was (each sample once):")
    for name, hits in areas.most_common():
        print(f"  {100 * hits / total:5.1f} %  {name}")
    print("\ninside the guest (inclusive, overlapping):")
    for name, _ in GUEST_STAGES:
        print(f"  {100 * guest[name] / total:5.1f} %  {name}")


if __name__ == "__main__":
    main()
