#!/usr/bin/env bash
# bench-shards.sh: what 1, 2 and 3 local shard processes of one scenario
# achieve against one external broker (make bench-shards).
#
# Starts one `prodbench broker` process (the embedded kfake stand-in,
# discarding data), then for N in SHARDS runs N shard processes of
# SCENARIO concurrently (--shard I/N, one common --start-at a few seconds
# ahead), merges them with `prodbench merge`, and prints one table row per
# N: achieved msg/s of the merged result (acked, after warmup) and its
# acked-latency p99, with the machine (nproc, CPU model), commit and date.
#
# The default scenario, peer-100b, is a closed loop (rate profile max)
# with a duration, so each shard runs at its own maximum: N shards offer
# up to N times one process's load. Broker and shards share the machine's
# CPUs: on a 2-core machine the table shows where the CPUs, not the
# shards, set the limit. Compare rows of one run with each other.
#
# Environment:
#   SCENARIO=scenarios/peer-100b.yaml
#   SHARDS="1 2 3"
#   DURATION=                 override the runs' duration (warmup included)
#   LEAD=3                    seconds between launching the shards and --start-at
#   OUT=results/bench-shards-<UTC>
#   GO=go
#
# Exit status: 0 when every shard and merge succeeded; otherwise the first
# failing command's status.
set -euo pipefail

cd "$(dirname "$0")/.."

GO=${GO:-go}
SCENARIO=${SCENARIO:-scenarios/peer-100b.yaml}
SHARDS=${SHARDS:-"1 2 3"}
DURATION=${DURATION:-}
LEAD=${LEAD:-3}
OUT=${OUT:-results/bench-shards-$(date -u +%Y%m%dT%H%M%SZ)}
BIN=bin/prodbench

for n in $SHARDS; do
	case $n in
	'' | *[!0-9]* | 0) echo "bench-shards: SHARDS must list positive integers, got '$n'" >&2; exit 2 ;;
	esac
done

echo "bench-shards: building $BIN" >&2
$GO build -o "$BIN" ./cmd/prodbench
mkdir -p "$OUT"

"$BIN" broker --listen 127.0.0.1:0 2>"$OUT/broker.log" &
broker=$!
trap 'kill -INT $broker 2>/dev/null || true; wait $broker 2>/dev/null || true' EXIT
addr=
for _ in $(seq 50); do
	addr=$(sed -n 's#.*listening on kafka://\([^ ]*\).*#\1#p' "$OUT/broker.log")
	[ -n "$addr" ] && break
	sleep 0.1
done
if [ -z "$addr" ]; then
	echo "bench-shards: the broker did not start:" >&2
	cat "$OUT/broker.log" >&2
	exit 1
fi
echo "bench-shards: broker at $addr" >&2

# field FILE SECTION KEY: the first "KEY" value after the line "SECTION": {
# in an indented result.json.
field() {
	awk -v sec="\"$2\": {" -v key="\"$3\":" '
		index($0, sec) == 3 { in_sec = 1; next }
		in_sec && index($0, key) { v = $2; sub(/,$/, "", v); print v; exit }
	' "$1"
}

dur=()
[ -n "$DURATION" ] && dur=(--duration "$DURATION")
rows=()
for n in $SHARDS; do
	at=$(date -u -d "+$LEAD sec" +%Y-%m-%dT%H:%M:%SZ)
	pids=()
	dirs=()
	for ((i = 0; i < n; i++)); do
		d="$OUT/n$n/shard-$i"
		dirs+=("$d")
		"$BIN" run "$SCENARIO" --brokers "$addr" --quiet "${dur[@]}" --shard "$i/$n" --start-at "$at" \
			--out "$d" >"$OUT/n$n-shard-$i.log" 2>&1 &
		pids+=($!)
	done
	for ((i = 0; i < n; i++)); do
		# a verdict exit status (e.g. a threshold) still writes the result
		wait "${pids[$i]}" || [ -f "${dirs[$i]}/result.json" ] || {
			echo "bench-shards: shard $i/$n failed:" >&2
			cat "$OUT/n$n-shard-$i.log" >&2
			exit 1
		}
	done
	r="$OUT/n$n/merged/result.json"
	if [ "$n" -eq 1 ]; then
		# one shard is the whole run: no shard block, nothing to merge
		r="${dirs[0]}/result.json"
	elif ! "$BIN" merge "${dirs[@]}" --out "$OUT/n$n/merged" >"$OUT/n$n-merge.log" 2>&1; then
		# a verdict exit status still writes the merged result
		[ -f "$r" ] || { cat "$OUT/n$n-merge.log" >&2; exit 1; }
	fi
	rate=$(field "$r" throughput msgs_per_sec)
	p99=$(field "$r" latency p99_ns)
	sat=$(grep -q '"saturated": true' "$r" && echo yes || echo no)
	rows+=("$(printf '| %d | %.0f | %.3f | %s |' "$n" "$rate" "$(echo "$p99" | awk '{print $1/1e6}')" "$sat")")
	echo "bench-shards: $n shard(s): $(printf '%.0f' "$rate") msg/s" >&2
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
{
	echo "$(basename "$SCENARIO" .yaml), 1 external prodbench broker, local shard processes (--start-at), merged"
	echo "machine: nproc $(nproc), ${cpu:-unknown CPU}; commit $commit; $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo
	echo "| shards | achieved msg/s (merged) | p99 ms | generator saturated |"
	echo "|---:|---:|---:|:---|"
	printf '%s\n' "${rows[@]}"
} | tee "$OUT/summary.md"
