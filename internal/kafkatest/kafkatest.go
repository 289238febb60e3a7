// Package kafkatest holds the Kafka test helpers the tests of several
// packages share (producer/kafka, producer/franz and cmd/prodbench):
// reading a topic back with franz-go's consumer, checking what was read,
// and answering produce requests on a kfake cluster. It imports no system
// package (the producer core alone), so the internal tests of
// producer/kafka may use it too.
package kafkatest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodbench/prodbench/producer"
)

// Consume reads topic from the start from the brokers at addrs until it
// has at least n records; then, if settle > 0, it polls on until a poll
// of settle brings nothing more, to catch records beyond n. It fails t if
// timeout passes first or a fetch fails. opts add consumer options
// (isolation level, fetch wait).
func Consume(t testing.TB, addrs []string, topic string, n int, timeout, settle time.Duration, opts ...kgo.Opt) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addrs...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out []*kgo.Record
	for {
		pctx, pcancel := ctx, context.CancelFunc(func() {})
		if len(out) >= n {
			if settle <= 0 {
				return out
			}
			pctx, pcancel = context.WithTimeout(ctx, settle)
		}
		fs := cl.PollFetches(pctx)
		pcancel()
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records: %v", len(out), n, err)
		}
		fs.EachError(func(tp string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("fetch %s/%d: %v", tp, p, err)
			}
		})
		before := len(out)
		out = append(out, fs.Records()...)
		if len(out) == before && before >= n {
			return out
		}
	}
}

// KeyedRecord is the i-th record of a round trip to topic: key "key-<i>",
// but "foo", "bar" and "baz" (Java's published murmur2 vectors) for the
// first three; value "<prefix><i>;" repeated 1+i%repeat times; headers
// "seq" (i) and "empty" (an empty value).
func KeyedRecord(topic string, i int, prefix string, repeat int) *producer.Record {
	key := fmt.Sprintf("key-%d", i)
	if i < 3 {
		key = []string{"foo", "bar", "baz"}[i]
	}
	return &producer.Record{
		Topic: topic,
		Key:   []byte(key),
		Value: bytes.Repeat([]byte(fmt.Sprintf("%s%d;", prefix, i)), 1+i%repeat),
		Headers: []producer.Header{
			{Key: "seq", Value: []byte(fmt.Sprint(i))},
			{Key: "empty", Value: []byte{}},
		},
	}
}

// CheckHeadersPartition fails t unless r, a record read back, carries
// the headers of w, the record sent, and sits on the partition Java's
// murmur2 partitioner gives its key among partitions.
func CheckHeadersPartition(t testing.TB, r *kgo.Record, w *producer.Record, partitions int32) {
	t.Helper()
	k := string(r.Key)
	if len(r.Headers) != len(w.Headers) {
		t.Fatalf("key %q: %d headers, want %d", k, len(r.Headers), len(w.Headers))
	}
	for i, h := range r.Headers {
		if h.Key != w.Headers[i].Key || !bytes.Equal(h.Value, w.Headers[i].Value) {
			t.Fatalf("key %q: header %d = %q:%q, want %q:%q", k, i, h.Key, h.Value, w.Headers[i].Key, w.Headers[i].Value)
		}
	}
	if wantP := producer.KeyPartition(r.Key, partitions); r.Partition != wantP {
		t.Fatalf("key %q on partition %d, murmur2 says %d", k, r.Partition, wantP)
	}
}

// AnswerProduce makes c answer the next times produce requests (0: every
// one) itself instead of appending: each partition of a request gets a
// response partition with its Partition set that fill completes.
func AnswerProduce(c *kfake.Cluster, times int, fill func(sp *kmsg.ProduceResponseTopicPartition)) {
	var n atomic.Int64
	c.ControlKey(int16(kmsg.Produce), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		if times == 0 || n.Add(1) < int64(times) {
			c.KeepControl()
		}
		return ProduceResponse(kr.(*kmsg.ProduceRequest), func(_ *kmsg.ProduceRequestTopicPartition, sp *kmsg.ProduceResponseTopicPartition) {
			fill(sp)
		}), nil, true
	})
}

// ProduceResponse returns the response to req that a broker appending
// nothing would build: per topic of req, a response topic with its Topic
// and TopicID, and per partition rp a response partition sp with its
// Partition set that fill completes.
func ProduceResponse(req *kmsg.ProduceRequest, fill func(rp *kmsg.ProduceRequestTopicPartition, sp *kmsg.ProduceResponseTopicPartition)) *kmsg.ProduceResponse {
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewProduceResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		for i := range rt.Partitions {
			rp := &rt.Partitions[i]
			sp := kmsg.NewProduceResponseTopicPartition()
			sp.Partition = rp.Partition
			fill(rp, &sp)
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}
