#!/usr/bin/env python3
"""Where the server's CPU time goes, by part, from `perf script -F comm,tid,ip,sym`.

    perf script -i perf.data -F comm,tid,ip,sym | python3 benches/http/categorize.py

Each sample is charged to the part of the innermost frame of its stack that names one
(kernel frames and the allocator charge the code that called them), so the parts add up
to 100 % of the samples. DWARF unwinding often loses the outer frames of deep async stacks;
charging by the innermost frame needs only the inner ones. The second table counts, for a
few functions, the samples with that function anywhere on the stack (inclusive cost; a
lower bound where stacks were cut short).
"""

import re
import sys

# (part, pattern on a frame's symbol), tried in this order on each frame, innermost first.
PARTS = [
    ("tracing / logging", r"^<?tracing(_subscriber|_core)?::|tracing_subscriber"),
    ("JSON (serde_json, model serde)", r"serde_json|serde_path_to_error|serde_core|zmij|"
     r"::_::<impl serde|model::parse::|format_escaped_str"),
    ("SQLite (rusqlite, sqlite3)", r"^sqlite3|^rusqlite|^pager|^btree|^unix(Read|Write|ShmLock|Lock|Unlock|Sync)|"
     r"^wal[A-Z]|^pcache|^getPage|^readDbPage|^moveTo|ordergate_store_sql"),
    ("plugins (wasmtime, sandbox)", r"wasmtime|ordergate::sandbox|^wasm\[|cranelift"),
    ("JSON Patch (engine)", r"ordergate::patch"),
    ("engine: checks, bounds, pipeline", r"ordergate::"),
    ("HTTP (hyper, axum, tower, sockets)", r"hyper|axum|tower|^<?http::|mio::|tokio::net|"
     r"tokio::io|ordergate_server"),
    ("async runtime, blocking-pool hand-off", r"tokio::|std::sys::sync|std::thread|futex|parking"),
]
COMPILED = [(name, re.compile(pattern)) for name, pattern in PARTS]

# Functions whose inclusive share is worth knowing.
INCLUSIVE = [
    ("Host::mutate (the whole engine call)", "ordergate::host::Host::mutate"),
    ("OrderStore::commit (SQLite)", "SqliteStore>::commit"),
    ("OrderStore::load (SQLite)", "SqliteStore>::load"),
    ("PluginStore::generation (SQLite)", "SqliteStore>::generation"),
    ("Sandbox::validate", "ordergate::sandbox::Sandbox::validate"),
    ("Sandbox::hook", "ordergate::sandbox::Sandbox::hook"),
    ("wasmtime store teardown", "drop_in_place<wasmtime::runtime::store::StoreOpaque>"),
    ("patch_order", "ordergate::patch::patch_order"),
    ("parsing the request body", "ordergate_server::extract::parse_json"),
    ("serializing the answer", "ordergate_server::routes::orders::order_answer"),
    ("encoding the order for the store", "ordergate_store_sql::codec::order_json"),
    ("decoding a stored order", "ordergate_store_sql::codec::stored_order"),
    ("spawn_blocking", "tokio::runtime::blocking::pool::spawn_blocking"),
    ("log event (tracing_subscriber fmt)", "tracing_subscriber::fmt::Subscriber"),
]


def samples(lines):
    frames = None
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if frames is not None:
                yield frames
            frames = None
        elif not line.startswith(("\t", " ")):
            frames = []
        elif frames is not None:
            # "\t   addr symbol+off (dso)" or "\t   addr symbol"
            parts = line.strip().split(" ", 1)
            frames.append(parts[1] if len(parts) > 1 else "")
    if frames:
        yield frames


def main():
    total = 0
    parts = {name: 0 for name, _ in PARTS}
    parts["other (libc, kernel without a caller, unknown)"] = 0
    inclusive = {label: 0 for label, _ in INCLUSIVE}
    for frames in samples(sys.stdin):
        total += 1
        charged = None
        for frame in frames:
            for name, pattern in COMPILED:
                if pattern.search(frame):
                    charged = name
                    break
            if charged:
                break
        parts[charged or "other (libc, kernel without a caller, unknown)"] += 1
        stack = "\n".join(frames)
        for label, needle in INCLUSIVE:
            if needle in stack:
                inclusive[label] += 1
    if total == 0:
        sys.exit("no samples on stdin")
    print(f"{total} samples\n")
    print("| part (innermost frame) | share |\n| --- | ---: |")
    for name, count in sorted(parts.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {100 * count / total:.1f} % |")
    print("\n| function (anywhere on the stack) | inclusive |\n| --- | ---: |")
    for label, count in sorted(inclusive.items(), key=lambda kv: -kv[1]):
        print(f"| {label} | {100 * count / total:.1f} % |")


if __name__ == "__main__":
    main()
