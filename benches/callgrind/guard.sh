#!/usr/bin/env bash
# The instruction-count guard on the hot paths (benches/benches/callgrind.rs): installs
# valgrind and gungraun's runner when missing, then runs the four benchmarks under
# callgrind; the run fails when a benchmark's instructions exceed its ceiling in
# benches/callgrind/ceilings.json. `.ci/run` calls it; refresh.sh uses it to re-measure.
#
#   bash benches/callgrind/guard.sh [extra arguments for the gungraun runner]
#
# The benchmarks are built with the `dev` profile (dependencies at opt-level 2, the
# workspace's crates unoptimized, as the tests are): CI builds that profile anyway, so the
# guard adds about a minute of building instead of a release build of wasmtime. The
# ceilings are kept per profile; CALLGRIND_PROFILE=release measures the release build.
set -euo pipefail
cd "$(dirname "$0")/../.."

profile=${CALLGRIND_PROFILE:-dev}

if ! command -v valgrind >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind
fi
# The runner must be the version of the `gungraun` crate in Cargo.lock.
version=$(awk '$0 == "name = \"gungraun\"" { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
if [[ -z $version ]]; then
    echo "gungraun is not in Cargo.lock" >&2
    exit 2
fi
if [[ "$(gungraun-runner --version 2>/dev/null || true)" != *"$version"* ]]; then
    cargo install --locked "gungraun-runner@$version"
fi

cargo bench --locked --profile "$profile" -p ordergate-benches --features callgrind \
    --bench callgrind -- "$@"
