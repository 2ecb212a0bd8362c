#!/usr/bin/env bash
# The service under load: `ordergate serve` (release) on 127.0.0.1 with three plugins that
# run on every cart change, then wrk against `PUT …/orders/{id}/cart` (a 5-line cart) and
# `GET …/orders/{id}`. See benches/HTTP.md for what it measures and the recorded numbers.
#
#   bash benches/http/load.sh [sqlite|postgres]
#
# Settings (environment): CONNECTIONS (32), THREADS (2), DURATION (20s), WARMUP (3s),
# ORDERS (1: every request goes to one order, so the changes queue behind that order's
# lock; N spreads them over N orders);
# ORDERGATE_TEST_POSTGRES for postgres (a fresh schema is created in it and dropped after),
# PG_SETTINGS for the server's sessions (`synchronous_commit=off …`, to see what a setting
# changes);
# ORDERGATE_BIN=FILE runs that `ordergate` binary instead of building one (two binaries back
# to back: what a change gives, measured in one session);
# PLUGINS=DIR takes the example plugins from DIR (written by `cargo run --release -p
# ordergate-test-support --example export -- DIR`) instead of exporting them;
# SUMMARY=FILE also writes the results as JSON to FILE (benches/report.sh reads it):
#   {"store":"sqlite","orders":1,"put":{"rps":…,"p50_ms":…,"p90_ms":…,"p99_ms":…,
#    "non2xx":…,"socket_errors":…,"server_cpu_us":…},"get":{…the same…}}
#   (server_cpu_us: the server's CPU time per request, user and system, in µs);
# PERF_OUT=FILE records the server with `perf record` during the measured PUT run and
# writes FILE (perf data) and FILE.txt (its CPU time by part: benches/http/categorize.py).
# Exits non-zero when a run answered anything but 2xx or lost a connection: such a run is
# not a result.
set -euo pipefail

db=${1:-sqlite}
case $db in
sqlite | postgres) ;;
*)
    echo "usage: $0 [sqlite|postgres]" >&2
    exit 2
    ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
duration=${DURATION:-20s}
warmup=${WARMUP:-3s}
order_count=${ORDERS:-1}
merchant=load
channel=b2c
key="load-$RANDOM$RANDOM"
orders=/api/v0/checkout/orders

if ! command -v wrk >/dev/null; then
    echo "== installing wrk (apt-get)"
    apt-get install -y wrk >/dev/null
fi
for tool in curl jq; do
    command -v "$tool" >/dev/null || {
        echo "$tool is needed" >&2
        exit 2
    }
done

work=$(mktemp -d -t ordergate-load.XXXXXX)
server_pid=
schema=
pg_url=${ORDERGATE_TEST_POSTGRES:-postgres://ordergate:ordergate@127.0.0.1:5432/ordergate}
cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        # A graceful shutdown is part of what is checked: say so when it was not one.
        kill -TERM "$server_pid"
        local status=0
        wait "$server_pid" || status=$?
        if [[ $status != 0 ]]; then
            echo "== the server exited with status $status on SIGTERM; the end of its log:" >&2
            tail -n 20 "$work/server.log" >&2
        fi
    fi
    if [[ -n $schema ]]; then
        PGOPTIONS='-c client_min_messages=warning' \
            psql "$pg_url" -qc "drop schema if exists $schema cascade" >/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

if [[ -n ${ORDERGATE_BIN:-} ]]; then
    echo "== using $ORDERGATE_BIN; exporting the example plugins"
    exe=$ORDERGATE_BIN
else
    echo "== building ordergate (release) and exporting the example plugins"
    exe=$(cd "$repo" && cargo build --release -p ordergate-cli --bin ordergate \
        --message-format=json-render-diagnostics |
        jq -r 'select(.reason == "compiler-artifact" and .executable != null) | .executable')
fi
# The shared target dir may be rebuilt by others while this runs: work on a copy.
cp "$exe" "$work/ordergate"
if [[ -n ${PLUGINS:-} ]]; then
    cp -r "$PLUGINS" "$work/plugins"
else
    (cd "$repo" && cargo run --release -q -p ordergate-test-support --example export -- "$work/plugins") >/dev/null
fi

db_args=(--data-dir "$work/data")
if [[ $db == postgres ]]; then
    schema="load_$(date +%s)_$$"
    psql "$pg_url" -v ON_ERROR_STOP=1 -qc "create schema $schema"
    sep='?'
    [[ $pg_url == *\?* ]] && sep='&'
    options="-c%20search_path%3D${schema}"
    for setting in ${PG_SETTINGS:-}; do
        options+="%20-c%20${setting//=/%3D}"
    done
    db_args+=(--database-url "${pg_url}${sep}options=${options}")
fi

echo "== starting ordergate serve ($db)"
ORDERGATE_API_KEYS="$merchant:$key" "$work/ordergate" serve --listen 127.0.0.1:0 \
    --no-delivery "${db_args[@]}" 2>"$work/server.log" &
server_pid=$!
base=
for _ in $(seq 1 300); do
    base=$(sed -n 's/.*listening on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$work/server.log" | head -n 1)
    [[ -n $base ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if [[ -z $base ]]; then
    echo "the server did not start:" >&2
    cat "$work/server.log" >&2
    exit 1
fi
echo "   $base (pid $server_pid)"

# call METHOD PATH EXPECTED_STATUS [curl args…]: the answer's body on stdout, or fail.
call() {
    local method=$1 path=$2 expected=$3
    shift 3
    local status
    status=$(curl -sS -o "$work/answer" -w '%{http_code}' -X "$method" \
        -H "x-merchant: $merchant" -H "x-channel: $channel" -H "Authorization: $key" \
        "$@" "$base$path")
    if [[ $status != "$expected" ]]; then
        echo "$method $path answered $status, not $expected:" >&2
        cat "$work/answer" >&2
        echo >&2
        exit 1
    fi
    cat "$work/answer"
}

# upload ID FILE MANIFEST_JSON
upload() {
    printf '%s' "$3" >"$work/manifest-$1.json"
    call PUT "/api/v0/checkout/plugins/$1" 201 \
        -F "manifest=<$work/manifest-$1.json;type=application/json" \
        -F "module=@$2;type=application/wasm" |
        jq -r '"   \(.id) v\(.version) (\(.kind), \(.size) bytes, loaded in \(.loadUs) µs)"'
}

echo "== uploading the plugins that run on cart changes"
upload max-quantity "$work/plugins/max_quantity.wasm" \
    '{"kind": "validation", "subscribeTo": ["cart"], "config": {"maxQuantity": 10}}'
upload three-for-two "$work/plugins/three_for_two.wasm" \
    '{"kind": "hook", "subscribeTo": ["cart"], "priority": 10, "config": {}}'
upload free-shipping "$work/plugins/free_shipping.wasm" \
    '{"kind": "hook", "subscribeTo": ["cart"], "priority": 20, "config": {"threshold": 500.0}}'

cart_paths=()
order_paths=()
for _ in $(seq 1 "$order_count"); do
    order_id=$(call POST "$orders" 201 -H 'Content-Type: application/json' -d '{}' | jq -r .id)
    cart_paths+=("$orders/$order_id/cart")
    order_paths+=("$orders/$order_id")
done
echo "== $order_count order(s); one traced cart change shows what every PUT runs:"
call PUT "${cart_paths[0]}?trace=true" 200 -H 'Content-Type: application/json' \
    --data-binary "@$here/cart.json" |
    jq -r '"   plugin runs: \([.trace.plugins[]? | .plugin] | join(", "))",
           "   cart discounts: \([.order.cart.discounts[]? | .code] | join(", "))",
           "   cart total: \(.order.cart.total.includingVat)"'

# The server's CPU time so far (user and system), in clock ticks.
server_cpu_ticks() {
    awk '{print $14 + $15}' "/proc/$server_pid/stat"
}

results=()
# The JSON summary's members, "put" and "get", filled by measure.
summaries=()
failed=0
# measure LABEL METHOD PATHS [BODY_FILE]
measure() {
    local label=$1 method=$2 paths=$3 body=${4:-}
    export OG_METHOD=$method OG_PATHS=$paths OG_BODY_FILE=$body
    export OG_MERCHANT=$merchant OG_CHANNEL=$channel OG_KEY=$key
    local wrk_args=(-t "$threads" -c "$connections" --timeout 10s -s "$here/request.lua")
    echo "== $label: warm-up $warmup"
    wrk "${wrk_args[@]}" -d "$warmup" "$base" | { grep -E '^(RESULT|FIRST-FAILURE)' || true; } | sed 's/^/   /'
    echo "== $label: $duration, $connections connections, $threads threads"
    local perf_pid=
    if [[ -n ${PERF_OUT:-} && $method == PUT ]]; then
        perf record -q -e cpu-clock -F 499 --call-graph dwarf,16384 -p "$server_pid" \
            -o "$PERF_OUT" 2>"$work/perf.log" &
        perf_pid=$!
    fi
    local cpu_before
    cpu_before=$(server_cpu_ticks)
    wrk "${wrk_args[@]}" -d "$duration" --latency "$base" | tee "$work/wrk.out"
    local cpu_ticks=$(($(server_cpu_ticks) - cpu_before))
    if [[ -n $perf_pid ]]; then
        kill -INT "$perf_pid"
        wait "$perf_pid" || true
        # Symbols are resolved now, while the copied binary still exists.
        perf script -i "$PERF_OUT" -F comm,tid,ip,sym 2>/dev/null |
            python3 "$here/categorize.py" >"$PERF_OUT.txt"
        echo "   perf: $PERF_OUT; where the time went:"
        sed 's/^/   /' "$PERF_OUT.txt"
    fi
    local line
    line=$(grep '^RESULT ' "$work/wrk.out" || true)
    if [[ -z $line ]]; then
        echo "wrk printed no result" >&2
        failed=1
        return
    fi
    local -A r
    for kv in ${line#RESULT }; do r[${kv%%=*}]=${kv#*=}; done
    # The server's CPU time per request: what a change saves, readable even when the
    # machine is too busy for the rates to compare between runs.
    local cpu_us=$((cpu_ticks * 1000000 / $(getconf CLK_TCK) / (r[requests] > 0 ? r[requests] : 1)))
    results+=("| $db | $order_count | $label | ${r[requests]} | ${r[req_s]} | ${r[p50_ms]} | ${r[p90_ms]} | ${r[p99_ms]} | ${r[max_ms]} | $cpu_us | ${r[non2xx]} | ${r[socket_errors]} |")
    summaries+=("$(jq -cn --arg key "$(tr '[:upper:]' '[:lower:]' <<<"$method")" \
        --argjson rps "${r[req_s]}" --argjson p50 "${r[p50_ms]}" --argjson p90 "${r[p90_ms]}" \
        --argjson p99 "${r[p99_ms]}" --argjson non2xx "${r[non2xx]}" \
        --argjson socket_errors "${r[socket_errors]}" --argjson cpu_us "$cpu_us" \
        '{($key): {rps: $rps, p50_ms: $p50, p90_ms: $p90, p99_ms: $p99, non2xx: $non2xx, socket_errors: $socket_errors, server_cpu_us: $cpu_us}}')")
    if [[ ${r[non2xx]} != 0 || ${r[socket_errors]} != 0 ]]; then
        echo "   NOT A RESULT: ${r[non2xx]} answers not 2xx, ${r[socket_errors]} socket errors" >&2
        failed=1
    fi
}

measure "PUT cart" PUT "${cart_paths[*]}" "$here/cart.json"
measure "GET order" GET "${order_paths[*]}"

echo "== plugin runs counted by the server"
call GET /metrics 200 | grep '^ordergate_plugin_runs_total' | sed 's/^/   /' || true
echo "== the order after the run"
call GET "${order_paths[0]}" 200 |
    jq -r '"   cart discounts: \([.cart.discounts[]? | .code] | join(", ")), lines: \(.cart.items | length)"'

echo
echo "| store | orders | request | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | server CPU µs/req | non-2xx | socket errors |"
echo "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${results[@]}"
echo "($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
if [[ -n ${SUMMARY:-} ]]; then
    printf '%s\n' "${summaries[@]}" |
        jq -cs --arg store "$db" --argjson orders "$order_count" \
            '{store: $store, orders: $orders} + add' >"$SUMMARY"
    echo "summary: $SUMMARY"
fi
exit "$failed"
