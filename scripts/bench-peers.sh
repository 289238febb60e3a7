#!/usr/bin/env bash
# bench-peers.sh: prodbench against a bare franz-go producer (make bench-peers).
#
# Starts one external `prodbench broker` process (data discarded), then
# for ROUNDS rounds runs, alternated (A B C A B C ...) so that drift in the
# machine's load hits every side alike, for each of 100 B and 1 KiB values
# (scenarios/peer-100b.yaml, peer-1k.yaml) and each codec (lz4, none):
#   native   prodbench run <scenario> --engine native
#   franz    prodbench run <scenario> --engine franz-go
#   bare     cmd/barekgo, plain kgo with the same workload
# and prints, per workload, each side's median msg/s and MB/s (10^6) with
# min-max, CPU per acked record (getrusage user+sys / records), the
# ratios native/bare and franz/bare, the machine and the commit
# (scripts/peersum), and appends one row to DESIGN.md's "Peer benchmark
# results" table (APPEND=0 to skip). The broker shares the CPUs with the
# producer: compare sides run on the same machine only.
#
# Environment:
#   ROUNDS=3                 rounds (each runs every side once per workload)
#   CODECS="lz4 none"        compression values to run
#   SCENARIOS="scenarios/peer-100b.yaml scenarios/peer-1k.yaml"
#   DURATION=10s             each run's duration (warmup 2s, not measured)
#   LISTEN=127.0.0.1:19092   address of the broker started here
#   OUT=results/bench-peers-<UTC>  runs, logs and summary.txt
#   APPEND=1                 append the row to DESIGN.md
#   GO=go
#
# Exit status: 0 when every run completed and was summarised, non-zero
# otherwise (the first failing command's status).
set -euo pipefail

cd "$(dirname "$0")/.."

GO=${GO:-go}
ROUNDS=${ROUNDS:-3}
CODECS=${CODECS:-"lz4 none"}
SCENARIOS=${SCENARIOS:-"scenarios/peer-100b.yaml scenarios/peer-1k.yaml"}
DURATION=${DURATION:-10s}
LISTEN=${LISTEN:-127.0.0.1:19092}
OUT=${OUT:-results/bench-peers-$(date -u +%Y%m%dT%H%M%SZ)}
APPEND=${APPEND:-1}

case $ROUNDS in
'' | *[!0-9]* | 0) echo "bench-peers: ROUNDS must be a positive integer, got '$ROUNDS'" >&2; exit 2 ;;
esac

mkdir -p "$OUT/bin" "$OUT/scenarios"
echo "bench-peers: building into $OUT/bin" >&2
$GO build -o "$OUT/bin/prodbench" ./cmd/prodbench
$GO build -o "$OUT/bin/barekgo" ./cmd/barekgo
PB=$OUT/bin/prodbench
BARE=$OUT/bin/barekgo

"$PB" broker --listen "$LISTEN" >"$OUT/broker.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null || true' EXIT
for _ in $(seq 50); do
	if (exec 3<>"/dev/tcp/${LISTEN%:*}/${LISTEN##*:}") 2>/dev/null; then break; fi
	sleep 0.1
done

# field NAME FILE: the value of NAME (the scenario's top-level field or
# producer/message field on a line of its own).
field() { sed -n "s/^ *$1: *\([^ #]*\).*/\1/p" "$2" | head -1; }
bytes() {
	case $1 in
	*KiB) echo $((${1%KiB} * 1024)) ;;
	*) echo "$1" ;;
	esac
}

nruns=$((ROUNDS * $(wc -w <<<"$SCENARIOS") * $(wc -w <<<"$CODECS") * 3))
echo "bench-peers: $nruns runs of $DURATION into $OUT" >&2
i=0
for round in $(seq 1 "$ROUNDS"); do
	for scen in $SCENARIOS; do
		name=$(basename "$scen" .yaml)
		topic=$(sed -n '/^topics:/,/^[a-z]/s/^ *- name: *\([^ #]*\).*/\1/p' "$scen" | head -1)
		size=$(bytes "$(sed -n '/^message:/,/^[a-z]/s/^ *size: *\([^ #]*\).*/\1/p' "$scen" | head -1)")
		for codec in $CODECS; do
			variant="$OUT/scenarios/$name-$codec.yaml"
			sed "s/^\(  compression:\).*/\1 $codec                # set by bench-peers.sh/" "$scen" >"$variant"
			for side in native franz bare; do
				i=$((i + 1))
				dir="$OUT/$name/$codec/$side/$round"
				mkdir -p "$dir"
				echo "bench-peers: [$i/$nruns] round $round $name $codec $side" >&2
				case $side in
				native | franz)
					engine=native
					[ "$side" = franz ] && engine=franz-go
					"$PB" run "$variant" --engine "$engine" --brokers "$LISTEN" --duration "$DURATION" \
						--out "$dir" --quiet >/dev/null 2>"$dir/stderr.txt"
					;;
				bare)
					"$BARE" -brokers "$LISTEN" -topic "$topic" -value-size "$size" -compression "$codec" \
						-duration "$DURATION" -warmup 2s >"$dir/barekgo.txt" 2>"$dir/stderr.txt"
					;;
				esac
			done
		done
	done
done

commit=$(git describe --always --dirty 2>/dev/null || echo 'no git')
append=()
if [ "$APPEND" = 1 ]; then append=(-append DESIGN.md); fi
$GO run ./scripts/peersum -commit "$commit" -rounds "$ROUNDS" ${append[@]+"${append[@]}"} "$OUT" | tee "$OUT/summary.txt"
echo "bench-peers: results in $OUT" >&2
