package nats

import (
	"context"
	"errors"
	"fmt"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
)

// readBackStall is how long a read back may go without a message before
// it fails, naming the stream and how far it got.
const readBackStall = 15 * time.Second

// readBackFunc returns the Opened.ReadBack of engine e, connected to url with
// tc's options: on a connection of its own (the engine's is closed by
// then), for each topic's station, an ordered consumer on its stream (all of its partition subjects) delivers
// every message from the first to the stream's last sequence as of the
// call; the partition is the subject's index among the station's subjects,
// the key the target's key_header when it is set (else none).
func readBackFunc(e *engine, url string, tc *Config) func(context.Context, []string, func(*registry.ReadRecord) error) error {
	return func(ctx context.Context, topics []string, fn func(*registry.ReadRecord) error) error {
		opts, err := connectOptions(tc, nil)
		if err != nil {
			return err
		}
		nc, err := natsgo.Connect(url, opts...)
		if err != nil {
			return fmt.Errorf("nats: read back: connect to %s: %w", redact(url), err)
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			return fmt.Errorf("nats: read back: %w", err)
		}
		return readStations(ctx, js, *e.stations.Load(), e.keyHdr, topics, fn)
	}
}

// readStations reads topics' stations back through js.
func readStations(ctx context.Context, js jetstream.JetStream, stations map[string]*station, keyHdr string, topics []string, fn func(*registry.ReadRecord) error) error {
	var rec registry.ReadRecord
	var hdrs []producer.Header
	for _, topic := range topics {
		st := stations[topic]
		if st == nil {
			return fmt.Errorf("nats: read back: topic %s is not open", topic)
		}
		part := make(map[string]int32, len(st.subjects))
		for i, s := range st.subjects {
			part[s] = int32(i)
		}
		stream, err := js.Stream(ctx, st.stream)
		if err != nil {
			return fmt.Errorf("nats: read back: stream %s: %w", st.stream, err)
		}
		info, err := stream.Info(ctx)
		if err != nil {
			return fmt.Errorf("nats: read back: stream %s: %w", st.stream, err)
		}
		last := info.State.LastSeq
		if info.State.Msgs == 0 {
			continue
		}
		cons, err := js.OrderedConsumer(ctx, st.stream, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
		if err != nil {
			return fmt.Errorf("nats: read back: stream %s: %w", st.stream, err)
		}
		var at uint64
		idle := time.Now()
		for at < last {
			batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(time.Second))
			if err != nil {
				return fmt.Errorf("nats: read back: stream %s: %w", st.stream, err)
			}
			got := 0
			for m := range batch.Messages() {
				got++
				md, err := m.Metadata()
				if err != nil {
					return fmt.Errorf("nats: read back: stream %s: %w", st.stream, err)
				}
				at = md.Sequence.Stream
				if at > last {
					continue
				}
				hdrs = hdrs[:0]
				var key []byte
				for k, vs := range m.Headers() {
					if keyHdr != "" && k == keyHdr && len(vs) > 0 {
						key = []byte(vs[0])
						continue
					}
					for _, v := range vs {
						hdrs = append(hdrs, producer.Header{Key: k, Value: []byte(v)})
					}
				}
				rec = registry.ReadRecord{Topic: topic, Partition: part[m.Subject()], Offset: int64(at),
					Key: key, Headers: hdrs, Value: m.Data()}
				if err := fn(&rec); err != nil {
					return err
				}
			}
			if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("nats: read back: stream %s: %w", st.stream, err)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if got > 0 {
				idle = time.Now()
			} else if time.Since(idle) > readBackStall {
				return fmt.Errorf("nats: read back of stream %s stalled for %v at sequence %d of %d", st.stream, readBackStall, at, last)
			}
		}
	}
	return nil
}
