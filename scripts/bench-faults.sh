#!/usr/bin/env bash
# bench-faults.sh: the README "Faults" worked example in one command.
#
# Runs scenarios/faults-leader-moves.yaml (leaders moved every 2 s on the
# embedded 3-broker cluster) and the same scenario with 1% of produce
# requests answered REQUEST_TIMED_OUT after the write, each with the
# idempotent producer on and off, ROUNDS times, alternated (A B C D A B C D)
# so that drift in the machine's load hits every side alike. Every run has
# --verify: the topic is read back and lost, duplicated and reordered
# records are counted. Prints a Markdown table (one row per run) with the
# machine and commit.
#
#   make bench-faults            # or: ROUNDS=3 OUT=/tmp/f scripts/bench-faults.sh
#
#   ROUNDS   rounds (default 2)
#   OUT      output directory (default results/bench-faults-<UTC>)
#   GO       go command (default go)
#
# Needs jq to read result.json. A run that exits 99 (degraded) still
# counts: its result.json is read; any other failure stops the script.
set -euo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
ROUNDS=${ROUNDS:-2}
OUT=${OUT:-results/bench-faults-$(date -u +%Y%m%dT%H%M%SZ)}
case $ROUNDS in
'' | *[!0-9]* | 0) echo "bench-faults: ROUNDS must be a positive integer, got '$ROUNDS'" >&2; exit 2 ;;
esac
command -v jq >/dev/null || { echo "bench-faults: needs jq (apt-get install jq)" >&2; exit 2; }

mkdir -p "$OUT"
BIN="$OUT/prodbench"
echo "bench-faults: building $BIN" >&2
"$GO" build -o "$BIN" ./cmd/prodbench

moves=scenarios/faults-leader-moves.yaml
timeouts="$OUT/faults-leader-moves-timeouts.yaml"
sed -e 's/^name: faults-leader-moves$/name: faults-leader-moves-timeouts/' "$moves" >"$timeouts"
printf '    - {kind: error, error: REQUEST_TIMED_OUT, rate: 1%%}\n' >>"$timeouts"

sides=("moves on" "moves off" "timeouts on" "timeouts off")
rows=()
for ((r = 1; r <= ROUNDS; r++)); do
	for side in "${sides[@]}"; do
		read -r which idem <<<"$side"
		scen=$moves
		[ "$which" = timeouts ] && scen=$timeouts
		args=()
		[ "$idem" = off ] && args=(--producer-prop enable.idempotence=false)
		d="$OUT/$which-$idem-$r"
		echo "bench-faults: round $r: $which, idempotence $idem" >&2
		rc=0
		"$BIN" run "$scen" --verify --quiet --out "$d" "${args[@]}" >"$d.log" 2>&1 || rc=$?
		if [ ! -f "$d/result.json" ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 99 ] && [ "$rc" -ne 1 ]; }; then
			echo "bench-faults: run failed (exit $rc):" >&2
			cat "$d.log" >&2
			exit 1
		fi
		rows+=("$(jq -r --arg which "$which" --arg idem "$idem" --arg rc "$rc" '
			def ms: . / 1e6 | (. * 10 | round) / 10;
			"| \($which) | \($idem) | \(.counts.acked) / \(.counts.sent) | \(.counts.failed) | \(.producer.retries) | " +
			"\([.faults[]?.count] | map(tostring) | join(" + ")) | " +
			"\(.verify.total.lost) | \(.verify.total.duplicated) | \(.verify.total.reordered) | " +
			"\(.latency.p50_ns | ms) | \(.latency.p99_ns | ms) | \(.status) (\($rc)) |"' "$d/result.json")")
	done
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
{
	echo "faults-leader-moves (+ REQUEST_TIMED_OUT 1% after the write), --verify, $ROUNDS round(s) alternated"
	echo "machine: nproc $(nproc), ${cpu:-unknown CPU}; commit $commit; $(date -u +%Y-%m-%dT%H:%MZ); load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "| faults | idempotence | acked / sent (measured window) | failed | retries | faults fired | lost | duplicated | reordered | p50 ms | p99 ms | status (exit) |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
	printf '%s\n' "${rows[@]}"
} | tee "$OUT/summary.md"
