package producer

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pierrec/lz4/v4"
)

func TestMurmur2JavaVectors(t *testing.T) {
	t.Parallel()
	// Vectors from Kafka's UtilsTest.testMurmur2 (Java client).
	for _, tc := range []struct {
		in   string
		want int32
	}{
		{"21", -973932308},
		{"foobar", -790332482},
		{"a-little-bit-long-string", -985981536},
		{"a-little-bit-longer-string", -1486304829},
		{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
		{"abc", 479470107},
	} {
		if got := Murmur2([]byte(tc.in)); got != tc.want {
			t.Errorf("Murmur2(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
	// Partition assignments the Java default partitioner gives with 100
	// partitions.
	for key, want := range map[string]int32{"foo": 16, "bar": 45, "baz": 80} {
		if got := KeyPartition([]byte(key), 100); got != want {
			t.Errorf("KeyPartition(%q, 100) = %d, want %d", key, got, want)
		}
	}
}

// sendEach sends the n records mk makes, calling ack with each one's
// index and outcome, flushes p if flush is set, and returns once every
// callback has run.
func sendEach(t *testing.T, p *Producer, n int, mk func(i int) *Record, flush bool, ack func(i int, a Ack, err error)) {
	t.Helper()
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		p.Send(context.Background(), mk(i), func(a Ack, err error) {
			ack(i, a, err)
			wg.Done()
		})
	}
	if flush {
		if err := p.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}

// sendN sends n records to topic t and waits for every callback; it
// returns the acks in callback order and the errors.
func sendN(t *testing.T, p *Producer, n int, mk func(i int) *Record) ([]Ack, []error) {
	t.Helper()
	var mu sync.Mutex
	var acks []Ack
	var errs []error
	sendEach(t, p, n, mk, false, func(_ int, a Ack, err error) {
		mu.Lock()
		if err != nil {
			errs = append(errs, err)
		} else {
			acks = append(acks, a)
		}
		mu.Unlock()
	})
	return acks, errs
}

// newTest returns a producer with cfg on tr, closed at the end of the
// test.
func newTest(t *testing.T, cfg Config, tr Transport) *Producer {
	t.Helper()
	p, err := New(cfg, tr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return p
}

func TestEveryRecordAckedOnceInOrder(t *testing.T) {
	t.Parallel()
	for _, codec := range []Codec{CodecNone, CodecGzip, CodecSnappy, CodecLZ4, CodecZstd} {
		t.Run(codec.String(), func(t *testing.T) {
			t.Parallel()
			f := newFake(4)
			cfg := DefaultConfig()
			cfg.Linger = time.Millisecond
			cfg.Compression = codec
			cfg.MaxBatchBytes = 4096
			p := newTest(t, cfg, f)
			const n = 5000
			acks, errs := sendN(t, p, n, func(i int) *Record {
				return &Record{Topic: "t", Key: []byte(fmt.Sprintf("k%d", i%37)), Value: bytes.Repeat([]byte{byte(i)}, 100)}
			})
			if len(errs) != 0 || len(acks) != n {
				t.Fatalf("acks %d errs %v", len(acks), errs[:min(3, len(errs))])
			}
			// Offsets per partition are 0..k-1 in callback order, and
			// each record went to its murmur2 partition.
			next := map[int32]int64{}
			for _, a := range acks {
				if want := KeyPartition(a.Record.Key, 4); a.Partition != want {
					t.Fatalf("key %s on partition %d, want %d", a.Record.Key, a.Partition, want)
				}
				if a.Offset != next[a.Partition] {
					t.Fatalf("partition %d: offset %d, want %d (order broken)", a.Partition, a.Offset, next[a.Partition])
				}
				next[a.Partition]++
			}
			var recs int32
			for _, b := range f.snapshot() {
				recs += b.records
				if b.size+61 > cfg.MaxBatchBytes {
					t.Fatalf("batch of %d bytes exceeds max_batch_bytes %d", b.size+61, cfg.MaxBatchBytes)
				}
			}
			if recs != n {
				t.Fatalf("transport saw %d records, want %d", recs, n)
			}
			if codec != CodecNone && p.Stats().CompressionRatio() <= 1.5 {
				t.Fatalf("compression ratio %.2f for repetitive values with %v", p.Stats().CompressionRatio(), codec)
			}
		})
	}
}

func TestBatchSealing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		linger      time.Duration
		maxMessages int
		wantRecords func(perBatch []int32) error
	}{
		// max_batch_messages caps every batch exactly.
		{"count", time.Hour, 10, func(pb []int32) error {
			for _, r := range pb {
				if r != 10 {
					return fmt.Errorf("batch of %d records, want 10", r)
				}
			}
			return nil
		}},
		// A long linger with all records sent at once puts them in one
		// batch, sealed by Flush.
		{"flush", time.Hour, 0, func(pb []int32) error {
			if len(pb) != 1 || pb[0] != 100 {
				return fmt.Errorf("batches %v, want one of 100", pb)
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(1)
			cfg := DefaultConfig()
			cfg.Linger = tc.linger
			cfg.MaxBatchMessages = tc.maxMessages
			p := newTest(t, cfg, f)
			sendEach(t, p, 100, func(int) *Record { return &Record{Topic: "t", Value: []byte("v")} }, true, func(int, Ack, error) {})
			var pb []int32
			for _, b := range f.snapshot() {
				pb = append(pb, b.records)
			}
			if err := tc.wantRecords(pb); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestLingerHoldsBatch(t *testing.T) {
	t.Parallel()
	f := newFake(1)
	cfg := DefaultConfig()
	cfg.Linger = 200 * time.Millisecond
	p := newTest(t, cfg, f)
	start := time.Now()
	done := make(chan time.Time, 3)
	for i := 0; i < 3; i++ {
		p.Send(context.Background(), &Record{Topic: "t", Value: []byte("v")}, func(Ack, error) { done <- time.Now() })
	}
	for i := 0; i < 3; i++ {
		at := <-done
		if el := at.Sub(start); el < 190*time.Millisecond {
			t.Fatalf("record acked after %v, before linger 200ms", el)
		}
	}
	if got := f.snapshot(); len(got) != 1 || got[0].records != 3 {
		t.Fatalf("want one batch of 3 records, got %+v", got)
	}
}

func TestMaxInFlightPerBroker(t *testing.T) {
	t.Parallel()
	f := newStalledFake(8)
	f.brokers = 2
	cfg := DefaultConfig()
	cfg.Linger = 0
	cfg.MaxInFlight = 2
	cfg.MaxBatchMessages = 1
	p := newTest(t, cfg, f)
	// Event-based: partitions become ready one at a time, each Send
	// waiting until its request is in flight (or, past the limit, until
	// the broker has 2 in flight), while the broker stalls every request:
	// a broker would have up to 4 requests in flight if nothing limited
	// it.
	var wg sync.WaitGroup
	inFlight := func(b int32) int {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.inFlight[b]
	}
	guard := time.Now().Add(60 * time.Second) // deadlock guard only
	for i := 0; i < 8; i++ {
		wg.Add(1)
		p.Send(context.Background(), &Record{Topic: "t", Partition: int32(i), UsePartition: true, Value: []byte("v")},
			func(a Ack, err error) {
				if err != nil {
					t.Error(err)
				}
				wg.Done()
			})
		want := min(i/2+1, 2) // partitions i%2 lead to broker i%2
		for inFlight(int32(i%2)) < want {
			if time.Now().After(guard) {
				t.Fatalf("broker %d: %d requests in flight, want %d", i%2, inFlight(int32(i%2)), want)
			}
			time.Sleep(time.Millisecond)
		}
	}
	close(f.stallCh)
	wg.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	for b := int32(0); b < 2; b++ {
		if m := f.maxSeen[b]; m != 2 {
			t.Fatalf("broker %d: at most %d requests in flight, want exactly max_in_flight 2", b, m)
		}
	}
}

func TestRequestErrorFailsEveryRecord(t *testing.T) {
	t.Parallel()
	f := newFake(1)
	f.failErr = errors.New("connection reset")
	f.failN.Store(1000)
	p := newTest(t, DefaultConfig(), f)
	acks, errs := sendN(t, p, 50, func(i int) *Record { return &Record{Topic: "t", Value: []byte("v")} })
	if len(acks) != 0 || len(errs) != 50 {
		t.Fatalf("acks %d errs %d, want 0 and 50", len(acks), len(errs))
	}
	if st := p.Stats(); st.FailedRecords != 50 || st.Records != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCloseFailsPendingAfterDeadline(t *testing.T) {
	t.Parallel()
	f := newStalledFake(2)
	cfg := DefaultConfig()
	cfg.Linger = time.Hour
	cfg.MaxBatchMessages = 5
	p, err := New(cfg, f)
	if err != nil {
		t.Fatal(err)
	}
	var closed, other atomic.Int32
	for i := 0; i < 23; i++ {
		p.Send(context.Background(), &Record{Topic: "t", Value: []byte("v")}, func(a Ack, err error) {
			if errors.Is(err, ErrClosed) {
				closed.Add(1)
			} else {
				other.Add(1)
			}
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := p.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want deadline exceeded", err)
	}
	if closed.Load() != 23 || other.Load() != 0 || p.Pending() != 0 {
		t.Fatalf("closed %d other %d pending %d, want 23/0/0", closed.Load(), other.Load(), p.Pending())
	}
	var late error
	p.Send(context.Background(), &Record{Topic: "t"}, func(a Ack, err error) { late = err })
	if !errors.Is(late, ErrClosed) {
		t.Fatalf("Send after Close: %v, want ErrClosed", late)
	}
}

func TestStickyKeylessSpreads(t *testing.T) {
	t.Parallel()
	f := newFake(6)
	cfg := DefaultConfig()
	cfg.Linger = 0
	cfg.MaxBatchMessages = 10
	p := newTest(t, cfg, f)
	_, errs := sendN(t, p, 3000, func(i int) *Record { return &Record{Topic: "t", Value: []byte("v")} })
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	used := map[int32]int32{}
	for _, b := range f.snapshot() {
		used[b.partition] += b.records
	}
	if len(used) != 6 {
		t.Fatalf("keyless records used partitions %v, want all 6", used)
	}
}

func TestSendErrors(t *testing.T) {
	t.Parallel()
	p := newTest(t, DefaultConfig(), newFake(3))
	for _, tc := range []struct {
		name string
		rec  *Record
	}{
		// Metadata failure for the topic reaches the callback.
		{"unknown topic", &Record{Topic: "missing"}},
		// An explicit partition outside the topic is refused.
		{"bad partition", &Record{Topic: "t", Partition: 3, UsePartition: true}},
	} {
		var got error
		p.Send(context.Background(), tc.rec, func(a Ack, err error) { got = err })
		if got == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if p.Pending() != 0 {
		t.Fatalf("pending %d after refused sends", p.Pending())
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Linger = -1 }, "linger"},                       // negative linger
		{func(c *Config) { c.MaxBatchBytes = 10 }, "max_batch_bytes"},       // too small
		{func(c *Config) { c.MaxInFlight = 0 }, "max_in_flight"},            // no slot
		{func(c *Config) { c.MaxBatchMessages = -2 }, "max_batch_messages"}, // negative count
		{func(c *Config) { c.Acks = 7 }, "acks"},                            // unknown acks
		{func(c *Config) { c.Compression = 9 }, "compression"},              // unknown codec
	} {
		c := DefaultConfig()
		tc.mod(&c)
		if _, err := New(c, newFake(1)); err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
			t.Errorf("want error naming %s, got %v", tc.want, err)
		}
	}
}

func TestCompressRoundTrip(t *testing.T) {
	t.Parallel()
	src := bytes.Repeat([]byte("prodbench compressible payload "), 1000)
	for _, c := range Codecs {
		cp, err := newCompressor(c, FramingStandard, 0)
		if err != nil {
			t.Fatal(err)
		}
		out, err := cp.compress(nil, src)
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		back, err := decompress(c, out)
		if err != nil || !bytes.Equal(back, src) {
			t.Fatalf("%v: round trip failed: %v", c, err)
		}
		if c != CodecNone && len(out) >= len(src)/4 {
			t.Errorf("%v: %d → %d bytes, expected at least 4x", c, len(src), len(out))
		}
	}
}

// TestClassifyUnknownNotRetried: the core retries only what the transport
// classified as retriable (and its own request timeout); an error nobody
// classified fails at once, so a system's "stream not found" is not
// retried as a connection error.
func TestClassifyUnknownNotRetried(t *testing.T) {
	for _, tc := range []struct {
		err             error
		retriable, meta bool
	}{
		{errors.New("stream not found"), false, false},
		{context.Canceled, false, false},
		{ErrClosed, false, false},
		{ErrRequestTimeout, true, false},
		{&SystemError{Kind: "nats:stream_not_found"}, false, false},
		{&SystemError{Kind: "connection", Retriable: true, Metadata: true}, true, true},
		{&TopicError{Topic: "t", Err: &SystemError{Kind: "x", Retriable: true}}, true, false},
		{&BrokerError{Code: 6, Name: "NOT_LEADER_OR_FOLLOWER", Retriable: true}, false, false}, // unclassified by a transport
	} {
		r, m := classify(tc.err)
		if r != tc.retriable || m != tc.meta {
			t.Errorf("classify(%v) = %v, %v; want %v, %v", tc.err, r, m, tc.retriable, tc.meta)
		}
	}
	if k := ErrorKind(&BrokerError{Code: 6, Name: "not_leader_or_follower"}); k != "broker:NOT_LEADER_OR_FOLLOWER" {
		t.Errorf("BrokerError kind %q", k)
	}
}

// lz4Compress compresses src with a new LZ4 compressor of framing and
// level, failing t on an error.
func lz4Compress(t *testing.T, framing Framing, level int, src []byte) []byte {
	t.Helper()
	c, err := newCompressor(CodecLZ4, framing, level)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.compress(nil, src)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLZ4BlockFraming: a transport asking for LZ4 block framing gets a raw
// block (no frame magic) that lz4.UncompressBlock reads back, at every
// level.
func TestLZ4BlockFraming(t *testing.T) {
	src := bytes.Repeat([]byte("prodbench lz4 block framing "), 200)
	for _, level := range []int{0, 1, 9} {
		out := lz4Compress(t, FramingLZ4Block, level, src)
		if bytes.HasPrefix(out, []byte{0x04, 0x22, 0x4d, 0x18}) {
			t.Fatalf("level %d: output starts with the LZ4 frame magic", level)
		}
		back := make([]byte, len(src))
		n, err := lz4.UncompressBlock(out, back)
		if err != nil || !bytes.Equal(back[:n], src) {
			t.Fatalf("level %d: round trip: n %d err %v", level, n, err)
		}
	}
	if _, err := newCompressor(CodecGzip, FramingLZ4Block, 0); err == nil {
		t.Error("gzip with LZ4 block framing accepted")
	}
}

// TestLZ4FrameAsKafkaClients: a Kafka batch's LZ4 frame is framed as the
// Java client and librdkafka frame it (64 KiB independent blocks, no
// content checksum), spans several blocks when the batch is larger, and
// reads back with pierrec/lz4 and, where the lz4 command (the reference C
// implementation) is installed, with it too.
func TestLZ4FrameAsKafkaClients(t *testing.T) {
	t.Parallel()
	src := make([]byte, 200<<10)
	for i := range src {
		src[i] = byte(i * i >> 7)
	}
	for _, level := range []int{0, 9} {
		out := lz4Compress(t, FramingStandard, level, src)
		if len(out) < 7 || !bytes.HasPrefix(out, []byte{0x04, 0x22, 0x4d, 0x18}) {
			t.Fatalf("level %d: no LZ4 frame magic: % x", level, out[:min(len(out), 8)])
		}
		flg, bd := out[4], out[5]
		if flg>>6 != 1 || flg&0x20 == 0 || flg&0x04 != 0 || flg&0x08 != 0 {
			t.Errorf("level %d: FLG %08b: want version 01, independent blocks, no content checksum, no content size", level, flg)
		}
		if bd != 4<<4 {
			t.Errorf("level %d: BD %#x: want block maximum 64 KiB (0x40)", level, bd)
		}
		// The first block's size field follows the 7-byte header.
		if n := int(binary.LittleEndian.Uint32(out[7:]) &^ (1 << 31)); n > 64<<10 || n+11 >= len(out) {
			t.Errorf("level %d: first block %d bytes of a %d-byte frame: want one 64 KiB block of several", level, n, len(out))
		}
		back, err := decompress(CodecLZ4, out)
		if err != nil || !bytes.Equal(back, src) {
			t.Fatalf("level %d: pierrec/lz4 round trip: %v", level, err)
		}
		if path, err := exec.LookPath("lz4"); err == nil {
			cmd := exec.Command(path, "-d", "-c")
			cmd.Stdin = bytes.NewReader(out)
			got, err := cmd.Output()
			if err != nil || !bytes.Equal(got, src) {
				t.Fatalf("level %d: lz4 -d: %v (%d bytes back of %d)", level, err, len(got), len(src))
			}
		} else {
			t.Logf("lz4 command not installed: frame checked with pierrec/lz4 only")
		}
	}
}

// TestLZ4FrameMatchesWriter: the core's own LZ4 frame writer (lz4Frame)
// writes, byte for byte, the frame pierrec/lz4's Writer writes with the
// same options, at the default level and with HC, for empty, small,
// block-sized, multi-block, incompressible and mixed inputs, reusing one
// output buffer; and the frame decodes back to the input.
func TestLZ4FrameMatchesWriter(t *testing.T) {
	t.Parallel()
	rnd := make([]byte, 150<<10)
	for i := range rnd {
		rnd[i] = byte(i*2654435761>>13) ^ byte(i>>3*7919)
	}
	pattern := make([]byte, 200<<10)
	for i := range pattern {
		pattern[i] = byte(i * i >> 7)
	}
	mixed := append(append([]byte(nil), rnd[:70<<10]...), make([]byte, 70<<10)...)
	inputs := map[string][]byte{
		"empty": {}, "small": []byte("hello, lz4 hello, lz4"), "block": pattern[:64<<10],
		"block+1": pattern[:64<<10+1], "pattern": pattern, "random": rnd, "mixed": mixed,
	}
	for _, level := range []int{0, 9} {
		c, err := newCompressor(CodecLZ4, FramingStandard, level)
		if err != nil {
			t.Fatal(err)
		}
		var dst []byte
		for name, src := range inputs {
			var want bytes.Buffer
			w := lz4.NewWriter(&want)
			opts := lz4FrameOptions
			if level > 0 {
				opts = append(opts[:len(opts):len(opts)], lz4.CompressionLevelOption(lz4Level(level)))
			}
			if err := w.Apply(opts...); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(src); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := c.compress(dst, src)
			if err != nil {
				t.Fatalf("level %d %s: %v", level, name, err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("level %d %s: %d bytes, pierrec's Writer %d; first difference at %d", level, name, len(got), want.Len(), firstDiff(got, want.Bytes()))
			}
			back, err := decompress(CodecLZ4, got)
			if err != nil || !bytes.Equal(back, src) {
				t.Errorf("level %d %s: round trip: %v", level, name, err)
			}
			dst = got
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// delayTransport wraps a Transport the way a fault-injection or delay
// wrapper does: it intercepts Produce and forwards everything else.
type delayTransport struct {
	Transport
	produced int
}

func (d *delayTransport) Produce(ctx context.Context, broker int32, acks Acks, timeout time.Duration, bs []*Batch) error {
	d.produced++
	return d.Transport.Produce(ctx, broker, acks, timeout, bs)
}

// TestWrapperKeepsCapabilities: a wrapper that forwards Capabilities keeps
// idempotence, transactions and topic creation (with type assertions the
// wrapper hid them), and the records still carry the inner transport's
// positions.
func TestWrapperKeepsCapabilities(t *testing.T) {
	f := newFeat(2)
	w := &delayTransport{Transport: f}
	cfg := DefaultConfig()
	cfg.Idempotent = true
	cfg.AutoCreateTopics = true
	p, err := New(cfg, w)
	if err != nil {
		t.Fatalf("New over a wrapper: %v", err)
	}
	defer p.Close(context.Background())
	var got Ack
	var gotErr error
	done := make(chan struct{})
	p.Send(context.Background(), &Record{Topic: "t", Key: []byte("k"), Value: []byte("v")}, func(a Ack, err error) {
		got, gotErr = a, err
		close(done)
	})
	<-done
	if gotErr != nil || got.Offset != 0 || w.produced == 0 {
		t.Fatalf("ack %+v err %v, %d requests through the wrapper", got, gotErr, w.produced)
	}
	cfg.TransactionalID = "x"
	p2, err := New(cfg, w)
	if err != nil {
		t.Fatalf("transactions over a wrapper: %v", err)
	}
	_ = p2.Close(context.Background())
	// Without a feature, New says so.
	cfg = DefaultConfig()
	cfg.Idempotent = true
	if _, err := New(cfg, newFake(1)); err == nil {
		t.Fatal("idempotent over a transport without Idempotence accepted")
	}
}

// countingTransport counts Partitions calls (metadata loads).
type countingTransport struct {
	*fakeTransport
	loads atomic.Int32
}

func (c *countingTransport) Partitions(ctx context.Context, topic string) (int32, error) {
	c.loads.Add(1)
	return c.fakeTransport.Partitions(ctx, topic)
}

// TestLoadTopics checks that LoadTopics does the metadata work a first
// Send would (a Send after it loads nothing) and names a topic it cannot
// load.
func TestLoadTopics(t *testing.T) {
	t.Parallel()
	tr := &countingTransport{fakeTransport: newFake(3)}
	p, err := New(DefaultConfig(), tr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	if err := p.LoadTopics(context.Background(), "a", "b"); err != nil {
		t.Fatal(err)
	}
	if n := tr.loads.Load(); n != 2 {
		t.Fatalf("%d metadata loads for 2 topics", n)
	}
	done := make(chan error, 1)
	p.Send(context.Background(), &Record{Topic: "a", Value: []byte("v")}, func(_ Ack, err error) { done <- err })
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := tr.loads.Load(); n != 2 {
		t.Errorf("a Send after LoadTopics loaded metadata again: %d loads", n)
	}
	var te *TopicError
	if err := p.LoadTopics(context.Background(), "missing"); !errors.As(err, &te) || te.Topic != "missing" {
		t.Errorf("LoadTopics(missing) = %v, want a TopicError naming it", err)
	}
}

// TestCopiesRecords checks the CopiesRecords promise: one Record, its key
// and value buffers rewritten for every Send, still yields every record
// intact in the batches, and each Ack carries the Tag and bytes the
// record had at its Send, failures included.
func TestCopiesRecords(t *testing.T) {
	t.Parallel()
	f := newFake(3)
	cfg := DefaultConfig()
	cfg.Linger, cfg.MaxBatchBytes = 5*time.Millisecond, 2048
	p := newTest(t, cfg, f)
	if !p.CopiesRecords() {
		t.Fatal("CopiesRecords is false")
	}
	const n = 3000
	acks, errs := make([]Ack, n), make([]error, n)
	var r Record
	key, val := make([]byte, 0, 16), make([]byte, 0, 64)
	sendEach(t, p, n, func(i int) *Record {
		key = fmt.Appendf(key[:0], "key-%d", i)
		val = append(val[:0], bytes.Repeat([]byte{byte(i)}, i%50)...)
		r = Record{Topic: "t", Key: key, Value: val, Headers: []Header{{Key: "h", Value: key[:2]}}, Tag: [2]int64{int64(i), -int64(i)}}
		return &r
	}, true, func(i int, a Ack, err error) { acks[i], errs[i] = a, err })
	for i, a := range acks {
		wantTag := [2]int64{int64(i), -int64(i)}
		want := int64(len(fmt.Sprintf("key-%d", i))) + int64(i%50) + 1 + 2
		if errs[i] != nil || a.Tag != wantTag || a.Bytes != want {
			t.Fatalf("record %d: error %v, ack tag %v, %d bytes; want tag %v and %d bytes", i, errs[i], a.Tag, a.Bytes, wantTag, want)
		}
	}
	seen := map[string]bool{}
	for _, b := range f.snapshot() {
		for _, k := range b.keys {
			seen[string(k)] = true
		}
	}
	for i := 0; i < n; i++ {
		if k := fmt.Sprintf("key-%d", i); !seen[k] {
			t.Fatalf("%q not in any batch (%d distinct keys): the producer kept a buffer it was handed", k, len(seen))
		}
	}
	// A record failed inside Send carries its Tag and bytes too.
	var failed Ack
	r = Record{Topic: "missing", Key: []byte("k"), Value: []byte("vv"), Tag: [2]int64{7, 8}}
	p.Send(context.Background(), &r, func(a Ack, err error) {
		if err == nil {
			t.Error("send to a missing topic succeeded")
		}
		failed = a
	})
	if failed.Tag != [2]int64{7, 8} || failed.Bytes != 3 {
		t.Errorf("failed record's ack: tag %v, bytes %d; want {7 8}, 3", failed.Tag, failed.Bytes)
	}
}
