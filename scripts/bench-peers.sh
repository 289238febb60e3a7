#!/usr/bin/env bash
# bench-peers.sh: compare prodbench's producer engines (native and franz-go)
# at full speed, with one tool and one report (make bench-peers).
#
# For each scenario (peer-100b, peer-1k: max rate, 6 partitions, acks all)
# and each codec (lz4, none), runs `prodbench run` with --engine native and
# --engine franz-go alternately, PAIRS times (A B A B A B, so that drift in
# the machine's load hits both engines alike), then prints per (scenario,
# codec) the median msg/s and MB/s of each engine, the ratio native /
# franz-go, the machine and the commit (scripts/peersum).
#
# Each run starts its own embedded broker in the prodbench process, so the
# broker shares the CPUs with the producer: compare the engines with each
# other, not with numbers from another machine. Set BROKERS to use a real
# cluster instead (the scenarios' topics, peer-100b and peer-1k with 6
# partitions, must exist).
#
# Environment:
#   PAIRS=3                        runs per engine
#   CODECS="lz4 none"              compression values to run
#   SCENARIOS="scenarios/peer-100b.yaml scenarios/peer-1k.yaml"
#   DURATION=                      override each run's duration (e.g. 5s; warmup is 2s)
#   BROKERS=                       host:port,... (default: embedded broker)
#   OUT=results/bench-peers-<UTC>  where runs, scenario variants and summary.txt go
#   GO=go
#
# Exit status: 0 when every run completed and was summarised, non-zero
# otherwise (the first failing command's status).
set -euo pipefail

cd "$(dirname "$0")/.."

GO=${GO:-go}
PAIRS=${PAIRS:-3}
CODECS=${CODECS:-"lz4 none"}
SCENARIOS=${SCENARIOS:-"scenarios/peer-100b.yaml scenarios/peer-1k.yaml"}
DURATION=${DURATION:-}
BROKERS=${BROKERS:-}
OUT=${OUT:-results/bench-peers-$(date -u +%Y%m%dT%H%M%SZ)}
ENGINES="native franz-go"
BIN=bin/prodbench

case $PAIRS in
'' | *[!0-9]* | 0) echo "bench-peers: PAIRS must be a positive integer, got '$PAIRS'" >&2; exit 2 ;;
esac

echo "bench-peers: building $BIN" >&2
$GO build -o "$BIN" ./cmd/prodbench

# The engine is chosen with `prodbench run --engine`; a build without the
# flag gets it through the scenario's top-level engine field instead.
engine_flag=false
if "$BIN" run --help 2>&1 | grep -q -- '--engine'; then
	engine_flag=true
fi

mkdir -p "$OUT/scenarios"
nruns=0
for scen in $SCENARIOS; do
	if ! grep -q '^  compression:' "$scen"; then
		echo "bench-peers: $scen has no '  compression:' line under producer: to vary" >&2
		exit 2
	fi
	nruns=$((nruns + $(wc -w <<<"$CODECS") * PAIRS * 2))
done
echo "bench-peers: $nruns runs of ${DURATION:-10s} each into $OUT" >&2

extra=()
if [ -n "$DURATION" ]; then extra+=(--duration "$DURATION"); fi
if [ -n "$BROKERS" ]; then extra+=(--brokers "$BROKERS"); fi

i=0
for scen in $SCENARIOS; do
	name=$(basename "$scen" .yaml)
	for codec in $CODECS; do
		# A copy of the scenario with the codec changed, kept with the
		# results (result.json names it as the scenario file).
		variant="$OUT/scenarios/$name-$codec.yaml"
		sed "s/^\(  compression:\).*/\1 $codec                # set by bench-peers.sh/" "$scen" >"$variant"
		for pair in $(seq 1 "$PAIRS"); do
			for engine in $ENGINES; do
				i=$((i + 1))
				dir="$OUT/$name/$codec/$engine/$pair"
				mkdir -p "$(dirname "$dir")"
				file=$variant
				flags=()
				if $engine_flag; then
					flags=(--engine "$engine")
				else
					file="$OUT/scenarios/$name-$codec-$engine.yaml"
					{ grep -v '^engine:' "$variant"; echo "engine: $engine"; } >"$file"
				fi
				echo "bench-peers: [$i/$nruns] $name $codec $engine (run $pair of $PAIRS)" >&2
				"$BIN" run "$file" --out "$dir" --quiet ${flags[@]+"${flags[@]}"} ${extra[@]+"${extra[@]}"} >/dev/null
			done
		done
	done
done

echo >&2
{
	echo "bench-peers: native vs franz-go, $(git describe --always --dirty 2>/dev/null || echo 'no git')"
	$GO run ./scripts/peersum "$OUT"
} | tee "$OUT/summary.txt"
echo "bench-peers: results in $OUT" >&2
