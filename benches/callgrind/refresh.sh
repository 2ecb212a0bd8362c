#!/usr/bin/env bash
# Re-measures the hot paths under callgrind and rewrites benches/callgrind/ceilings.json:
# each benchmark's ceiling is its instruction count (callgrind's `Ir`) plus MARGIN percent
# (default 3). Run it on main after changes that legitimately move a hot path, and commit
# the file.
#
#   bash benches/callgrind/refresh.sh        # the `dev` profile, as CI checks (≈ 5 min)
#   CALLGRIND_PROFILE=release bash benches/callgrind/refresh.sh
#   bash benches/callgrind/refresh.sh --from FILE   # from a saved run's JSON output
#                                                   # (guard.sh --output-format=json)
#
# Why 3 %: the instruction counts of these benchmarks moved by at most 0.03 % between two
# runs of the same build (random ids and hash seeds), so anything above is a change of the
# code; 3 % lets small, deliberate costs through without a refresh while catching the
# regressions worth a look (one more clone or serialization of the order is far more).
set -euo pipefail
cd "$(dirname "$0")/../.."

profile=${CALLGRIND_PROFILE:-dev}
margin=${MARGIN:-3}
if [[ "${1:-}" == "--from" ]]; then
    out=$2
else
    out=$(mktemp)
    trap 'rm -f "$out"' EXIT
    ORDERGATE_CALLGRIND_REFRESH=1 CALLGRIND_PROFILE=$profile \
        bash benches/callgrind/guard.sh --output-format=json --nosummary >"$out"
fi

PROFILE=$profile MARGIN=$margin SUMMARY=$out python3 - <<'PY'
import json, math, os

profile, margin = os.environ["PROFILE"], float(os.environ["MARGIN"])
measured = {}
with open(os.environ["SUMMARY"]) as f:
    for line in f:
        line = line.strip()
        if not line.startswith("{"):
            continue
        summary = json.loads(line)
        name = summary["function_name"]
        # Every thread of the run summed (the epoch ticker's count is 0: it runs outside
        # the benchmark function).
        try:
            ir = summary["profiles"][0]["data"]["total"]["metrics"]["Ir"]["values"]["new"]
        except (KeyError, IndexError, TypeError):
            raise SystemExit(f"no Ir in the summary of {name}: {line[:300]}")
        measured[name] = ir

path = "benches/callgrind/ceilings.json"
with open(path) as f:
    ceilings = json.load(f)
ceilings.setdefault("ceilings", {})[profile] = {
    name: math.ceil(ir * (1 + margin / 100)) for name, ir in sorted(measured.items())
}
ceilings.setdefault("measured", {})[profile] = dict(sorted(measured.items()))
ceilings["note"] = (
    "Instructions (callgrind Ir) per benchmark of benches/benches/callgrind.rs, per build "
    "profile: `measured` is the last refresh, `ceilings` that plus the margin. Written by "
    "`bash benches/callgrind/refresh.sh`; the guard fails a run above a ceiling."
)
ceilings["marginPercent"] = margin
with open(path, "w") as f:
    json.dump(ceilings, f, indent=2)
    f.write("\n")
for name, ir in sorted(measured.items()):
    print(f"{name}: {ir:,} instructions → ceiling {ceilings['ceilings'][profile][name]:,}")
PY
