package pulsarws

import (
	"context"
	"testing"

	"github.com/prodbench/prodbench/producer"
)

// BenchmarkSend sends 512-byte keyed messages with headers through the
// client to the in-process stand-in (both sides count in allocs/op).
func BenchmarkSend(b *testing.B) {
	p := producer.DefaultConfig()
	op := open(b, Kind, "", nil, p, "bench")
	e := op.Engine
	val := make([]byte, 512)
	rec := &producer.Record{Topic: "bench", Key: []byte("key-42"), Value: val,
		Headers: []producer.Header{{Key: "trace", Value: []byte("0123456789abcdef")}}}
	var failed int
	cb := func(a producer.Ack, err error) {
		if err != nil {
			failed++
		}
	}
	ctx := context.Background()
	for i := 0; i < 2000; i++ { // warm the pools
		e.Send(ctx, rec, cb)
	}
	e.Flush(ctx)
	b.SetBytes(int64(len(val)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Send(ctx, rec, cb)
	}
	if err := e.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	if failed > 0 {
		b.Fatalf("%d failed", failed)
	}
}

// BenchmarkAppendFrame measures frame encoding alone.
func BenchmarkAppendFrame(b *testing.B) {
	rec := &producer.Record{Topic: "t", Key: []byte("key-42"), Value: make([]byte, 512),
		Headers: []producer.Header{{Key: "trace", Value: []byte("0123456789abcdef")}}}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = appendFrame(buf[:0], rec, uint64(i))
	}
}

// BenchmarkParseAck measures ack parsing and message ID decoding.
func BenchmarkParseAck(b *testing.B) {
	frame := []byte(`{"result":"ok","messageId":"CAEQKg==","context":"123456"}`)
	var a ackFrame
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if parseAck(frame, &a) != nil {
			b.Fatal("parse")
		}
		if _, ok := decodeMessageID(a.messageID); !ok {
			b.Fatal("id")
		}
	}
}
