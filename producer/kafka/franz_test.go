package kafka

import (
	"bytes"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/kafka/wire"
	"github.com/prodbench/prodbench/producer/kafka/wire/wiretest"
)

// update regenerates testdata/franz-*.bin with franz-go's producer:
//
//	go test ./producer/kafka -run TestFranzBatches -update
var update = flag.Bool("update", false, "regenerate testdata/franz-*.bin from franz-go's producer")

// franzCodecs are the codecs of the golden batches, with franz-go's
// matching option.
var franzCodecs = []struct {
	codec producer.Codec
	kgo   kgo.CompressionCodec
}{
	{producer.CodecNone, kgo.NoCompression()},
	{producer.CodecGzip, kgo.GzipCompression()},
	{producer.CodecSnappy, kgo.SnappyCompression()},
	{producer.CodecLZ4, kgo.Lz4Compression()},
	{producer.CodecZstd, kgo.ZstdCompression()},
}

// franzBaseTS is the first golden record's timestamp, Unix ms.
const franzBaseTS = 1_700_000_000_123

// franzRecords is the fixed record set of the golden batches: null and
// empty keys and values, headers with null and empty values, values long
// enough to compress, and timestamp deltas whose varlongs take 1 to 3
// bytes (records are in timestamp order, as a producer stamps them).
func franzRecords() (recs []*producer.Record, ts []int64) {
	deltas := []int64{0, 1, 1, 7, 63, 64, 200, 8191, 8192, 20000, 20000, 100000}
	for i, d := range deltas {
		r := &producer.Record{
			Key:   fmt.Appendf(nil, "key-%02d", i),
			Value: bytes.Repeat(fmt.Appendf(nil, "value %d, ", i), 5+i*3),
			Headers: []producer.Header{
				{Key: "seq", Value: fmt.Appendf(nil, "%d", i)},
				{Key: "codec-test", Value: []byte("prodbench")},
			},
		}
		switch i {
		case 2:
			r.Key = nil
		case 3:
			r.Key = []byte{}
		case 4:
			r.Value = nil
		case 5:
			r.Value = []byte{}
		case 6:
			r.Headers = nil
		case 7:
			r.Headers = append(r.Headers, producer.Header{Key: "null", Value: nil}, producer.Header{Key: "", Value: []byte{}})
		case 8:
			r.Value = bytes.Repeat([]byte{0xEE}, 300) // a 2-byte length varint
		}
		recs = append(recs, r)
		ts = append(ts, franzBaseTS+d)
	}
	return recs, ts
}

func franzPath(c producer.Codec) string {
	return filepath.Join("testdata", "franz-"+c.String()+".bin")
}

// TestFranzBatchesUpdate writes testdata/franz-<codec>.bin: the raw
// RecordBatch franz-go's producer sends for franzRecords, captured from the
// ProduceRequest at the embedded broker. It runs only with -update. It is
// deliberately not parallel: sequential tests finish before parallel ones
// (TestFranzBatches) start, so an -update run checks the files it wrote.
func TestFranzBatchesUpdate(t *testing.T) {
	if !*update {
		t.Skip("run with -update to regenerate testdata/franz-*.bin")
	}
	const topic = "golden"
	e := startEmbedded(t, EmbeddedOptions{Topics: map[string]int32{topic: 1}})
	var mu sync.Mutex
	var captured [][]byte
	e.Cluster().ControlKey(int16(kmsg.Produce), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		e.Cluster().KeepControl()
		req := kr.(*kmsg.ProduceRequest)
		mu.Lock()
		defer mu.Unlock()
		for _, rt := range req.Topics {
			for _, rp := range rt.Partitions {
				captured = append(captured, bytes.Clone(rp.Records))
			}
		}
		return nil, nil, false // let the broker handle it
	})
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	recs, ts := franzRecords()
	for _, fc := range franzCodecs {
		cl, err := kgo.NewClient(
			kgo.SeedBrokers(e.Addrs()...),
			kgo.DefaultProduceTopic(topic),
			kgo.RecordPartitioner(kgo.ManualPartitioner()),
			kgo.ProducerBatchCompression(fc.kgo),
			kgo.ProducerLinger(time.Minute), // one batch, sent by Flush
			kgo.DisableIdempotentWrite(),
		)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		captured = nil
		mu.Unlock()
		ctx := testCtx(t)
		var wg sync.WaitGroup
		for i, r := range recs {
			kr := &kgo.Record{Key: r.Key, Value: r.Value, Partition: 0, Timestamp: time.UnixMilli(ts[i])}
			for _, h := range r.Headers {
				kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
			}
			wg.Add(1)
			cl.Produce(ctx, kr, func(_ *kgo.Record, err error) {
				defer wg.Done()
				if err != nil {
					t.Errorf("%v: produce: %v", fc.codec, err)
				}
			})
		}
		if err := cl.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		cl.Close()
		mu.Lock()
		got := captured
		mu.Unlock()
		if len(got) != 1 {
			t.Fatalf("%v: captured %d batches, want 1", fc.codec, len(got))
		}
		if err := os.WriteFile(franzPath(fc.codec), got[0], 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", franzPath(fc.codec), len(got[0]))
	}
}

// decompress decodes a records section compressed with Kafka codec c, as
// franz-go's producer compresses it: a gzip stream, a raw snappy block,
// an LZ4 frame, a zstd frame.
func decompress(t *testing.T, c producer.Codec, in []byte) []byte {
	t.Helper()
	var out []byte
	var err error
	switch c {
	case producer.CodecNone:
		return in
	case producer.CodecGzip:
		var r *gzip.Reader
		if r, err = gzip.NewReader(bytes.NewReader(in)); err == nil {
			out, err = io.ReadAll(r)
		}
	case producer.CodecSnappy:
		out, err = s2.Decode(nil, in)
	case producer.CodecLZ4:
		out, err = io.ReadAll(lz4.NewReader(bytes.NewReader(in)))
	case producer.CodecZstd:
		var d *zstd.Decoder
		if d, err = zstd.NewReader(nil); err == nil {
			out, err = d.DecodeAll(in, nil)
			d.Close()
		}
	default:
		t.Fatalf("no decompressor for %v", c)
	}
	if err != nil {
		t.Fatalf("decompress %v: %v", c, err)
	}
	return out
}

// TestFranzBatches decodes the RecordBatches franz-go's producer wrote for
// franzRecords (testdata/franz-*.bin, see TestFranzBatchesUpdate), checks
// every record against the fixed set, and checks that AppendRecord encodes
// the same records into exactly the bytes of franz-go's decompressed
// records section.
func TestFranzBatches(t *testing.T) {
	t.Parallel()
	recs, ts := franzRecords()
	for _, fc := range franzCodecs {
		t.Run(fc.codec.String(), func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(franzPath(fc.codec))
			if err != nil {
				t.Fatalf("%v (regenerate with -update)", err)
			}
			var rb kmsg.RecordBatch
			if err := rb.ReadFrom(raw); err != nil {
				t.Fatalf("RecordBatch: %v", err)
			}
			if crc := int32(crc32.Checksum(raw[wire.OffAttributes:], wire.Castagnoli)); rb.CRC != crc {
				t.Errorf("CRC %#x, computed %#x", uint32(rb.CRC), uint32(crc))
			}
			if got := producer.Codec(rb.Attributes & 0x07); got != fc.codec {
				t.Fatalf("batch codec %v, want %v", got, fc.codec)
			}
			if rb.NumRecords != int32(len(recs)) || rb.LastOffsetDelta != int32(len(recs)-1) {
				t.Errorf("%d records, last offset delta %d; want %d", rb.NumRecords, rb.LastOffsetDelta, len(recs))
			}
			if rb.FirstTimestamp != ts[0] || rb.MaxTimestamp != ts[len(ts)-1] {
				t.Errorf("timestamps %d..%d, want %d..%d", rb.FirstTimestamp, rb.MaxTimestamp, ts[0], ts[len(ts)-1])
			}
			section := decompress(t, fc.codec, rb.Records)
			parts := wiretest.SplitRecords(t, section)
			if len(parts) != len(recs) {
				t.Fatalf("records section holds %d records, want %d", len(parts), len(recs))
			}
			var ours []byte
			for i, p := range parts {
				var kr kmsg.Record
				if err := kr.ReadFrom(p); err != nil {
					t.Fatalf("record %d: %v", i, err)
				}
				wiretest.CheckRecord(t, i, &kr, int32(i), ts[i]-ts[0], recs[i])
				ours = AppendRecord(ours, int32(i), ts[i]-ts[0], recs[i])
				if want := AppendRecord(nil, int32(i), ts[i]-ts[0], recs[i]); !bytes.Equal(p, want) {
					t.Errorf("record %d: franz-go wrote %x, AppendRecord writes %x", i, p, want)
				}
			}
			if !bytes.Equal(ours, section) {
				t.Errorf("AppendRecord section (%d bytes) differs from franz-go's (%d bytes)", len(ours), len(section))
			}
		})
	}
}
