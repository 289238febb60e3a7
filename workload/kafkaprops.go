package workload

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/magiconair/properties"
)

// Property is one Kafka client property (key=value), with the line it is
// on in its file (0 when it came from a flag).
type Property struct {
	// Key is the property name, e.g. "linger.ms".
	Key string
	// Value is its value as written, e.g. "5". May be a secret
	// (sasl.jaas.config): never print it.
	Value string
	// Line is the 1-based line in the file it came from; 0 for none.
	Line int
}

var propLineRe = regexp.MustCompile(`[Ll]ine (\d+)`)

// ParseProperties parses a Java properties text (java.util.Properties
// format: key=value, key: value or key value; # and ! comments; a
// trailing backslash continues a line) with
// github.com/magiconair/properties, without ${} expansion (Java does
// none). firstLine is the line of text's first line in its file, so that
// each Property's Line is a file line. The error gives the line but never
// the text, which may hold a secret.
func ParseProperties(text string, firstLine int) ([]Property, error) {
	l := &properties.Loader{Encoding: properties.UTF8, DisableExpansion: true}
	p, err := l.LoadBytes([]byte(text))
	if err != nil {
		if m := propLineRe.FindStringSubmatch(err.Error()); m != nil {
			n, _ := strconv.Atoi(m[1])
			return nil, fmt.Errorf("malformed property on line %d", firstLine+n-1)
		}
		return nil, fmt.Errorf("malformed properties")
	}
	lines := strings.Split(text, "\n")
	out := make([]Property, 0, p.Len())
	for _, k := range p.Keys() {
		v, _ := p.Get(k)
		line := 0
		for i, ln := range lines {
			t := strings.TrimLeft(ln, " \t\f")
			if strings.HasPrefix(t, k) && (len(t) == len(k) || strings.ContainsRune("=: \t\f", rune(t[len(k)]))) {
				line = firstLine + i
			}
		}
		out = append(out, Property{Key: k, Value: v, Line: line})
	}
	return out, nil
}

// PropertyError is a property value ApplyKafkaProperties cannot use.
type PropertyError struct {
	// Property is the property; its Value is quoted in Msg only for
	// mapped properties, none of which is secret.
	Property
	// Msg says what is wrong.
	Msg string
}

// Error returns "KEY (line N): MSG", without the line when it is 0.
func (e *PropertyError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s (line %d): %s", e.Key, e.Line, e.Msg)
	}
	return e.Key + ": " + e.Msg
}

// kafkaPropFields maps the Kafka producer properties ApplyKafkaProperties
// understands to the scenario's producer fields.
var kafkaPropFields = map[string]string{
	"acks":                                  "acks",
	"linger.ms":                             "linger",
	"batch.size":                            "max_batch_bytes",
	"compression.type":                      "compression",
	"compression.gzip.level":                "compression_level",
	"compression.lz4.level":                 "compression_level",
	"compression.zstd.level":                "compression_level",
	"max.in.flight.requests.per.connection": "max_in_flight",
	"request.timeout.ms":                    "request_timeout",
	"delivery.timeout.ms":                   "send_timeout",
	"buffer.memory":                         "max_pending_bytes",
	"retries":                               "retries",
	"retry.backoff.ms":                      "retry_backoff",
	"retry.backoff.max.ms":                  "max_retry_backoff",
	"enable.idempotence":                    "idempotent",
	"transactional.id":                      "transactional_id",
	"partitioner.class":                     "partitioner",
}

// kafkaPartitioners maps Java partitioner classes to prodbench's names.
var kafkaPartitioners = map[string]string{
	"org.apache.kafka.clients.producer.RoundRobinPartitioner":        "round_robin",
	"org.apache.kafka.clients.producer.UniformStickyPartitioner":     "sticky",
	"org.apache.kafka.clients.producer.internals.DefaultPartitioner": "murmur2",
}

// KafkaPropsResult is what ApplyKafkaProperties did besides setting
// producer fields.
type KafkaPropsResult struct {
	// Bootstrap is bootstrap.servers with any PLAINTEXT:// prefixes
	// removed, "" when not given.
	Bootstrap string
	// BootstrapLine is its line.
	BootstrapLine int
	// Ignored are the names of properties prodbench does not map
	// (serializers, client.id, security settings, ...), in order.
	Ignored []string
	// Fields maps each producer field set ("producer.linger") to the
	// property that set it, for errors.
	Fields map[string]Property
}

// ApplyKafkaProperties sets p's fields from Kafka Java producer
// properties, in order (a later one wins), as written in
// producer.properties, kafka-producer-perf-test's --producer-props and
// --producer.config, or OMB's commonConfig and producerConfig. Mapped:
// acks, linger.ms, batch.size, compression.type and
// compression.{gzip,lz4,zstd}.level (the chosen codec's), max.in.flight.
// requests.per.connection, request.timeout.ms, delivery.timeout.ms,
// buffer.memory, retries, retry.backoff.ms, retry.backoff.max.ms,
// enable.idempotence, transactional.id and partitioner.class (Kafka's
// RoundRobinPartitioner, UniformStickyPartitioner, DefaultPartitioner).
// bootstrap.servers is returned, not applied. Other properties are listed
// in Ignored by name. A value that does not parse is an error naming the
// property and its line; values are quoted only for mapped properties,
// none of which is secret.
func ApplyKafkaProperties(p *Producer, props []Property) (KafkaPropsResult, error) {
	res := KafkaPropsResult{Fields: map[string]Property{}}
	levels := map[string]Property{}
	bad := func(pr Property, want string) error {
		return &PropertyError{Property: pr, Msg: fmt.Sprintf("want %s, got %q", want, pr.Value)}
	}
	for _, pr := range props {
		v := strings.TrimSpace(pr.Value)
		ms := func() (*Duration, error) {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || n > int64(time.Duration(1<<62)/time.Millisecond) {
				return nil, bad(pr, "a whole number of milliseconds >= 0")
			}
			d := Duration(time.Duration(n) * time.Millisecond)
			return &d, nil
		}
		num := func() (*int, error) {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, bad(pr, "a whole number >= 0")
			}
			return &n, nil
		}
		size := func() (*Size, error) {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, bad(pr, "a number of bytes >= 0")
			}
			sz := Size(n)
			return &sz, nil
		}
		str := func() *string { return &v }
		var err error
		switch pr.Key {
		case "bootstrap.servers":
			var hosts []string
			for _, h := range strings.Split(v, ",") {
				h = strings.TrimSpace(h)
				if i := strings.Index(h, "://"); i >= 0 {
					h = h[i+3:]
				}
				if h != "" {
					hosts = append(hosts, h)
				}
			}
			res.Bootstrap, res.BootstrapLine = strings.Join(hosts, ","), pr.Line
			continue
		case "acks":
			p.Acks = str()
		case "linger.ms":
			p.Linger, err = ms()
		case "batch.size":
			p.MaxBatchBytes, err = size()
		case "compression.type":
			p.Compression = str()
		case "compression.gzip.level", "compression.lz4.level", "compression.zstd.level":
			if _, e := strconv.Atoi(v); e != nil {
				return res, bad(pr, "a whole number")
			}
			levels[strings.TrimSuffix(strings.TrimPrefix(pr.Key, "compression."), ".level")] = pr
			continue
		case "max.in.flight.requests.per.connection":
			p.MaxInFlight, err = num()
		case "request.timeout.ms":
			p.RequestTimeout, err = ms()
		case "delivery.timeout.ms":
			p.SendTimeout, err = ms()
		case "buffer.memory":
			p.MaxPendingBytes, err = size()
		case "retries":
			p.Retries, err = num()
		case "retry.backoff.ms":
			p.RetryBackoff, err = ms()
		case "retry.backoff.max.ms":
			p.MaxRetryBackoff, err = ms()
		case "enable.idempotence":
			b, e := strconv.ParseBool(v)
			if e != nil {
				return res, bad(pr, "true or false")
			}
			p.Idempotent = &b
		case "transactional.id":
			p.TransactionalID = str()
		case "partitioner.class":
			name, ok := kafkaPartitioners[v]
			if !ok {
				res.Ignored = append(res.Ignored, pr.Key)
				continue
			}
			p.Partitioner = &name
		default:
			res.Ignored = append(res.Ignored, pr.Key)
			continue
		}
		if err != nil {
			return res, err
		}
		res.Fields["producer."+kafkaPropFields[pr.Key]] = pr
	}
	if len(levels) > 0 {
		codec := "none"
		if p.Compression != nil {
			codec = strings.ToLower(*p.Compression)
		}
		for c, pr := range levels {
			if c != codec {
				res.Ignored = append(res.Ignored, pr.Key)
				continue
			}
			n, _ := strconv.Atoi(strings.TrimSpace(pr.Value))
			p.CompressionLevel = &n
			res.Fields["producer.compression_level"] = pr
		}
	}
	return res, nil
}
