package standin

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/prodbench/prodbench/producer/pulsar/standin/third_party/pulsarpb"
)

// frame builds what follows a SEND command: magic, checksum, metadata,
// payload.
func frame(t *testing.T, m *pb.MessageMetadata, payload []byte) []byte {
	t.Helper()
	mb, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	body := binary.BigEndian.AppendUint32(nil, uint32(len(mb)))
	body = append(append(body, mb...), payload...)
	out := binary.BigEndian.AppendUint16(nil, magicCrc32c)
	out = binary.BigEndian.AppendUint32(out, crc32.Checksum(body, castagnoli))
	return append(out, body...)
}

func meta(n int32, size int) *pb.MessageMetadata {
	m := &pb.MessageMetadata{ProducerName: proto.String("p"), SequenceId: proto.Uint64(0), PublishTime: proto.Uint64(1),
		UncompressedSize: proto.Uint32(uint32(size))}
	if n > 0 {
		m.NumMessagesInBatch = proto.Int32(n)
	}
	return m
}

func batch(t *testing.T, payloads ...string) []byte {
	var out []byte
	for _, p := range payloads {
		smm, err := proto.Marshal(&pb.SingleMessageMetadata{PayloadSize: proto.Int32(int32(len(p))), PartitionKey: proto.String("k")})
		if err != nil {
			t.Fatal(err)
		}
		out = binary.BigEndian.AppendUint32(out, uint32(len(smm)))
		out = append(append(out, smm...), p...)
	}
	return out
}

func TestDecode(t *testing.T) {
	d := decoder{keep: true}
	b := batch(t, "one", "three")
	e, err := d.decode(frame(t, meta(2, len(b)), b), DefaultMaxMessageSize)
	if err != nil || e.count != 2 || e.payloadBytes != 8 || !e.batched || e.msgs[1].Key != "k" || string(e.msgs[1].Payload) != "three" {
		t.Fatalf("good batch: %+v, %v", e, err)
	}
	f := frame(t, meta(2, len(b)), b)
	f[len(f)-1] ^= 1
	if _, err := d.decode(f, DefaultMaxMessageSize); !errors.Is(err, errChecksum) {
		t.Fatalf("corrupt frame: %v", err)
	}
	if _, err := d.decode(frame(t, meta(3, len(b)), b), DefaultMaxMessageSize); err == nil || !strings.Contains(err.Error(), "3 messages") {
		t.Fatalf("batch count 3 for 2 messages: %v", err)
	}
	if _, err := d.decode(frame(t, meta(2, len(b)+1), b), DefaultMaxMessageSize); err == nil {
		t.Fatal("wrong uncompressed size accepted")
	}
	m := meta(0, 5)
	m.Compression = pb.CompressionType_LZ4.Enum()
	if _, err := d.decode(frame(t, m, []byte("hello")), DefaultMaxMessageSize); err == nil {
		t.Fatal("plain bytes accepted as lz4")
	}
	if e, err := d.decode(frame(t, meta(0, 5), []byte("hello")), DefaultMaxMessageSize); err != nil || e.count != 1 || e.batched {
		t.Fatalf("unbatched: %+v %v", e, err)
	}
}
