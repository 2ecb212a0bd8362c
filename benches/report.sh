#!/usr/bin/env bash
# Runs the benchmark suite and writes benches/RESULTS.md from that run: criterion's
# estimates (target/criterion/<id>/new/estimates.json), the suite's own measurements
# (target/ordergate-bench/*.json: p99 latencies, throughput, restart phases, component
# sizes), the RSS run (examples/rss.rs), the HTTP load runs (benches/http/load.sh, with
# SUMMARY=<file>) and the growth plots (examples/plots.rs → benches/plots/*.svg).
#
#   bash benches/report.sh            # full run (≈ 20 min on 2 cores), then the report
#   bash benches/report.sh --report   # only redraw the plots and rewrite the report from
#                                     # the last run
#
# Settings (environment): SKIP_HTTP=1 and SKIP_RSS=1 leave those runs out (their rows
# then come from the last run that made them, or read "not measured"); RSS_MUTATIONS
# (100000).
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-$PWD/target}"
results="$target/ordergate-bench"
mkdir -p "$results"
meta="$results/run.env"

if [[ "${1:-}" != "--report" ]]; then
    load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
    start=$(date +%s)
    cargo bench -p ordergate-benches --bench suite --locked 2>&1 | tee "$results/bench.log"
    if [[ -z "${SKIP_RSS:-}" ]]; then
        cargo run --release --locked -p ordergate-benches --example rss -- \
            "${RSS_MUTATIONS:-100000}" 2>&1 | tee "$results/rss.log"
    fi
    if [[ -z "${SKIP_HTTP:-}" ]]; then
        # The load generator and the database: load.sh needs wrk, curl and jq; PostgreSQL
        # comes from .ci/postgres (installed and started when none answers).
        for tool in wrk curl jq; do
            if ! command -v "$tool" >/dev/null; then
                apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool"
            fi
        done
        bash .ci/postgres
        for db in sqlite postgres; do
            # A failed load run (non-2xx answers, lost connections) leaves no summary: its
            # rows read "not measured" rather than stopping the report.
            rm -f "$results/http-$db.json"
            SUMMARY="$results/http-$db.json" bash benches/http/load.sh "$db" 2>&1 |
                tee "$results/http-$db.log" || echo "load run on $db failed: see $results/http-$db.log"
        done
    fi
    end=$(date +%s)
    {
        echo "WALL_SECONDS=$((end - start))"
        echo "LOAD_BEFORE='$load_before'"
        echo "LOAD_AFTER='$(cut -d' ' -f1-3 /proc/loadavg)'"
        echo "RUN_DATE='$(date -u +%Y-%m-%dT%H:%M:%SZ)'"
    } > "$meta"
fi

cargo run --release --locked -p ordergate-benches --example plots

# shellcheck disable=SC1090
source "$meta"
export WALL_SECONDS LOAD_BEFORE LOAD_AFTER RUN_DATE
export NPROC="$(nproc)"
export CPU_MODEL="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
export RUSTC_VERSION="$(rustc --version)"
export MEM_TOTAL="$(grep -m1 MemTotal /proc/meminfo | awk '{printf "%.1f GiB", $2/1048576}')"
export TARGET_DIR="$target"

python3 - <<'PY'
import json, os

target = os.environ["TARGET_DIR"]
crit = os.path.join(target, "criterion")
custom = os.path.join(target, "ordergate-bench")

def est(bid):
    """criterion's median and its 95% confidence interval, in ns (None if absent)."""
    path = os.path.join(crit, bid, "new", "estimates.json")
    if not os.path.exists(path):
        # criterion keeps a `/` inside a function name as `_` in its directory name.
        group, _, rest = bid.partition("/")
        path = os.path.join(crit, group, rest.replace("/", "_"), "new", "estimates.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        e = json.load(f)
    m = e["median"]
    return {
        "median": m["point_estimate"],
        "lo": m["confidence_interval"]["lower_bound"],
        "hi": m["confidence_interval"]["upper_bound"],
        "mad": e.get("median_abs_dev", {}).get("point_estimate"),
        "mean": e["mean"]["point_estimate"],
    }

def load(name):
    path = os.path.join(custom, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)

def t(ns):
    if ns is None:
        return "n/a"
    if ns < 0:
        return "−" + t(-ns)
    if ns >= 1e9:
        return f"{ns/1e9:.2f} s"
    if ns >= 1e6:
        return f"{ns/1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns/1e3:.2f} µs"
    return f"{ns:.0f} ns"

def us(x):
    return "n/a" if x is None else t(x * 1e3)

def med(bid):
    e = est(bid)
    return None if e is None else e["median"]

def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b

def r(x, digits=1):
    return "n/a" if x is None else f"{x:.{digits}f}×"

figures = [
    ("plugin/compile", "Cranelift compile of max-quantity (install on a fresh host, no cache)"),
    ("plugin/load-disk-cache", "install of max-quantity on a fresh host, warm disk cache"),
    ("plugin/instantiate", "instantiate alone (`Run::instantiate_time`: store + limits + instance), organization-number"),
]
for p in ["max-quantity", "organization-number", "payment-coverage"]:
    for n in [1, 20, 200]:
        figures.append((f"validation/{p}/{n}", f"one validation all-in, {p}, {n} lines"))
for lever, text in [("defaults", "default `SandboxConfig`"), ("no-fuel", "`fuel: false`"), ("no-pagemap-scan", "`pagemap_scan: false`"), ("keep-resident-0", "`keep_resident_bytes: 0`"), ("keep-resident-1MiB", "`keep_resident_bytes: 1 MiB`")]:
    for n in [20, 200]:
        figures.append((f"levers/{lever}/{n}", f"max-quantity all-in, {n} lines, {text}"))
for n in [20, 200]:
    figures.append((f"native/max-quantity/{n}", f"native Rust rule, {n} lines"))
for n in [20, 200]:
    figures.append((f"native-clone/max-quantity/{n}", f"clone the order + native rule, {n} lines"))
for n in [1, 20, 200]:
    figures.append((f"http-callback/max-quantity/{n}", f"HTTP callback on loopback (axum + reqwest keep-alive), {n} lines"))
figures += [
    ("hook/apply-10-ops", "`patch_order`, 10 replace operations, 20 lines"),
    ("hook/call-three-for-two/20", "three-for-two hook call all-in, 20 lines"),
    ("hook/call-free-shipping/20", "free-shipping hook call all-in, 20 lines"),
    ("hook/three-for-two-all-in/20", "three-for-two call + applying its patch, 20 lines"),
    ("notifications/1", "1 notification evaluated after a cart change, 20 lines"),
    ("notifications/10", "10 notifications"),
    ("notifications/100", "100 notifications"),
    ("serialize/order-to-value/20", "`serde_json::to_value(&order)`, 20 lines"),
    ("serialize/order-to-value/200", "`serde_json::to_value(&order)`, 200 lines"),
    ("serialize/order-from-value/20", "JSON value → order model (clone + parse), 20 lines"),
    ("serialize/order-from-value/200", "JSON value → order model (clone + parse), 200 lines"),
    ("mutation/full", "SetCart, 20 lines, 5 validations + 3 hooks + 100 notifications"),
    ("mutation/no-plugins", "same, no plugins (100 notifications)"),
    ("mutation/no-notifications", "same, no notifications (5 validations + 3 hooks)"),
    ("concurrency/mutations-per-sec/1", "full mutation, 1 thread (time per mutation)"),
    ("concurrency/mutations-per-sec/2", "full mutation, 2 threads on distinct orders (time per mutation)"),
    ("restart/100-plugins", "new host, warm cache, install 100 plugins, first mutation served"),
    ("restart/1000-plugins-100-tenants", "new host on SQLite with 1,000 plugins over 100 tenants, warm cache, first mutation of one tenant"),
    ("validation/sku-rule-untuned/20", "untuned validation (sku-rule: every line read in full, config parsed and pattern compiled per call), 20 lines"),
    ("validation/sku-rule-untuned/200", "untuned validation (sku-rule), 200 lines"),
    ("validation/sku-rule-init/20", "sku-rule with its setup at install (pre-initialized), 20 lines"),
    ("validation/sku-rule-init/200", "sku-rule with its setup at install, 200 lines"),
    ("mutation/bare", "SetCart, 20 lines, no plugins, no notifications"),
]

lines = []
w = lines.append
w("# ordergate benchmark results")
w("")
w("Generated by `bash benches/report.sh` from one run of `cargo bench -p ordergate-benches`.")
w("")
w("| machine | |")
w("| --- | --- |")
w(f"| date (UTC) | {os.environ.get('RUN_DATE', 'n/a')} |")
w(f"| cores (`nproc`) | {os.environ['NPROC']} |")
w(f"| CPU | {os.environ['CPU_MODEL']} |")
w(f"| memory | {os.environ['MEM_TOTAL']} |")
w(f"| rustc | {os.environ['RUSTC_VERSION']} |")
w(f"| load average before / after the run | {os.environ.get('LOAD_BEFORE', 'n/a')} / {os.environ.get('LOAD_AFTER', 'n/a')} |")
w(f"| wall time of the run | {int(os.environ.get('WALL_SECONDS', '0'))//60} min {int(os.environ.get('WALL_SECONDS', '0'))%60} s |")
w("")
w("The machine is shared (other builds run beside the suite): read the figures as orders of")
w("magnitude and ratios, and the confidence intervals as how noisy the run was.")
w("")

# --- ratios -----------------------------------------------------------------------------
lat = load("mutation-latency") or {}
conc = load("concurrency") or {}
rest = load("restart") or {}
inst = load("instantiate") or {}
brk = load("validation-breakdown") or {}

v = {n: med(f"validation/max-quantity/{n}") for n in [1, 20, 200]}
nc = {n: med(f"native-clone/max-quantity/{n}") for n in [20, 200]}
nat = {n: med(f"native/max-quantity/{n}") for n in [20, 200]}
http = {n: med(f"http-callback/max-quantity/{n}") for n in [1, 20, 200]}
full = lat.get("full", {})

w("## Ratios that matter")
w("")
w("| what | value |")
w("| --- | --- |")
for n in [20, 200]:
    w(f"| WASM all-in ÷ native-clone, {n} lines | {r(ratio(v[n], nc[n]))} ({t(v[n])} vs {t(nc[n])}) |")
for n in [20, 200]:
    w(f"| WASM all-in ÷ native rule alone, {n} lines | {r(ratio(v[n], nat[n]), 0)} |")
for n in [1, 20, 200]:
    w(f"| HTTP callback ÷ WASM all-in, {n} lines (how much faster WASM is) | {r(ratio(http[n], v[n]))} ({t(http[n])} vs {t(v[n])}) |")
for lever in ["no-fuel", "no-pagemap-scan", "keep-resident-0", "keep-resident-1MiB"]:
    for n in [20, 200]:
        d, l = med(f"levers/defaults/{n}"), med(f"levers/{lever}/{n}")
        w(f"| lever `{lever}` ÷ defaults, max-quantity all-in, {n} lines | {r(ratio(l, d), 2)} ({t(l)} vs {t(d)}) |")
w(f"| 200 ÷ 20 lines, WASM all-in | {r(ratio(v[200], v[20]), 2)} |")
w(f"| 200 ÷ 20 lines, native-clone | {r(ratio(nc[200], nc[20]), 2)} |")
w(f"| 200 ÷ 20 lines, HTTP callback | {r(ratio(http[200], http[20]), 2)} |")
w(f"| full mutation p50 / p99 (plain loop of {full.get('samples', 'n/a')}) | {us(full.get('p50Us'))} / {us(full.get('p99Us'))} |")
w(f"| full mutation, criterion median | {t(med('mutation/full'))} |")
n100 = med("notifications/100")
w(f"| 100 notifications | {t(n100)} ({t(None if n100 is None else n100/100)} each) |")
ii = inst.get("instantiate", {})
w(f"| instantiate (criterion median; loop p50 / p99) | {t(med('plugin/instantiate'))} ({us(ii.get('p50Us'))} / {us(ii.get('p99Us'))}) |")
w(f"| restart with 100 plugins, warm cache | {t(med('restart/100-plugins'))} |")
hsum = [med("hook/apply-10-ops"), med("hook/call-three-for-two/20")]
w(f"| hook call (three-for-two) + applying 10 ops | {t(None if None in hsum else sum(hsum))} ({t(hsum[1])} + {t(hsum[0])}) |")
for th in ["1", "2"]:
    m = med(f"concurrency/mutations-per-sec/{th}")
    plain = conc.get("threads", {}).get(th, {}).get("perSecond")
    w(f"| full mutations per second, {th} thread(s) (criterion; plain 3 s count) | {'n/a' if m is None else f'{1e9/m:,.0f}'} ({'n/a' if plain is None else f'{plain:,.0f}'}) |")
w("")

# --- targets ---------------------------------------------------------------------------
def target_row(what, value, limit, text, smaller_is_better=True, missing="not measured"):
    if value is None:
        met = missing
    else:
        ok = value <= limit if smaller_is_better else value >= limit
        met = "**met**" if ok else "**not met**"
    w(f"| {what} | {text} | {met} |")

restart_t = load("restart-tenants") or {}
rss = load("rss") or {}
comps = load("components") or {}
http_runs = {db: load(f"http-{db}") for db in ["sqlite", "postgres"]}

w("## Targets of issue #11")
w("")
w("Release build, this machine; medians unless stated; every ratio from one run. A row that")
w("reads *not measured* (or *no data*) had no measurement in this run: its benchmark is")
w("missing or was skipped.")
w("")
w("| target | measured | met? |")
w("| --- | --- | --- |")
target_row("one validation all-in, max-quantity, 20 lines ≤ 10 µs", v[20], 10e3, t(v[20]))
target_row("one validation all-in, max-quantity, 200 lines ≤ 40 µs", v[200], 40e3, t(v[200]))
for n in [20, 200]:
    # The untuned validation: test-support's sku-rule, setup in every call.
    u = med(f"validation/sku-rule-untuned/{n}")
    q = ratio(u, v[n])
    target_row(f"untuned validation ≤ 3× max-quantity, {n} lines", q, 3,
               "no data" if q is None else f"{r(q, 2)} ({t(u)} vs {t(v[n])})", missing="no data")
target_row("≥ 20× faster than the loopback HTTP callback, 20 lines", ratio(http[20], v[20]), 20,
           f"{r(ratio(http[20], v[20]))} ({t(http[20])} vs {t(v[20])})", smaller_is_better=False)
p50 = full.get("p50Us")
p99 = full.get("p99Us")
target_row("full mutation (5 validations, 3 hooks, 100 notifications, 20 lines) p50 ≤ 300 µs",
           None if p50 is None else p50 * 1e3, 300e3, us(p50))
target_row("full mutation p99 ≤ 500 µs", None if p99 is None else p99 * 1e3, 500e3, us(p99))
bare = med("mutation/bare")
target_row("mutation with no plugins and no notifications ≤ 30 µs (`mutation/bare`)", bare, 30e3, t(bare))
a10 = med("hook/apply-10-ops")
target_row("applying a 10-operation hook patch, 20 lines ≤ 20 µs", a10, 20e3, t(a10))
rs = med("restart/1000-plugins-100-tenants")
rtot = restart_t.get("total", {})
target_row(f"first mutation after a restart, {restart_t.get('plugins', 1000)} plugins over {restart_t.get('tenants', 100)} tenants ≤ 100 ms",
           rs, 100e6, f"{t(rs)} (plain loop p50 {us(rtot.get('p50Us'))}, max {us(rtot.get('maxUs'))})")
lp = rss.get("loop", {})
drift = lp.get("maxDriftPercent")
target_row(f"host RSS flat (± 5 %) over {lp.get('mutations', 100000):,} mutations after warm-up",
           None if drift is None else abs(drift), 5,
           "n/a" if drift is None else f"largest drift {drift:.2f} % ({lp['startKib']/1024:.1f} → {lp['endKib']/1024:.1f} MiB)")
sizes = comps.get("bytes", {})
ex = {n: sizes[n] for n in comps.get("examples", []) if n in sizes}
biggest = max(ex.items(), key=lambda kv: kv[1]) if ex else None
target_row("example plugin components ≤ 100 kB each", None if biggest is None else biggest[1], 100e3,
           "n/a" if biggest is None else f"largest {biggest[1]/1e3:.0f} kB ({biggest[0]}); smallest {min(ex.values())/1e3:.0f} kB")
for db, rps_min, p99_max in [("sqlite", 5000, 10), ("postgres", 3000, 15)]:
    put = (http_runs[db] or {}).get("put")
    label = "SQLite" if db == "sqlite" else "PostgreSQL"
    target_row(f"service on {label}: cart updates ≥ {rps_min:,}/s", None if put is None else put["rps"], rps_min,
               "n/a" if put is None else f"{put['rps']:,.0f}/s", smaller_is_better=False)
    target_row(f"service on {label}: cart update p99 ≤ {p99_max} ms", None if put is None else put["p99_ms"], p99_max,
               "n/a" if put is None else f"{put['p99_ms']:.2f} ms")
for db in ["sqlite", "postgres"]:
    get = (http_runs[db] or {}).get("get")
    label = "SQLite" if db == "sqlite" else "PostgreSQL"
    target_row(f"service on {label}: `GET` of an order ≥ 20,000/s", None if get is None else get["rps"], 20000,
               "n/a" if get is None else f"{get['rps']:,.0f}/s", smaller_is_better=False)
w("")

w("## Earlier targets (the benchmark issue)")
w("")
w("| target | measured | met? |")
w("| --- | --- | --- |")
target_row("instantiate ≤ 5 µs", med("plugin/instantiate"), 5e3, t(med("plugin/instantiate")))
target_row("WASM ÷ native-clone ≤ 4× at 20 lines", ratio(v[20], nc[20]), 4, r(ratio(v[20], nc[20])))
target_row("WASM ÷ native-clone ≤ 2× at 200 lines", ratio(v[200], nc[200]), 2, r(ratio(v[200], nc[200])))
target_row("100 notifications ≤ 50 µs", n100, 50e3, t(n100))
target_row("restart with 100 plugins ≤ 200 ms", med("restart/100-plugins"), 200e6, t(med("restart/100-plugins")))
w("")

# --- growth -----------------------------------------------------------------------------
GROWTH = [
    ("validation", [1, 10, 50, 100, 200, 500, 1000], "cart lines",
     "One validation all-in (max-quantity) by cart lines"),
    ("notifications", [0, 10, 100, 500, 1000], "notifications",
     "A 20-line `SetCart` with no plugins, by notifications on the order"),
    ("plugins", [0, 1, 5, 10, 25, 50], "validation plugins",
     "A 20-line `SetCart` with no notifications, by validation plugins (the four example validations in turn)"),
]
w("## How each cost grows")
w("")
w("Criterion medians of `growth/<curve>/<n>`; the plots (drawn by `examples/plots.rs` from the")
w("same estimates, 95 % intervals as error bars) are in `benches/plots/`. *per unit* is the")
w("median's increase over the smallest size divided by the added work.")
w("")
for curve, sizes_, unit, title in GROWTH:
    w(f"### {title}")
    w("")
    w(f"![{title}](plots/{curve}.svg)")
    w("")
    w(f"| {unit} | median | 95% CI | per unit |")
    w("| --- | --- | --- | --- |")
    base = est(f"growth/{curve}/{sizes_[0]}")
    for n in sizes_:
        e = est(f"growth/{curve}/{n}")
        if e is None:
            w(f"| {n:,} | n/a | | |")
            continue
        per = "" if base is None or n == sizes_[0] else t((e["median"] - base["median"]) / (n - sizes_[0]))
        w(f"| {n:,} | {t(e['median'])} | {t(e['lo'])} – {t(e['hi'])} | {per} |")
    w("")

# --- restart, RSS, components, service ---------------------------------------------------
if restart_t:
    w("## Restart with many tenants (plain loop)")
    w("")
    w(f"A new host on a SQLite database holding {restart_t['plugins']:,} plugins over {restart_t['tenants']} tenants")
    w(f"({restart_t.get('databaseBytes', 0)/1e6:.0f} MB), warm artifact cache; the first `SetCart` (20 lines) of one tenant.")
    w(f"Loaded after it: {restart_t['loadedTenants']} tenant, {restart_t['loadedPlugins']} plugins ({restart_t['diskCacheHits']} from the disk cache).")
    w("")
    w("| phase | p50 | p90 | max |")
    w("| --- | --- | --- | --- |")
    for key, label in [("openAndBuild", "open the database, build the host"), ("loadTenant", "load the tenant's plugins (registry)"), ("firstMutation", "the mutation itself"), ("total", "total")]:
        x = restart_t.get(key)
        if x:
            w(f"| {label} | {us(x['p50Us'])} | {us(x['p90Us'])} | {us(x['maxUs'])} |")
    w("")
if rss:
    w("## Resident memory")
    w("")
    p100 = rss.get("with100Plugins", {})
    w("| what | RSS |")
    w("| --- | --- |")
    if p100:
        w(f"| process before any host | {p100['beforeHostKib']/1024:.1f} MiB |")
        w(f"| host built (SQLite store) | {p100['hostBuiltKib']/1024:.1f} MiB |")
        w(f"| 100 plugins installed | {p100['installedKib']/1024:.1f} MiB |")
        w(f"| after a mutation through the 100 plugins | {p100['afterMutationKib']/1024:.1f} MiB (+{p100['pluginsKib']/1024:.1f} MiB for the plugins) |")
    if lp:
        w(f"| full-mutation loop after {lp['warmUp']:,} warm-up mutations | {lp['startKib']/1024:.1f} MiB |")
        w(f"| after {lp['mutations']:,} more ({lp['orders']:,} orders round-robin, {lp['seconds']:.0f} s) | {lp['endKib']/1024:.1f} MiB (min {lp['minKib']/1024:.1f}, max {lp['maxKib']/1024:.1f}; largest drift {lp['maxDriftPercent']:.2f} %) |")
    w("")
if ex:
    w("## Plugin component sizes")
    w("")
    w("| component | size |")
    w("| --- | --- |")
    for name, b in sorted(sizes.items()):
        w(f"| {name}{'' if name in ex else ' (test plugin)'} | {b/1e3:.1f} kB |")
    w("")
if any(http_runs.values()):
    w("## Service under load (`benches/http/load.sh`)")
    w("")
    w("Release server and wrk on this machine; see `benches/HTTP.md` for the set-up.")
    w("")
    w("| store | request | per second | p50 | p90 | p99 | non-2xx | socket errors |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for db, run in http_runs.items():
        for kind, label in [("put", "`PUT` cart (3 plugins)"), ("get", "`GET` order")]:
            x = (run or {}).get(kind)
            if x:
                w(f"| {db} | {label} | {x['rps']:,.0f} | {x['p50_ms']:.2f} ms | {x['p90_ms']:.2f} ms | {x['p99_ms']:.2f} ms | {x['non2xx']} | {x['socket_errors']} |")
    w("")

# --- all figures ------------------------------------------------------------------------
w("## Every figure")
w("")
w("Median of criterion's samples with its 95% confidence interval (bootstrap), and the")
w("median absolute deviation of the samples.")
w("")
w("| benchmark | what | median | 95% CI | MAD |")
w("| --- | --- | --- | --- | --- |")
for bid, what in figures:
    e = est(bid)
    if e is None:
        w(f"| `{bid}` | {what} | n/a | | |")
    else:
        w(f"| `{bid}` | {what} | {t(e['median'])} | {t(e['lo'])} – {t(e['hi'])} | {t(e['mad'])} |")
w("")

# --- breakdowns -------------------------------------------------------------------------
if brk:
    w("## Where one validation's time goes (max-quantity, plain loop)")
    w("")
    w("The engine's own clock (`Run::instantiate_time`, `Run::duration`) against the wall clock")
    w("around the all-in call; p50 of the loop. `call + result` is `instantiate + call` minus")
    w("`instantiate`, and includes the plugin's reads of the order; what is left of all-in is")
    w("creating the order's view, dropping the store and returning the instance's pool slot.")
    w("")
    w("| lines | all-in | instantiate | call + result | rest (view, drop) | fuel | peak memory |")
    w("| --- | --- | --- | --- | --- | --- | --- |")
    for n, b in brk.get("sizes", {}).items():
        allin = b["allIn"]["p50Us"]
        ins = b["instantiate"]["p50Us"]; run = b["instantiatePlusCall"]["p50Us"]
        w(f"| {n} | {allin:.2f} µs | {ins:.2f} µs | {run-ins:.2f} µs | {allin-run:.2f} µs | {b['fuelConsumed']:,} | {b['memoryPeakBytes']/1024:.0f} KiB |")
    w("")
if lat:
    w("## Full mutation latency (plain loop)")
    w("")
    w("| configuration | mean | p50 | p90 | p99 | max |")
    w("| --- | --- | --- | --- | --- | --- |")
    for key, label in [("full", "5 validations + 3 hooks + 100 notifications"), ("noPlugins", "no plugins, 100 notifications"), ("noNotifications", "5 validations + 3 hooks, no notifications")]:
        s = lat.get(key)
        if s:
            w(f"| {label} | {s['meanUs']:.1f} µs | {s['p50Us']:.1f} µs | {s['p90Us']:.1f} µs | {s['p99Us']:.1f} µs | {s['maxUs']:.1f} µs |")
    w("")
    tr = lat.get("exampleTrace", {}).get("plugins", [])
    if tr:
        w(f"Plugin runs in one full mutation (from its trace): {len(tr)}.")
        w("")
        w("| plugin | kind | depth | verdict | instantiate | total |")
        w("| --- | --- | --- | --- | --- | --- |")
        for p in tr:
            verdict = p.get("verdict")
            if isinstance(verdict, dict):
                verdict = ", ".join(f"{k}: {x}" for k, x in verdict.items())
            def fmt(x):
                return "n/a" if x is None else f"{float(x):.1f} µs"
            inst_us = p.get("instantiateUs", p.get("instantiateTime"))
            tot_us = p.get("durationUs", p.get("duration"))
            w(f"| {p.get('plugin')} | {p.get('kind')} | {p.get('depth', '')} | {verdict} | {fmt(inst_us)} | {fmt(tot_us)} |")
        w("")
if rest:
    w("## Restart phases (plain loop, p50)")
    w("")
    w(f"100 installs: {rest.get('diskCacheHits')} from the disk cache, {rest.get('memoryCacheHits')} shared in memory.")
    w("")
    w("| phase | p50 | max |")
    w("| --- | --- | --- |")
    for key, label in [("hostBuild", "build the host (engine, pool, deadline thread)"), ("install100", "install 100 plugins"), ("firstMutation", "first mutation (create a 20-line order, 100 validations)")]:
        s = rest.get(key)
        if s:
            w(f"| {label} | {us(s['p50Us'])} | {us(s['maxUs'])} |")
    w("")
w("Criterion's HTML report (plots per benchmark) is in `target/criterion/report/index.html`.")
w("")
out = os.path.join(os.getcwd(), "benches", "RESULTS.md")
with open(out, "w") as f:
    f.write("\n".join(lines))
print(f"wrote {out}")
PY
