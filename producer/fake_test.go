package producer

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// fakeTransport is an in-memory Transport for the core's tests. Its record
// format is a minimal length-prefixed one: offsetDelta, key, value.
type fakeTransport struct {
	partitions int32
	brokers    int32 // leaders are partition % brokers

	delay   time.Duration // per request
	stallCh chan struct{} // when non-nil, Produce waits for it to close
	failN   atomic.Int32  // fail this many requests with failErr
	failErr error

	mu       sync.Mutex
	batches  []fakeBatch
	inFlight map[int32]int
	maxSeen  map[int32]int
	offsets  map[string]int64
}

type fakeBatch struct {
	topic     string
	partition int32
	records   int32
	codec     Codec
	payload   []byte
	keys      [][]byte
	size      int // uncompressed records section bytes
}

func newFake(partitions int32) *fakeTransport {
	return &fakeTransport{partitions: partitions, brokers: 1,
		inFlight: map[int32]int{}, maxSeen: map[int32]int{}, offsets: map[string]int64{}}
}

// newStalledFake is newFake whose Produce does not answer until the test
// closes f.stallCh (if ever).
func newStalledFake(partitions int32) *fakeTransport {
	f := newFake(partitions)
	f.stallCh = make(chan struct{})
	return f
}

func (f *fakeTransport) Partitions(ctx context.Context, topic string) (int32, error) {
	if topic == "missing" {
		return 0, fmt.Errorf("unknown topic %q", topic)
	}
	return f.partitions, nil
}

func (f *fakeTransport) Leader(ctx context.Context, topic string, p int32) (int32, error) {
	return p % f.brokers, nil
}

func (f *fakeTransport) AppendRecord(dst []byte, offsetDelta int32, tsDelta int64, r *Record) []byte {
	dst = binary.AppendVarint(dst, int64(offsetDelta))
	dst = binary.AppendVarint(dst, int64(len(r.Key)))
	dst = append(dst, r.Key...)
	dst = binary.AppendVarint(dst, int64(len(r.Value)))
	return append(dst, r.Value...)
}

func (f *fakeTransport) BatchOverhead() int { return 61 }

// Capabilities: Kafka's five codecs, nothing optional.
func (f *fakeTransport) Capabilities() Capabilities {
	return Capabilities{Codecs: []CodecSupport{{Codec: CodecGzip}, {Codec: CodecSnappy}, {Codec: CodecLZ4}, {Codec: CodecZstd}}}
}

func (f *fakeTransport) Produce(ctx context.Context, broker int32, acks Acks, timeout time.Duration, bs []*Batch) error {
	f.mu.Lock()
	f.inFlight[broker]++
	if f.inFlight[broker] > f.maxSeen[broker] {
		f.maxSeen[broker] = f.inFlight[broker]
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight[broker]--
		f.mu.Unlock()
	}()
	if f.stallCh != nil {
		select {
		case <-f.stallCh:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if f.failN.Add(-1) >= 0 {
		return f.failErr
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range bs {
		raw, keys, ok := decodeBatch(b)
		if !ok {
			continue
		}
		tp := fmt.Sprintf("%s/%d", b.Topic, b.Partition)
		for r := int64(0); r < int64(b.Records); r++ {
			b.Positions = append(b.Positions, f.offsets[tp]+r)
		}
		f.offsets[tp] += int64(b.Records)
		b.WireBytes = int32(61 + len(b.Payload))
		f.batches = append(f.batches, fakeBatch{topic: b.Topic, partition: b.Partition, records: b.Records,
			codec: b.Codec, payload: append([]byte(nil), b.Payload...), keys: keys, size: len(raw)})
	}
	return nil
}

// decodeBatch decompresses b and decodes its keys; on failure it sets
// b.Err and returns ok false.
func decodeBatch(b *Batch) (raw []byte, keys [][]byte, ok bool) {
	raw, err := decompress(b.Codec, b.Payload)
	if err == nil {
		keys, err = fakeKeys(raw, b.Records)
	}
	b.Err = err
	return raw, keys, err == nil
}

// fakeKeys decodes the records section written by AppendRecord.
func fakeKeys(raw []byte, n int32) ([][]byte, error) {
	var keys [][]byte
	for i := int32(0); i < n; i++ {
		delta, m := binary.Varint(raw)
		if m <= 0 || delta != int64(i) {
			return nil, fmt.Errorf("record %d: bad offset delta %d", i, delta)
		}
		raw = raw[m:]
		kl, m := binary.Varint(raw)
		raw = raw[m:]
		keys = append(keys, append([]byte(nil), raw[:kl]...))
		raw = raw[kl:]
		vl, m := binary.Varint(raw)
		raw = raw[m+int(vl):]
	}
	if len(raw) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(raw))
	}
	return keys, nil
}

func (f *fakeTransport) snapshot() []fakeBatch {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeBatch(nil), f.batches...)
}
