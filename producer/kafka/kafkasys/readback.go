package kafkasys

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
)

// readBackStall is how long a read back may go without a record before it
// fails, naming the partitions still short of their end.
const readBackStall = 15 * time.Second

// readBack returns the Opened.ReadBack of a Kafka target: a kgo consumer
// (with the target's security options) reads each partition of the topics
// from its log start offset to the end offset listed when the read began:
// the high watermark, or, for a transactional producer, the last stable
// offset with read_committed isolation, so that aborted records are never
// delivered. Control records (commit markers) are kept by the client only
// to know when a partition is done; fn never sees them.
func readBack(brokers []string, sec []kgo.Opt, transactional bool) func(context.Context, []string, func(*registry.ReadRecord) error) error {
	return func(ctx context.Context, topics []string, fn func(*registry.ReadRecord) error) error {
		base := append([]kgo.Opt{kgo.SeedBrokers(brokers...), kgo.ClientID("prodbench-verify")}, sec...)
		admCl, err := kgo.NewClient(base...)
		if err != nil {
			return fmt.Errorf("kafka: read back: %w", err)
		}
		adm := kadm.NewClient(admCl)
		starts, err := adm.ListStartOffsets(ctx, topics...)
		if err == nil {
			err = starts.Error()
		}
		var ends kadm.ListedOffsets
		if err == nil {
			if transactional {
				ends, err = adm.ListCommittedOffsets(ctx, topics...)
			} else {
				ends, err = adm.ListEndOffsets(ctx, topics...)
			}
			if err == nil {
				err = ends.Error()
			}
		}
		admCl.Close()
		if err != nil {
			return fmt.Errorf("kafka: read back: listing offsets of %s: %w", strings.Join(topics, ","), err)
		}
		from := map[string]map[int32]kgo.Offset{}
		left := map[string]map[int32]int64{} // end offset of each partition still to read
		pending := 0
		ends.Each(func(e kadm.ListedOffset) {
			s, ok := starts.Lookup(e.Topic, e.Partition)
			if !ok || s.Offset >= e.Offset {
				return
			}
			if from[e.Topic] == nil {
				from[e.Topic], left[e.Topic] = map[int32]kgo.Offset{}, map[int32]int64{}
			}
			from[e.Topic][e.Partition] = kgo.NewOffset().At(s.Offset)
			left[e.Topic][e.Partition] = e.Offset
			pending++
		})
		if pending == 0 {
			return nil
		}
		opts := append(base, kgo.ConsumePartitions(from), kgo.KeepControlRecords(),
			kgo.FetchMaxWait(200*time.Millisecond))
		if transactional {
			opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
		}
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			return fmt.Errorf("kafka: read back: %w", err)
		}
		defer cl.Close()
		var rec registry.ReadRecord
		var hdrs []producer.Header
		for pending > 0 {
			pctx, cancel := context.WithTimeout(ctx, readBackStall)
			fs := cl.PollFetches(pctx)
			cancel()
			if err := ctx.Err(); err != nil {
				return err
			}
			var ferr error
			fs.EachError(func(t string, p int32, err error) {
				if ferr == nil && !errors.Is(err, context.DeadlineExceeded) {
					ferr = fmt.Errorf("kafka: read back %s/%d: %w", t, p, err)
				}
			})
			if ferr != nil {
				return ferr
			}
			if fs.NumRecords() == 0 {
				return fmt.Errorf("kafka: read back stalled for %v: %s short of their end offsets", readBackStall, describeLeft(left))
			}
			var cbErr error
			fs.EachRecord(func(r *kgo.Record) {
				end, ok := left[r.Topic][r.Partition]
				if !ok || r.Offset >= end || cbErr != nil {
					return
				}
				if r.Offset >= end-1 {
					delete(left[r.Topic], r.Partition)
					pending--
				}
				if r.Attrs.IsControl() {
					return
				}
				hdrs = hdrs[:0]
				for _, h := range r.Headers {
					hdrs = append(hdrs, producer.Header{Key: h.Key, Value: h.Value})
				}
				rec = registry.ReadRecord{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
					Key: r.Key, Headers: hdrs, Value: r.Value}
				cbErr = fn(&rec)
			})
			if cbErr != nil {
				return cbErr
			}
		}
		return nil
	}
}

// describeLeft names up to 5 partitions not read to their end.
func describeLeft(left map[string]map[int32]int64) string {
	var out []string
	for t, ps := range left {
		for p, end := range ps {
			out = append(out, fmt.Sprintf("%s/%d (end %d)", t, p, end))
		}
	}
	sort.Strings(out)
	if len(out) > 5 {
		out = append(out[:5], fmt.Sprintf("and %d more", len(out)-5))
	}
	return strings.Join(out, ", ")
}
