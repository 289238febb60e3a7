package producer

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// compressor compresses a batch's records section, framed as the
// transport asks (Capabilities.Codecs): with FramingStandard as Kafka
// clients frame each codec — a gzip stream (RFC 1952), a raw snappy block,
// an LZ4 frame (the LZ4 frame format spec), a zstd frame (RFC 8878), a
// zlib stream (RFC 1950); with FramingLZ4Block a raw LZ4 block (Pulsar's
// framing). Encoders are pooled; compress is safe for concurrent use.
type compressor struct {
	codec   Codec
	framing Framing
	level   int       // 0: the codec's default
	blocks  sync.Pool // *lz4.Compressor or *lz4.CompressorHC
	gzips   sync.Pool // streamWriter: *gzip.Writer
	zlibs   sync.Pool // streamWriter: *zlib.Writer
	zstd    *zstd.Encoder
}

func newCompressor(c Codec, framing Framing, level int) (*compressor, error) {
	cp := &compressor{codec: c, framing: framing, level: level}
	switch {
	case framing == FramingLZ4Block && c != CodecLZ4:
		return nil, fmt.Errorf("compression: LZ4 block framing asked for codec %v", c)
	case framing > FramingLZ4Block:
		return nil, fmt.Errorf("compression: unknown framing %d for codec %v", framing, c)
	}
	switch c {
	case CodecNone, CodecGzip, CodecSnappy, CodecLZ4, CodecZlib:
	case CodecZstd:
		opts := []zstd.EOption{zstd.WithEncoderConcurrency(1), zstd.WithZeroFrames(true)}
		if level != 0 {
			opts = append(opts, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)))
		}
		enc, err := zstd.NewWriter(nil, opts...)
		if err != nil {
			return nil, fmt.Errorf("zstd encoder: %w", err)
		}
		cp.zstd = enc
	default:
		return nil, fmt.Errorf("compression: unsupported codec %v", c)
	}
	return cp, nil
}

// appendBuffer is an io.Writer that appends to a byte slice it owns.
type appendBuffer struct{ b []byte }

func (a *appendBuffer) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

// compress appends src, compressed, to dst[:0] and returns it. With
// CodecNone it returns src itself.
func (c *compressor) compress(dst, src []byte) ([]byte, error) {
	switch c.codec {
	case CodecNone:
		return src, nil
	case CodecSnappy:
		return s2.EncodeSnappy(dst[:cap(dst)], src), nil
	case CodecZstd:
		return c.zstd.EncodeAll(src, dst[:0]), nil
	case CodecGzip:
		return c.stream(&c.gzips, dst, src, func(w io.Writer) (streamWriter, error) {
			return gzip.NewWriterLevel(w, c.gzipLevel())
		})
	case CodecZlib:
		return c.stream(&c.zlibs, dst, src, func(w io.Writer) (streamWriter, error) {
			return zlib.NewWriterLevel(w, c.gzipLevel())
		})
	case CodecLZ4:
		if c.framing == FramingLZ4Block {
			return c.lz4Block(dst, src)
		}
		return c.lz4Frame(dst, src)
	}
	return nil, fmt.Errorf("compression: unsupported codec %v", c.codec)
}

// lz4FrameOptions frame a Kafka batch as the Java client
// (KafkaLZ4BlockOutputStream) and librdkafka (LZ4F's default preferences)
// do: 64 KiB blocks and no content checksum. pierrec/lz4's Writer defaults
// to 4 MiB blocks and an xxh32 of the whole content; the checksum was 6.3%
// of all CPU in a peer-1k lz4 run (prodbench run --cpuprofile, d16bcb0) and
// adds nothing a batch's CRC-32C does not already check. A 64 KiB block
// keeps a pooled writer's buffer at 64 KiB rather than 4 MiB.
var lz4FrameOptions = []lz4.Option{lz4.BlockSizeOption(lz4.Block64Kb), lz4.ChecksumOption(false)}

// blockCompressor is pierrec/lz4's block compressor, fast or HC.
type blockCompressor interface {
	CompressBlock(src, dst []byte) (int, error)
}

// getBlock returns a pooled block compressor: HC when hc, else fast.
func (c *compressor) getBlock(hc bool) blockCompressor {
	if bc, _ := c.blocks.Get().(blockCompressor); bc != nil {
		return bc
	}
	if hc {
		return &lz4.CompressorHC{Level: lz4Level(c.level)}
	}
	return &lz4.Compressor{}
}

// lz4FrameBlock is the largest block of the LZ4 frames compress writes
// (lz4FrameOptions' 64 KiB).
const lz4FrameBlock = 64 << 10

// lz4FrameHeader is the 7-byte LZ4 frame header lz4FrameOptions give
// (magic, FLG, BD, header checksum), taken once from pierrec/lz4's Writer
// so that lz4Frame writes exactly the frames the Writer would.
var lz4FrameHeader = func() []byte {
	var b bytes.Buffer
	w := lz4.NewWriter(&b)
	if err := w.Apply(lz4FrameOptions...); err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return append([]byte(nil), b.Bytes()[:7]...)
}()

// lz4Frame compresses src into dst[:0] as an LZ4 frame (the LZ4 frame
// format spec) with lz4FrameOptions: the header, each 64 KiB of src as an
// independent block (stored raw, size bit 31 set, when it does not
// shrink), and the end mark; no checksums. These are the bytes pierrec's
// Writer writes with those options (TestLZ4FrameMatchesWriter), without
// the Writer's two copies: src into its block buffer and each block out
// through an io.Writer (together 3.8% of CPU in a peer-1k lz4 profile).
// Any level above 0 compresses with HC, as the Writer does.
func (c *compressor) lz4Frame(dst, src []byte) ([]byte, error) {
	blocks := (len(src) + lz4FrameBlock - 1) / lz4FrameBlock
	need := len(lz4FrameHeader) + 4 + blocks*(4+lz4.CompressBlockBound(lz4FrameBlock))
	if cap(dst) < need {
		dst = make([]byte, 0, need)
	}
	out := append(dst[:0], lz4FrameHeader...)
	bc := c.getBlock(c.level > 0)
	defer c.blocks.Put(bc)
	for len(src) > 0 {
		blk := src[:min(len(src), lz4FrameBlock)]
		src = src[len(blk):]
		at := len(out)
		room := out[at+4 : at+4+lz4.CompressBlockBound(len(blk))]
		n, err := bc.CompressBlock(blk, room)
		if err != nil {
			return nil, fmt.Errorf("lz4 frame: %w", err)
		}
		if n == 0 || n >= len(blk) {
			out = binary.LittleEndian.AppendUint32(out, uint32(len(blk))|1<<31)
			out = append(out, blk...)
			continue
		}
		out = binary.LittleEndian.AppendUint32(out, uint32(n))
		out = out[:len(out)+n]
	}
	return binary.LittleEndian.AppendUint32(out, 0), nil
}

// lz4Block compresses src into dst[:0] as one raw LZ4 block. An
// incompressible src still gets a block (CompressBlockBound leaves room).
func (c *compressor) lz4Block(dst, src []byte) ([]byte, error) {
	bc := c.getBlock(c.level > 1)
	need := lz4.CompressBlockBound(len(src))
	if cap(dst) < need {
		dst = make([]byte, need)
	}
	n, err := bc.CompressBlock(src, dst[:need])
	c.blocks.Put(bc)
	if err == nil && n == 0 && len(src) > 0 {
		err = fmt.Errorf("lz4 block: %d bytes did not compress into %d", len(src), need)
	}
	if err != nil {
		return nil, err
	}
	return dst[:n], nil
}

// streamWriter is a pooled stream encoder: gzip, zlib and lz4 writers.
type streamWriter interface {
	io.WriteCloser
	Reset(w io.Writer)
}

// stream compresses src into dst[:0] with a writer from pool, made by mk
// when the pool is empty.
func (c *compressor) stream(pool *sync.Pool, dst, src []byte, mk func(io.Writer) (streamWriter, error)) ([]byte, error) {
	buf := &appendBuffer{b: dst[:0]}
	w, _ := pool.Get().(streamWriter)
	if w == nil {
		var err error
		if w, err = mk(buf); err != nil {
			return nil, err
		}
	} else {
		w.Reset(buf)
	}
	_, err := w.Write(src)
	if err == nil {
		err = w.Close()
	}
	pool.Put(w)
	return buf.b, err
}

// decompress reverses compress with FramingStandard; it is used by tests
// and by tools that read batches back.
func decompress(c Codec, src []byte) ([]byte, error) {
	switch c {
	case CodecNone:
		return src, nil
	case CodecSnappy:
		return s2.Decode(nil, src)
	case CodecZstd:
		d, err := zstd.NewReader(nil)
		if err != nil {
			return nil, err
		}
		defer d.Close()
		return d.DecodeAll(src, nil)
	case CodecGzip:
		return readAll(gzip.NewReader(bytes.NewReader(src)))
	case CodecLZ4:
		return readAll(lz4.NewReader(bytes.NewReader(src)), nil)
	case CodecZlib:
		return readAll(zlib.NewReader(bytes.NewReader(src)))
	}
	return nil, fmt.Errorf("compression: unsupported codec %v", c)
}

// readAll returns what r decompresses, up to the first error; err is the
// error of opening r, returned alone if not nil.
func readAll(r io.Reader, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	_, err = out.ReadFrom(r)
	return out.Bytes(), err
}

// gzipLevel is the gzip/zlib level: c.level, or the default (-1) for 0.
func (c *compressor) gzipLevel() int {
	if c.level == 0 {
		return gzip.DefaultCompression
	}
	return c.level
}

// lz4Level maps a KIP-390 lz4 level (1–17) onto pierrec/lz4's Level1–9.
func lz4Level(l int) lz4.CompressionLevel {
	l = min(max(l, 1), 9)
	return lz4.CompressionLevel(1 << (8 + l))
}
