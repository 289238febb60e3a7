package workload

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/magiconair/properties"

	"github.com/prodbench/prodbench/internal/kafkaprops"
	"github.com/prodbench/prodbench/producer"
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

// KafkaPropsResult is what ApplyKafkaProperties did besides setting
// producer fields.
type KafkaPropsResult struct {
	// Bootstrap is bootstrap.servers with any PLAINTEXT:// prefixes
	// removed, "" when not given.
	Bootstrap string
	// BootstrapLine is its line.
	BootstrapLine int
	// Ignored are the names of properties prodbench does not map
	// (serializers, client.id, security settings, a custom
	// partitioner.class, another codec's compression level, ...), in
	// order.
	Ignored []string
	// Fields maps each producer field set ("producer.linger") to the
	// property that set it, for errors.
	Fields map[string]Property
}

// ApplyKafkaProperties sets p's fields from Kafka Java producer
// properties, in order (a later one wins), as written in
// producer.properties, kafka-producer-perf-test's --producer-props and
// --producer.config, or OMB's commonConfig and producerConfig. The
// mapping is kafkaprops.Apply's, the kafka target's client properties'
// too: acks, linger.ms, batch.size, compression.type and
// compression.{gzip,lz4,zstd}.level (the chosen codec's),
// max.in.flight.requests.per.connection, request.timeout.ms,
// delivery.timeout.ms, buffer.memory, retries, retry.backoff.ms,
// retry.backoff.max.ms, enable.idempotence, transactional.id and
// partitioner.class (kafkaprops.Partitioners). acks and compression.type
// are kept as written. bootstrap.servers is returned, not applied.
// Other properties are listed in Ignored by name. A value that does not
// parse is a *PropertyError naming the property and its line, p then
// unchanged; values are quoted only for mapped properties, none of which
// is secret.
func ApplyKafkaProperties(p *Producer, props []Property) (KafkaPropsResult, error) {
	res := KafkaPropsResult{Fields: map[string]Property{}}
	// The properties set a producer.Config, whose set options are copied
	// into p; its codec (p's unless compression.type is given) chooses
	// the compression level that applies.
	c := producer.DefaultConfig()
	if p.Compression != nil {
		if codec, err := producer.ParseCodec(*p.Compression); err == nil {
			c.Compression = codec
		}
	}
	kps := make([]kafkaprops.Prop, len(props))
	for i, pr := range props {
		kps[i] = kafkaprops.Prop{Key: pr.Key, Value: pr.Value}
	}
	uses, perr := kafkaprops.Apply(&c, kps)
	if perr != nil {
		pr := props[perr.Index]
		return res, &PropertyError{Property: pr, Msg: fmt.Sprintf("%s, got %q", perr.Msg, strings.TrimSpace(pr.Value))}
	}
	for i, pr := range props {
		v := strings.TrimSpace(pr.Value)
		switch field := uses[i].Field; {
		case field != "":
			p.setKafka(field, &c, v)
			res.Fields["producer."+field] = pr
		case pr.Key == "bootstrap.servers":
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
		default:
			res.Ignored = append(res.Ignored, pr.Key)
		}
	}
	return res, nil
}

// setKafka sets p's field (a producer block name, kafkaprops.Fields'
// values) from c; v is the property's value, kept as written for acks
// and compression.
func (p *Producer) setKafka(field string, c *producer.Config, v string) {
	switch field {
	case "acks":
		p.Acks = &v
	case "linger":
		p.Linger = ptr(Duration(c.Linger))
	case "max_batch_bytes":
		p.MaxBatchBytes = ptr(Size(c.MaxBatchBytes))
	case "compression":
		p.Compression = &v
	case "compression_level":
		p.CompressionLevel = ptr(c.CompressionLevel)
	case "max_in_flight":
		p.MaxInFlight = ptr(c.MaxInFlight)
	case "request_timeout":
		p.RequestTimeout = ptr(Duration(c.RequestTimeout))
	case "send_timeout":
		p.SendTimeout = ptr(Duration(c.SendTimeout))
	case "max_pending_bytes":
		p.MaxPendingBytes = ptr(Size(c.MaxPendingBytes))
	case "retries":
		p.Retries = ptr(c.Retries)
	case "retry_backoff":
		p.RetryBackoff = ptr(Duration(c.RetryBackoff))
	case "max_retry_backoff":
		p.MaxRetryBackoff = ptr(Duration(c.MaxRetryBackoff))
	case "idempotent":
		p.Idempotent = ptr(c.Idempotent)
	case "transactional_id":
		p.TransactionalID = ptr(c.TransactionalID)
	case "partitioner":
		p.Partitioner = ptr(c.Partitioner)
	}
}

// ptr returns a pointer to a copy of v.
func ptr[T any](v T) *T { return &v }
