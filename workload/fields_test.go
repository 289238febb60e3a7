package workload

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// minimalWith returns testdata/minimal.yaml (10 lines: rate on 7-8,
// message on 9-10) with old replaced by new, or with new appended from
// line 11 when old is "".
func minimalWith(t *testing.T, old, new string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(string(b), "\n") + "\n"
	if old == "" {
		return s + new
	}
	return edit(t, s, old, new)
}

// rateAt replaces minimal.yaml's rate block (lines 7-8) by block.
const minimalRate = "rate:\n  messages_per_second: 100\n"

// TestFieldErrors checks the errors of the blocks added for issues 3, 4,
// 6, 7 and 8: each names file:line, the dotted field and what is wrong.
// Lines: 7 is rate, 9 message, 10 message.size, 11 the first appended.
func TestFieldErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		old, new string
		want     string
	}{
		// --- length
		// neither duration nor messages
		{"no length", "duration: 1s\n", "", `x.yaml:2: duration: required: a duration (e.g. "60s") or a message count (messages: N)`},
		// a zero count
		{"zero messages", "duration: 1s\n", "messages: 0\n", `x.yaml:3: messages: must be between 1 and 1000000000000000, got 0`},
		// a count the profile never reaches
		{"unreachable count", "duration: 1s\n", "messages: 1000\n", ""}, // valid: 100 msg/s reaches it in 10 s
		{"count too slow", minimalRate, "rate: {profile: ramp, from: 100, to: 0, over: 1s}\n", ``},
		// --- rate profiles (tagged union on rate.profile)
		// a field of another profile
		{"ramp with mps", minimalRate, "rate: {profile: ramp, from: 1, to: 2, over: 1s, messages_per_second: 3}\n",
			`x.yaml:7: rate.messages_per_second: not used by profile "ramp" (its fields: from, to, over)`},
		// a required field missing
		{"ramp without over", minimalRate, "rate:\n  profile: ramp\n  from: 1\n  to: 2\n",
			`x.yaml:7: rate.over: required for profile "ramp" (its fields: from, to, over)`},
		// both ends zero
		{"ramp zeros", minimalRate, "rate: {profile: ramp, from: 0, to: 0, over: 1s}\n", `x.yaml:7: rate.to: from and to must not both be 0`},
		// negative ramp rate, on its own line
		{"ramp negative", minimalRate, "rate:\n  profile: ramp\n  from: -1\n  to: 2\n  over: 1s\n", `x.yaml:9: rate.from: must not be negative, got -1`},
		// steps: a bad step duration names the step
		{"steps bad for", minimalRate, "rate:\n  profile: steps\n  steps:\n    - {rate: 10, for: 1s}\n    - {rate: 10, for: 0s}\n",
			`x.yaml:11: rate.steps[1].for: must be positive, got 0s`},
		// steps: every step a pause
		{"steps all pauses", minimalRate, "rate: {profile: steps, steps: [{rate: 0, for: 1s}]}\n", `x.yaml:7: rate.steps: at least one step must have a positive rate`},
		// steps: unknown field inside a step
		{"steps unknown field", minimalRate, "rate: {profile: steps, steps: [{rate: 1, duration: 1s}]}\n",
			`x.yaml:7: rate.steps[0].duration: unknown field (want one of: rate, for)`},
		// repeat belongs to steps
		{"repeat on constant", minimalRate, "rate: {messages_per_second: 5, repeat: true}\n",
			`x.yaml:7: rate.repeat: not used by profile "constant" (its fields: messages_per_second)`},
		// sine amplitude above the mean
		{"sine amplitude", minimalRate, "rate: {profile: sine, mean: 10, amplitude: 11, period: 1s}\n",
			`x.yaml:7: rate.amplitude: must be between 0 and mean (10) so the rate never goes negative, got 11`},
		// poisson needs a mean
		{"poisson no mean", minimalRate, "rate: {profile: poisson}\n", `x.yaml:7: rate.mean: required for profile "poisson" (its fields: mean)`},
		// max takes nothing
		{"max with mean", minimalRate, "rate: {profile: max, mean: 5}\n", `x.yaml:7: rate.mean: not used by profile "max" (it takes no other fields)`},
		// a misspelt profile field gets a suggestion
		{"rate typo", minimalRate, "rate: {profile: ramp, form: 1, to: 2, over: 1s}\n", `x.yaml:7: rate.form: unknown field (did you mean "from"?)`},
		// --- message sizes (tagged union on message.size.distribution)
		{"unknown distribution", "  size: 0", "  size: {distribution: pareto}", `x.yaml:10: message.size.distribution: unknown distribution "pareto" (want fixed, uniform, normal, lognormal or empirical)`},
		// uniform requires both bounds
		{"uniform no max", "  size: 0", "  size: {distribution: uniform, min: 10}", `x.yaml:10: message.size.max: required for distribution "uniform" (its fields: min, max)`},
		// reversed bounds
		{"uniform reversed", "  size: 0", "  size:\n    distribution: uniform\n    min: 10\n    max: 5", `x.yaml:13: message.size.max: must be at least min (10B), got 5B`},
		// normal does not take median
		{"normal median", "  size: 0", "  size: {distribution: normal, mean: 10, stddev: 1, median: 3}",
			`x.yaml:10: message.size.median: not used by distribution "normal" (its fields: mean, stddev, optional min, max)`},
		// lognormal p99 below median
		{"lognormal p99", "  size: 0", "  size: {distribution: lognormal, median: 1KiB, p99: 100}", `x.yaml:10: message.size.p99: must be at least median (1KiB), got 100B`},
		// an explicit max of 0
		{"max zero", "  size: 0", "  size: {distribution: normal, mean: 10, stddev: 1, max: 0}", `x.yaml:10: message.size.max: must be positive (leave it out for the default)`},
		// empirical rows
		{"empirical weight", "  size: 0", "  size:\n    distribution: empirical\n    table:\n      - {size: 1, weight: 1}\n      - {size: 2, weight: -1}",
			`x.yaml:14: message.size.table[1].weight: must be a finite number >= 0, got -1`},
		{"empirical row size", "  size: 0", "  size: {distribution: empirical, table: [{size: 1GiB, weight: 1}]}", `x.yaml:10: message.size.table[0].size: must be between 0 and 64MiB, got 1GiB`},
		{"empirical zero sum", "  size: 0", "  size: {distribution: empirical, table: [{size: 1, weight: 0}]}", `x.yaml:10: message.size.table: weights must add up to a positive, finite number`},
		// a list is neither a size nor a distribution
		{"size list", "  size: 0", "  size: [1, 2]", `x.yaml:10: message.size: expected a size (e.g. 512 or "16KiB") or a distribution mapping, got a list`},
		// --- payloads (tagged union on message.payload.kind)
		{"unknown kind", "  size: 0", "  size: 0\n  payload: {kind: lorem}", `x.yaml:11: message.payload.kind: unknown kind "lorem" (want random, random_ratio, text, json, zeros or file)`},
		{"ratio range", "  size: 0", "  size: 0\n  payload: {kind: random_ratio, ratio: 1.5}", `x.yaml:11: message.payload.ratio: must be between 0 and 1, got 1.5`},
		{"ratio missing", "  size: 0", "  size: 0\n  payload: {kind: random_ratio}", `x.yaml:11: message.payload.ratio: required for payload kind "random_ratio" (its fields: ratio, optional pool_size)`},
		{"words on random", "  size: 0", "  size: 0\n  payload: {kind: random, words: [a]}", `x.yaml:11: message.payload.words: not used by payload kind "random" (it takes no other fields)`},
		{"pool too big", "  size: 0", "  size: 64MiB\n  payload: {kind: random_ratio, ratio: 1, pool_size: 100}", `x.yaml:11: message.payload.pool_size: the pool would take 12800MiB (max 1GiB): use a smaller pool_size`},
		{"json with size", "  size: 0", "  size: 0\n  payload: {kind: json, template: '{}'}", `x.yaml:10: message.size: not used with payload kind json (sizes come from the records)`},
		{"json bad template", "  size: 0", "  payload: {kind: json, template: '{\"a\": {{int 1}}}'}", `x.yaml:10: message.payload.template: {{int 1}}: want int MIN MAX`},
		{"json invalid", "  size: 0", "  payload: {kind: json, template: '{\"a\": {{string 3}}}'}", `x.yaml:10: message.payload.template: a rendered record is not valid JSON`},
		{"file none", "  size: 0", "  payload: {kind: file}", `x.yaml:10: message.payload.files: required: files (one message per file) or file (one file, optionally split on delimiter)`},
		{"file both", "  size: 0", "  payload: {kind: file, file: a, files: [b]}", `x.yaml:10: message.payload.file: not used with files (give one of files and file)`},
		{"file empty delimiter", "  size: 0", "  payload: {kind: file, file: a, delimiter: \"\"}", `x.yaml:10: message.payload.delimiter: must not be empty`},
		{"file bad glob", "  size: 0", "  payload:\n    kind: file\n    files: [ok, \"[\"]", `x.yaml:12: message.payload.files[1]: bad pattern "[": syntax error in pattern`},
		// --- keys (tagged union on keys.distribution)
		{"zipf exponent", "", "keys: {distribution: zipf, count: 10, exponent: 0}", `x.yaml:11: keys.exponent: must be greater than 0 and at most 100, got 0`},
		{"hotspot no cold key", "", "keys: {distribution: hotspot, count: 10, hot_fraction: 0.99, hot_share: 0.5}", `x.yaml:11: keys.hot_fraction: gives 10 hot keys of 10: want at least 1 hot and 1 cold key`},
		{"hotspot share", "", "keys:\n  distribution: hotspot\n  count: 10\n  hot_fraction: 0.2\n  hot_share: 2", `x.yaml:15: keys.hot_share: must be between 0 and 1, got 2`},
		{"exponent on uniform", "", "keys: {distribution: uniform, count: 10, exponent: 1}", `x.yaml:11: keys.exponent: not used by distribution "uniform" (its fields: count, optional format)`},
		{"count on sequential", "", "keys: {distribution: sequential, count: 10}", `x.yaml:11: keys.count: not used by distribution "sequential" (its fields: optional format)`},
		{"format on none", "", "keys: {format: \"k%d\"}", `x.yaml:11: keys.format: not used by distribution "none" (it takes no other fields)`},
		{"bad format", "", "keys:\n  distribution: round_robin\n  count: 3\n  format: \"k-%s\"", `x.yaml:14: keys.format: unsupported verb %s in "k-%s" (want %d, %x, %X, %o or %b)`},
		{"key table too big", "", "keys: {distribution: uniform, count: 10000000, format: \"" + strings.Repeat("k", 200) + "%d\"}", `x.yaml:11: keys.count: the key table would take 2100MB (max 1GiB): use fewer keys or a shorter format`},
		// --- headers
		{"headers no count", "", "headers: {value_size: 5}", `x.yaml:11: headers.count: required (headers per message: N or {min, max})`},
		{"headers range", "", "headers: {count: {min: 3, max: 1}}", `x.yaml:11: headers.count: must satisfy 0 <= min <= max <= 1000, got [3, 1]`},
		{"headers range half", "", "headers:\n  count: {min: 3}", `x.yaml:12: headers.count.max: required`},
		{"headers value size", "", "headers: {count: 1, value_size: 2MiB}", `x.yaml:11: headers.value_size: must be between 0 and 1MiB, got 2MiB`},
		{"headers omb", "", "headers: {count: 1, key_format: omb}", `x.yaml:11: headers.key_format: omb is a message key format, not a header key format`},
		// --- topics
		{"topic selection", "", "topic_selection: broadcast", `x.yaml:11: topic_selection: unknown topic selection "broadcast" (want weighted or fanout)`},
		{"zero weight", "    partitions: 1", "    partitions: 1\n    weight: 0", `x.yaml:7: topics[0].weight: must be a finite number greater than 0 and at most 1e9, got 0`},
		{"weight with fanout", "    partitions: 1", "    partitions: 1\n    weight: 2", ``},
		// --- producer options land on their own lines
		{"send mode", "", "producer:\n  send_mode: later", `x.yaml:12: producer.send_mode: unknown send_mode "later" (want async or sync)`},
		{"partitioner", "", "producer:\n  partitioner: random", `x.yaml:12: producer.partitioner: unknown partitioner "random" (want murmur2, round_robin, sticky, uniform_bytes)`},
		{"idempotent acks", "", "producer:\n  acks: leader\n  idempotent: true", `x.yaml:12: producer.acks: the idempotent producer requires acks all, got leader`},
		{"retry backoff order", "", "producer:\n  retry_backoff: 2s\n  max_retry_backoff: 1s", `x.yaml:13: producer.max_retry_backoff: 1s is below retry_backoff 2s`},
		{"negative pending", "", "producer:\n  max_pending_messages: -1", `x.yaml:12: producer.max_pending_messages: must not be negative, got -1`},
		{"level without codec", "", "producer:\n  compression_level: 3", `x.yaml:12: producer.compression_level: compression none has no levels`},
		{"level range", "", "producer:\n  compression: lz4\n  compression_level: 20", `x.yaml:13: producer.compression_level: must be between 1 and 17 for lz4, got 20`},
		{"empty txn id", "", "producer:\n  transactional_id: \"\"", `x.yaml:12: producer.transactional_id: must not be empty (leave it out for a non-transactional producer)`},
		{"txn interval", "", "producer:\n  transactional_id: t\n  transaction_interval: 0s", `x.yaml:13: producer.transaction_interval: must be positive when transaction_max_messages is 0, got 0s`},
		{"auto partitions", "", "producer:\n  auto_create_partitions: 0", `x.yaml:12: producer.auto_create_partitions: must be between 1 and 2147483647, got 0`},
		{"bool type", "", "producer:\n  batching: yes please", `x.yaml:12: producer.batching: expected true or false, got string "yes please"`},
		// --- engine
		{"engine", "", "engine: librdkafka", `x.yaml:11: engine: target kind kafka has no engine "librdkafka" (want one of [native franz-go])`},
		// --- target
		{"target kind", "", "target: {kind: plusar}", `x.yaml:11: target.kind: unknown kind "plusar" (did you mean "pulsar"?)`},
		{"target broker", "", "target:\n  brokers: [\"localhost:9092\", \"nohost\"]", `x.yaml:12: target.brokers[1]: want host:port with a port from 1 to 65535, got "nohost"`},
		{"sim on kafka", "", "target: {sim: {brokers: 2}}", `x.yaml:11: target.sim: unknown field (want one of: brokers, tls, sasl, kafka_version, create_topics, replication_factor, topic_configs, faults)`},
		{"brokers on sim", "", "target: {kind: sim, brokers: [\"a:1\"]}", `x.yaml:11: target.brokers: unknown field (want one of: sim)`},
		{"sim error name", "", "target:\n  kind: sim\n  sim:\n    errors:\n      NOT_LEADER_OR_FOLOWER: 0.1", `x.yaml:15: target.sim.errors.NOT_LEADER_OR_FOLOWER: unknown Kafka error name (did you mean "NOT_LEADER_OR_FOLLOWER"?)`},
		{"sim error unknown", "", "target: {kind: sim, sim: {errors: {BROKEN: 0.1}}}", `x.yaml:11: target.sim.errors.BROKEN: unknown Kafka error name (want a Kafka protocol error name such as NOT_LEADER_OR_FOLLOWER or REQUEST_TIMED_OUT)`},
		{"sim error prob", "", "target:\n  kind: sim\n  sim:\n    errors: {REQUEST_TIMED_OUT: 1.5}", `x.yaml:14: target.sim.errors.REQUEST_TIMED_OUT: must be between 0 and 1, got 1.5`},
		{"sim error sum", "", "target: {kind: sim, sim: {errors: {REQUEST_TIMED_OUT: 0.6, NOT_LEADER_OR_FOLLOWER: 0.6}}}", `x.yaml:11: target.sim.errors: probabilities must add up to at most 1, got 1.2`},
		{"sim latency", "", "target: {kind: sim, sim: {latency: {median: 5ms, p99: 1ms}}}", `x.yaml:11: target.sim.latency.p99: must be at least median (5ms), got 1ms`},
		{"sim latency half", "", "target: {kind: sim, sim: {latency: {median: 5ms}}}", `x.yaml:11: target.sim.latency.p99: required (e.g. 5ms; equal to median for a fixed latency)`},
		{"sim stall", "", "target:\n  kind: sim\n  sim:\n    stalls:\n      - {at: 1s, for: 0s}", `x.yaml:15: target.sim.stalls[0].for: must be positive, got 0s`},
		{"sim brokers", "", "target: {kind: sim, sim: {brokers: 0}}", `x.yaml:11: target.sim.brokers: must be between 1 and 1000, got 0`},
		{"sim bandwidth", "", "target: {kind: sim, sim: {bandwidth: lots}}", `x.yaml:11: target.sim.bandwidth: invalid size "lots" (want e.g. 512, "16KiB" or "1MB")`},
		// --- thresholds, slo
		{"empty threshold", "", "thresholds:\n  - \"p(99) < 1ms\"\n  - \" \"", `x.yaml:13: thresholds[1]: must not be empty (e.g. "p(99) < 20ms")`},
		{"slo empty", "", "slo: {}", `x.yaml:11: slo: set at least one objective (p50 … p99.99, max_error_rate)`},
		{"slo percentile", "", "slo:\n  \"p99.9\": 0s", `x.yaml:12: slo."p99.9": must be positive, got 0s`},
		{"slo typo", "", "slo: {p999: 1ms}", `x.yaml:11: slo.p999: unknown field (did you mean "p99"?)`},
		{"slo error rate", "", "slo: {max_error_rate: 150%}", `x.yaml:11: slo.max_error_rate: ratio "150%" must be between 0 and 1 (0% and 100%)`},
		{"slo error rate text", "", "slo: {max_error_rate: lots}", `x.yaml:11: slo.max_error_rate: invalid ratio "lots" (want e.g. 0.001 or "0.1%")`},
		// --- sweep
		{"sweep unknown path", "", "sweep:\n  params:\n    producer.lingr: [1ms]", `x.yaml:13: sweep.params."producer.lingr": unknown field path "producer.lingr" (did you mean "linger"?)`},
		{"sweep block path", "", "sweep:\n  params:\n    producer: [1ms]", `x.yaml:13: sweep.params.producer: "producer" is not a scalar field (sweep one of its fields)`},
		{"sweep bad value", "", "sweep:\n  params:\n    producer.linger:\n      - 1ms\n      - soon", `x.yaml:15: sweep.params."producer.linger"[1]: invalid duration "soon" (want e.g. "500ms", "10s" or "1m30s")`},
		{"sweep empty", "", "sweep:\n  params:\n    workers: []", `x.yaml:13: sweep.params.workers: expected a non-empty list of values, got a list`},
		{"sweep zip lengths", "", "sweep:\n  mode: zip\n  params:\n    workers: [1, 2]\n    seed: [1, 2, 3]", `x.yaml:15: sweep.params.seed: has 3 values but "workers" has 2: zip needs equal lengths`},
		{"sweep mode", "", "sweep: {mode: random, params: {workers: [1]}}", `x.yaml:11: sweep.mode: unknown mode "random" (want product or zip)`},
		{"sweep itself", "", "sweep: {params: {sweep.mode: [zip]}}", `x.yaml:11: sweep.params."sweep.mode": a sweep cannot sweep itself`},
		{"sweep too many", "", "sweep: {params: {seed: [" + strings.Repeat("1,", 200) + "1], workers: [" + strings.Repeat("1,", 200) + "1]}}", `x.yaml:11: sweep.params.workers: the sweep has more than 10000 points`},
		{"sweep invalid point", "", "sweep:\n  params:\n    workers: [1, 0]", `x.yaml:13: workers: must be between 1 and 65536, got 0 (sweep point workers=0)`},
		{"sweep index", "", "sweep: {params: {\"topics[3].partitions\": [2]}}", `x.yaml:11: topics[3].partitions: index 3 out of range (the scenario has 1)`},
		{"sweep union field", "", "sweep:\n  params:\n    rate.mean: [5]", `x.yaml:13: rate.mean: not used by profile "constant" (its fields: messages_per_second) (sweep point rate.mean=5)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := minimalWith(t, tt.old, tt.new)
			if tt.name == "weight with fanout" {
				data += "topic_selection: fanout\n"
				tt.want = `x.yaml:7: topics[0].weight: not used with topic_selection fanout (every message goes to every topic)`
			}
			if tt.name == "count too slow" {
				data = strings.Replace(data, "duration: 1s\n", "messages: 100000\n", 1)
				tt.want = `x.yaml:3: messages: the rate profile would take longer than 1000h0m0s to send 100000 messages (set duration, or a higher rate)`
			}
			s, err := Parse("x.yaml", []byte(data))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want error %q", s, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %q is not an *Error", err, err)
			}
			if got := err.Error(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("error\n got  %s\n want %s", got, tt.want)
			}
		})
	}
}

// TestThresholdLines checks that each threshold's line is available.
func TestThresholdLines(t *testing.T) {
	t.Parallel()
	s, err := Parse("x.yaml", []byte(minimalWith(t, "", "thresholds:\n  - \"p(99) < 20ms\"\n\n  - \"error_rate < 0.1%\"\n")))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Thresholds) != 2 || s.Line("thresholds[0]") != 12 || s.Line("thresholds[1]") != 14 || s.Line("thresholds") != 11 {
		t.Errorf("thresholds %q at lines %d, %d (block %d), want 12, 14 (11)", s.Thresholds,
			s.Line("thresholds[0]"), s.Line("thresholds[1]"), s.Line("thresholds"))
	}
	if got := s.Errorf("thresholds[1]", "bad").Error(); got != "x.yaml:14: thresholds[1]: bad" {
		t.Errorf("Errorf = %q", got)
	}
}
