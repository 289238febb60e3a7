#!/usr/bin/env bash
# bench-ab.sh: compare two builds of prodbench on this machine (make
# bench-ab BASE=<rev>).
#
# Builds BASE (a git revision: a branch, tag or commit; checked out in a
# temporary git worktree) and the current work tree (HEAD plus local
# changes), then runs SCENARIO with each build alternately, A B A B ...,
# COUNT times each, so that drift in the machine's load hits both builds
# alike. Every run starts its own embedded broker inside the prodbench
# process, on this same machine: the two sides differ only in the build.
# Finally `prodbench compare --baseline A B` judges B (the work tree)
# against A (BASE) with the Mann-Whitney test; its exit status is this
# script's (1 on a significant regression).
#
# This replaces comparing a CI runner's numbers with the committed
# baselines of results/baselines/, which were recorded on another machine
# (compare --baseline warns then: MACHINE MISMATCH).
#
# Environment:
#   BASE                      required: the revision to compare against
#   SCENARIO=scenarios/ci-quick.yaml
#   COUNT=5                   runs per side (at least 5 for the test to
#                             have a chance of significance)
#   LIMITS="--max-regression throughput=5% --max-regression p99=10%"
#   FORMAT=markdown           compare's --format (text, markdown, json)
#   OUT=results/bench-ab-<UTC> where A/rep-N, B/rep-N and verdict go
#   GO=go
#
# Exit status: 2 on bad input, 1 when a build or run failed or B regressed,
# 0 otherwise.
set -euo pipefail

cd "$(dirname "$0")/.."

GO=${GO:-go}
BASE=${BASE:-}
SCENARIO=${SCENARIO:-scenarios/ci-quick.yaml}
COUNT=${COUNT:-5}
LIMITS=${LIMITS:-"--max-regression throughput=5% --max-regression p99=10%"}
FORMAT=${FORMAT:-markdown}
OUT=${OUT:-results/bench-ab-$(date -u +%Y%m%dT%H%M%SZ)}

if [ -z "$BASE" ]; then
	echo "bench-ab: BASE is required, e.g. make bench-ab BASE=origin/main" >&2
	exit 2
fi
case $COUNT in
'' | *[!0-9]*) echo "bench-ab: COUNT must be a whole number, got '$COUNT'" >&2; exit 2 ;;
esac
if [ "$COUNT" -lt 5 ]; then
	echo "bench-ab: COUNT must be at least 5, got $COUNT" >&2
	exit 2
fi
if [ ! -f "$SCENARIO" ]; then
	echo "bench-ab: $SCENARIO: no such scenario file" >&2
	exit 2
fi
if ! git rev-parse --verify --quiet "$BASE^{commit}" > /dev/null; then
	echo "bench-ab: BASE $BASE is not a git revision here" >&2
	exit 2
fi

tmp=$(mktemp -d)
wt="$tmp/base"
cleanup() {
	git worktree remove --force "$wt" > /dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$OUT"
BIN_A="$tmp/prodbench-a"
BIN_B="$tmp/prodbench-b"
echo "bench-ab: building A = $BASE ($(git rev-parse --short "$BASE^{commit}"))" >&2
git worktree add --detach --quiet "$wt" "$BASE"
(cd "$wt" && $GO build -o "$BIN_A" ./cmd/prodbench)
echo "bench-ab: building B = work tree ($(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ', with local changes'))" >&2
$GO build -o "$BIN_B" ./cmd/prodbench

for i in $(seq 1 "$COUNT"); do
	for side in A B; do
		bin=$BIN_A
		[ "$side" = B ] && bin=$BIN_B
		dir="$OUT/$side/rep-$i"
		mkdir -p "$OUT/$side"
		echo "bench-ab: run $i of $COUNT, side $side" >&2
		rc=0
		"$bin" run "$SCENARIO" --quiet --out "$dir" > "$dir.log" 2>&1 || rc=$?
		# 99 (a threshold or the error budget) still wrote a result to
		# compare; anything else is a failed run.
		if [ "$rc" -ne 0 ] && [ "$rc" -ne 99 ]; then
			echo "bench-ab: side $side run $i failed (exit $rc); see $dir.log" >&2
			exit 1
		fi
	done
done

rc=0
# shellcheck disable=SC2086 # LIMITS is a list of flags
"$BIN_B" compare --baseline "$OUT/A" "$OUT/B" $LIMITS --format "$FORMAT" > "$OUT/verdict.$FORMAT" || rc=$?
cat "$OUT/verdict.$FORMAT"
echo "bench-ab: A = $BASE, B = work tree; runs and verdict in $OUT" >&2
exit "$rc"
