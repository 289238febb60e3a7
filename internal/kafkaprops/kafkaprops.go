// Package kafkaprops maps Kafka Java producer properties (linger.ms,
// batch.size, acks, ...) onto producer.Config, for the two readers of
// them: workload (OMB driver files, perf-test's --producer-props and
// --producer.config) and the kafka system's client properties
// (--producer-config, --producer-prop: kafkasys, which also maps the
// security and target properties). It imports the producer core alone,
// so that workload may use it (workload imports no system).
package kafkaprops

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prodbench/prodbench/producer"
)

// Prop is one property: Key=Value. Value may be a secret (for the
// properties Apply does not map): Apply never quotes one.
type Prop struct {
	Key, Value string
}

// Use is what Apply did with one property.
type Use struct {
	// Field is the producer option the property set, as the scenario's
	// producer block names it ("linger" for linger.ms); "" when it set
	// none.
	Field string
	// Skipped says why a producer property was not applied, for a
	// warning or a "not used" list; "" when it was applied, or when Key
	// is not a producer property (Field and Skipped both "": the
	// caller's to map or to ignore).
	Skipped string
}

// Error is a property value Apply cannot use.
type Error struct {
	// Index is the property's index in Apply's ps.
	Index int
	// Key is the property's name.
	Key string
	// Msg says what is wanted, e.g. "want true or false"; it never
	// quotes the value.
	Msg string
}

// Error returns "property KEY: MSG".
func (e *Error) Error() string { return "property " + e.Key + ": " + e.Msg }

// Partitioners maps the Java partitioner classes (partitioner.class) that
// have a prodbench partitioner to its name.
var Partitioners = map[string]string{
	"org.apache.kafka.clients.producer.RoundRobinPartitioner":              producer.PartitionerRoundRobin,
	"org.apache.kafka.clients.producer.UniformStickyPartitioner":           producer.PartitionerSticky,
	"org.apache.kafka.clients.producer.internals.DefaultPartitioner":       producer.PartitionerDefault,
	"org.apache.kafka.clients.producer.internals.BuiltInPartitioner":       producer.PartitionerUniformBytes,
	"org.apache.kafka.clients.producer.internals.UniformStickyPartitioner": producer.PartitionerSticky,
}

// maxMillis is the largest millisecond count a time.Duration holds with
// room to spare.
const maxMillis = int64(time.Duration(1<<62) / time.Millisecond)

// prop is how one producer property sets its option: set parses the
// (trimmed) value into c or says what it wants.
type prop struct {
	field string // the scenario's producer field
	set   func(c *producer.Config, v string) error
}

// props are the producer properties Apply maps. The compression levels
// and partitioner.class are also handled in Apply.
var props = map[string]prop{
	"acks": {"acks", func(c *producer.Config, v string) (err error) {
		c.Acks, err = producer.ParseAcks(v)
		return wantIf(err, "all, -1, 1 or 0")
	}},
	"linger.ms":  {"linger", millis(func(c *producer.Config) *time.Duration { return &c.Linger })},
	"batch.size": {"max_batch_bytes", integer(128, func(c *producer.Config) *int { return &c.MaxBatchBytes })},
	"compression.type": {"compression", func(c *producer.Config, v string) (err error) {
		if c.Compression, err = producer.ParseCodec(v); c.Compression == producer.CodecZlib {
			err = errors.New("zlib is no Kafka codec")
		}
		return wantIf(err, "none, gzip, snappy, lz4 or zstd")
	}},
	"compression.gzip.level":                {"compression_level", level},
	"compression.lz4.level":                 {"compression_level", level},
	"compression.zstd.level":                {"compression_level", level},
	"max.in.flight.requests.per.connection": {"max_in_flight", integer(1, func(c *producer.Config) *int { return &c.MaxInFlight })},
	"request.timeout.ms":                    {"request_timeout", millis(func(c *producer.Config) *time.Duration { return &c.RequestTimeout })},
	"delivery.timeout.ms":                   {"send_timeout", millis(func(c *producer.Config) *time.Duration { return &c.SendTimeout })},
	"buffer.memory": {"max_pending_bytes", func(c *producer.Config, v string) error { // a Java long
		n, err := strconv.ParseInt(v, 10, 64)
		if err == nil && n >= 0 {
			c.MaxPendingBytes = n
			return nil
		}
		return errors.New("want a whole number of bytes >= 0")
	}},
	"retries":              {"retries", integer(0, func(c *producer.Config) *int { return &c.Retries })},
	"retry.backoff.ms":     {"retry_backoff", millis(func(c *producer.Config) *time.Duration { return &c.RetryBackoff })},
	"retry.backoff.max.ms": {"max_retry_backoff", millis(func(c *producer.Config) *time.Duration { return &c.MaxRetryBackoff })},
	"enable.idempotence": {"idempotent", func(c *producer.Config, v string) (err error) {
		c.Idempotent, err = Bool(v)
		return err
	}},
	"transactional.id":  {"transactional_id", func(c *producer.Config, v string) error { c.TransactionalID = v; return nil }},
	"partitioner.class": {"partitioner", func(*producer.Config, string) error { return nil }},
}

// wantIf returns nil when err is, else "want " + what.
func wantIf(err error, what string) error {
	if err != nil {
		return errors.New("want " + what)
	}
	return nil
}

// millis sets the Duration at(c) from a whole number of milliseconds.
func millis(at func(*producer.Config) *time.Duration) func(*producer.Config, string) error {
	return func(c *producer.Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > maxMillis {
			return errors.New("want milliseconds, a whole number >= 0")
		}
		*at(c) = time.Duration(n) * time.Millisecond
		return nil
	}
}

// integer sets the int at(c) from a Java int of at least lo (Int).
func integer(lo int, at func(*producer.Config) *int) func(*producer.Config, string) error {
	return func(c *producer.Config, v string) error {
		n, err := Int(v, lo)
		if err == nil {
			*at(c) = n
		}
		return err
	}
}

// level checks a compression level; Apply sets the chosen codec's.
func level(_ *producer.Config, v string) error {
	_, err := strconv.Atoi(v)
	return wantIf(err, "a whole number")
}

// Field returns the scenario's producer field that the producer property
// key sets ("linger" for linger.ms), "" when Apply does not map key.
func Field(key string) string { return props[key].field }

// Apply sets c's options from the producer properties among ps (those
// with a Field), in order, a later one winning, as Kafka's Java client
// reads them; values are trimmed of surrounding blanks. It returns one
// Use a property. A compression.{gzip,lz4,zstd}.level applies when its
// codec is c's compression once all are applied (Kafka reads the chosen
// codec's level); another codec's is Skipped, as is a partitioner.class
// with no prodbench partitioner (custom classes cannot run here). The
// first value that does not parse is returned as an Error (nil when
// none), c then half set.
func Apply(c *producer.Config, ps []Prop) ([]Use, *Error) {
	uses := make([]Use, len(ps))
	var levels, custom []int // indices of compression levels, of custom partitioner classes
	for i, p := range ps {
		m, ok := props[p.Key]
		if !ok {
			continue
		}
		v := strings.TrimSpace(p.Value)
		if err := m.set(c, v); err != nil {
			return uses, &Error{Index: i, Key: p.Key, Msg: err.Error()}
		}
		switch name, known := Partitioners[v]; {
		case m.field == "compression_level":
			levels = append(levels, i)
		case p.Key == "partitioner.class" && !known:
			custom = append(custom, i)
		case p.Key == "partitioner.class":
			c.Partitioner = name
			uses[i].Field = m.field
		default:
			uses[i].Field = m.field
		}
	}
	for _, i := range custom {
		uses[i].Skipped = "custom partitioner classes cannot run in prodbench; using " + c.Partitioner
	}
	codec := c.Compression.String()
	for _, i := range levels {
		key := ps[i].Key
		if of := strings.TrimSuffix(strings.TrimPrefix(key, "compression."), ".level"); of != codec {
			uses[i].Skipped = fmt.Sprintf("the %s level does not apply: the compression is %s", of, codec)
			continue
		}
		c.CompressionLevel, _ = strconv.Atoi(strings.TrimSpace(ps[i].Value))
		uses[i].Field = props[key].field
	}
	return uses, nil
}

// Int parses a Java int property's value, at least lo; values beyond an
// int32 are capped. The error says what is wanted, never the value.
func Int(v string, lo int) (int, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < int64(lo) {
		return 0, fmt.Errorf("want a whole number >= %d", lo)
	}
	return int(min(n, int64(^uint32(0)>>1))), nil
}

// Bool parses a Java boolean property's value: true or false, in any
// case (Kafka's ConfigDef; no 1, t or yes). The error says what is
// wanted, never the value.
func Bool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("want true or false")
}
