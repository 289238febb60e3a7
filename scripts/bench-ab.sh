#!/usr/bin/env bash
# bench-ab.sh: is this change slower? Builds prodbench at BASE (a git
# revision) and from the working tree (HEAD plus uncommitted changes),
# starts ONE embedded broker process (`prodbench broker`, data discarded),
# runs SCENARIO against it with the two builds alternated, A B A B ...
# (COUNT runs each, so that drift in the machine's load hits both sides
# alike), then judges the head against the base with
# `prodbench compare --baseline` (two-sided Mann-Whitney U per metric, as
# benchstat; see `prodbench help compare`). Both sides run on the same
# machine against the same broker, so a different CPU can neither read as
# a regression nor hide one — unlike comparing with baselines committed
# from another machine (results/baselines/, make bench-regress).
#
#   make bench-ab BASE=main
#   BASE=HEAD~3 COUNT=7 SCENARIO=scenarios/quickstart.yaml scripts/bench-ab.sh
#
# Environment:
#   BASE        git revision of the baseline build (required)
#   SCENARIO    scenario file (default scenarios/ci-quick.yaml); the base
#               build runs the working tree's copy of it
#   COUNT       runs per side (default 5; at least 4 for a significance test)
#   LIMITS      compare limits (default "--max-regression throughput=5%
#               --max-regression p99=10%")
#   OUT         output directory (default results/bench-ab-<UTC>): base/rep-N,
#               head/rep-N, verdict.md, broker.log
#   GO          go command (default go)
#
# Exit status: compare's (0 no regression, 1 regression, 2 usage), or the
# status of the first failing build or run.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
BASE=${BASE:-}
SCENARIO=${SCENARIO:-scenarios/ci-quick.yaml}
COUNT=${COUNT:-5}
LIMITS=${LIMITS:-"--max-regression throughput=5% --max-regression p99=10%"}
OUT=${OUT:-results/bench-ab-$(date -u +%Y%m%dT%H%M%SZ)}

if [ -z "$BASE" ]; then
	echo "bench-ab: set BASE to the git revision to compare against, e.g. make bench-ab BASE=main" >&2
	exit 2
fi
case $COUNT in
'' | *[!0-9]* | 0) echo "bench-ab: COUNT must be a positive integer, got '$COUNT'" >&2; exit 2 ;;
esac
if [ ! -f "$SCENARIO" ]; then
	echo "bench-ab: scenario $SCENARIO: no such file" >&2
	exit 2
fi
base_rev=$(git rev-parse --verify --quiet "$BASE^{commit}") || {
	echo "bench-ab: BASE $BASE is not a git revision here" >&2
	exit 2
}

tmp=$(mktemp -d)
broker_pid=
cleanup() {
	if [ -n "$broker_pid" ]; then kill "$broker_pid" 2>/dev/null || true; wait "$broker_pid" 2>/dev/null || true; fi
	git worktree remove --force "$tmp/base-src" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$OUT/base" "$OUT/head"
echo "bench-ab: building base $BASE ($base_rev)" >&2
git worktree add --quiet --detach "$tmp/base-src" "$base_rev"
(cd "$tmp/base-src" && $GO build -o "$tmp/prodbench-base" ./cmd/prodbench)
echo "bench-ab: building head (working tree of $(git rev-parse --short HEAD))" >&2
$GO build -o "$tmp/prodbench-head" ./cmd/prodbench

# One broker for every run: the head build's, on a free port it reports.
"$tmp/prodbench-head" broker --listen 127.0.0.1:0 >"$OUT/broker.log" 2>&1 &
broker_pid=$!
addr=
for _ in $(seq 1 100); do
	addr=$(grep -o 'kafka://[0-9.:]*' "$OUT/broker.log" | head -1 | sed 's#kafka://##') || true
	[ -n "$addr" ] && break
	if ! kill -0 "$broker_pid" 2>/dev/null; then
		echo "bench-ab: the broker exited: $(cat "$OUT/broker.log")" >&2
		exit 1
	fi
	sleep 0.1
done
if [ -z "$addr" ]; then
	echo "bench-ab: the broker did not report its address within 10 s (see $OUT/broker.log)" >&2
	exit 1
fi
echo "bench-ab: broker at $addr; $COUNT runs a side of $SCENARIO, alternated" >&2

for i in $(seq 1 "$COUNT"); do
	for side in base head; do
		echo "bench-ab: run $i/$COUNT $side" >&2
		"$tmp/prodbench-$side" run "$SCENARIO" --brokers "$addr" --quiet --out "$OUT/$side/rep-$i" >/dev/null
	done
done

rc=0
# shellcheck disable=SC2086 # LIMITS is a list of flags
"$tmp/prodbench-head" compare --baseline "$OUT/base" "$OUT/head" $LIMITS --format markdown \
	--out "$OUT/compare" >"$OUT/verdict.md" || rc=$?
{
	echo
	echo "base: $BASE ($base_rev); head: $(git rev-parse HEAD)$(git diff --quiet HEAD -- . ':!results' || echo ' + uncommitted changes')"
	echo "machine: $(nproc) CPU, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//'), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >>"$OUT/verdict.md"
cat "$OUT/verdict.md"
echo "bench-ab: results in $OUT (exit $rc)" >&2
exit $rc
