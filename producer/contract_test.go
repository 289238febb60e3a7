package producer

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pierrec/lz4/v4"
)

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

// TestLZ4BlockFraming: a transport asking for LZ4 block framing gets a raw
// block (no frame magic) that lz4.UncompressBlock reads back, at every
// level.
func TestLZ4BlockFraming(t *testing.T) {
	src := bytes.Repeat([]byte("prodbench lz4 block framing "), 200)
	for _, level := range []int{0, 1, 9} {
		c, err := newCompressor(CodecLZ4, FramingLZ4Block, level)
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.compress(nil, src)
		if err != nil {
			t.Fatal(err)
		}
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
