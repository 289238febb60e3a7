// Package standin is an in-process stand-in for an Apache Pulsar broker:
// it serves the producer path of Pulsar's binary protocol
// (https://pulsar.apache.org/docs/next/developing-binary-protocol/) on a
// TCP listener, enough for github.com/apache/pulsar-client-go's producer
// to connect, look topics up, create producers and publish.
//
// Commands served: CONNECT (with optional token authentication),
// PARTITIONED_METADATA, LOOKUP (always "connect here"), PRODUCER, SEND,
// PING/PONG, CLOSE_PRODUCER and GET_SCHEMA (answered "no schema"). Every
// SEND is checked as a broker would: the CRC32-C checksum, the
// MessageMetadata, the payload decompressed with the metadata's codec
// (LZ4 block, zlib, zstd, snappy) to exactly its uncompressed_size, and a
// batch split into exactly num_messages_in_batch single messages. A SEND
// that fails a check is answered with SEND_ERROR and counted in
// Stats.DecodeErrors. Each accepted SEND becomes one entry of the
// partition's single ledger and is answered with SEND_RECEIPT carrying
// (ledger, entry).
//
// It is not Pulsar: there is no storage, no BookKeeper, no replication,
// no consumers, no topic policies. Latency measured against it says
// nothing about a Pulsar cluster's.
package standin

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"google.golang.org/protobuf/proto"

	"github.com/prodbench/prodbench/producer/internal/listen"
	pb "github.com/prodbench/prodbench/producer/pulsar/standin/third_party/pulsarpb"
)

// DefaultMaxMessageSize is the largest message (metadata plus payload) the
// stand-in accepts and announces in CONNECTED, 5 MiB as Pulsar's default
// maxMessageSize.
const DefaultMaxMessageSize = 5 << 20

// frameSlack is what a frame may carry beyond the message: the command and
// the fixed header fields (Pulsar's MessageFramePadding is 10 KiB).
const frameSlack = 10 << 10

// Options configures Start.
type Options struct {
	// Listen is the host:port to listen on; "" means 127.0.0.1 with a
	// random port. A host of "" (":6650") means 127.0.0.1.
	Listen string
	// Topics are topics known from the start: short name ("orders") or
	// full name ("persistent://public/default/orders") → partition count;
	// 0 makes a non-partitioned topic.
	Topics map[string]int
	// DefaultPartitions is the partition count of topics not in Topics,
	// created on first use; 0 makes them non-partitioned.
	DefaultPartitions int
	// Retain keeps every received message (Messages returns them);
	// otherwise messages are decoded, checked and dropped.
	Retain bool
	// Token, when not "", requires CONNECT to authenticate with the
	// "token" method and exactly this token; anything else is refused
	// with an AuthenticationError. It never appears in any output.
	Token string
	// TLS, when not nil, serves TLS on the listener (pulsar+ssl://).
	TLS *tls.Config
	// MaxMessageSize is announced in CONNECTED and enforced; 0 means
	// DefaultMaxMessageSize.
	MaxMessageSize int
	// ReceiptDelay, when positive, delays every SEND_RECEIPT by that long
	// (receipts stay in order).
	ReceiptDelay time.Duration
}

// Message is one message the stand-in received, when Options.Retain is
// set.
type Message struct {
	// Topic is the partition's full topic name
	// ("persistent://public/default/t-partition-2"); Partition is its
	// index, -1 for a non-partitioned topic.
	Topic     string
	Partition int
	// Entry is the entry (SEND) the message came in; BatchIndex its index
	// in the batch, 0 for an unbatched message; BatchSize the number of
	// messages in that entry.
	Entry      int64
	BatchIndex int
	BatchSize  int
	// Codec is the entry's compression as named by Pulsar ("NONE",
	// "LZ4", "ZLIB", "ZSTD", "SNAPPY").
	Codec string
	// Key is the partition key; Payload the message's bytes; Properties
	// its properties.
	Key        string
	Payload    []byte
	Properties map[string]string
	// EventTime is the message's event time in Unix milliseconds, 0 when
	// not set.
	EventTime uint64
}

// Stats are the stand-in's counters since Start.
type Stats struct {
	// Connections is the number of connections accepted; AuthFailures
	// those refused at CONNECT.
	Connections  int64
	AuthFailures int64
	// Producers is the number of PRODUCER commands answered with
	// PRODUCER_SUCCESS.
	Producers int64
	// Entries is the number of SENDs accepted (one per batch, or per
	// message when unbatched); BatchedEntries those that carried a batch.
	Entries        int64
	BatchedEntries int64
	// Messages is the number of messages in accepted entries, and
	// PayloadBytes the sum of their payload sizes, after decompression
	// and batch decoding.
	Messages     int64
	PayloadBytes int64
	// WireBytes is the size of accepted entries' payloads as sent
	// (compressed), metadata excluded.
	WireBytes int64
	// EntriesByCodec counts accepted entries by compression: index is
	// Pulsar's CompressionType (0 NONE, 1 LZ4, 2 ZLIB, 3 ZSTD, 4 SNAPPY).
	EntriesByCodec [5]int64
	// DecodeErrors counts SENDs refused because a check failed (see the
	// package doc).
	DecodeErrors int64
	// HeldReceipts counts receipts withheld while Hold was on.
	HeldReceipts int64
}

// Server is a running stand-in. Its methods are safe for concurrent use.
type Server struct {
	opts   Options
	ln     net.Listener
	url    string
	maxMsg int

	mu       sync.Mutex
	topics   map[string]int // full base name → partitions
	parts    map[string]*partition
	retained []Message
	conns    map[*conn]struct{}
	closed   bool
	lastErr  string

	hold atomic.Bool
	st   struct {
		connections, authFailures, producers      atomic.Int64
		entries, batched, messages, payload, wire atomic.Int64
		decodeErrors, held                        atomic.Int64
		byCodec                                   [5]atomic.Int64
	}
	nextProducerName atomic.Int64
	wg               sync.WaitGroup
}

type partition struct {
	topic  string
	index  int
	ledger uint64
	mu     sync.Mutex
	next   uint64 // next entry ID
}

// Start listens and serves until Close. Errors name the listen address.
func Start(o Options) (*Server, error) {
	addr, _, _, err := listen.Addr("pulsar stand-in", o.Listen)
	if err != nil {
		return nil, err
	}
	if o.DefaultPartitions < 0 {
		return nil, fmt.Errorf("pulsar stand-in: default partitions must not be negative, got %d", o.DefaultPartitions)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pulsar stand-in cannot listen on %s: %w", addr, err)
	}
	s := &Server{
		opts:   o,
		maxMsg: o.MaxMessageSize,
		topics: map[string]int{},
		parts:  map[string]*partition{},
		conns:  map[*conn]struct{}{},
	}
	if s.maxMsg <= 0 {
		s.maxMsg = DefaultMaxMessageSize
	}
	for name, n := range o.Topics {
		if n < 0 {
			ln.Close()
			return nil, fmt.Errorf("pulsar stand-in: topic %q: partitions must not be negative, got %d", name, n)
		}
		s.topics[FullName(name)] = n
	}
	scheme := "pulsar://"
	if o.TLS != nil {
		scheme = "pulsar+ssl://"
		ln = tls.NewListener(ln, o.TLS)
	}
	s.ln = ln
	s.url = scheme + ln.Addr().String()
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// URL returns the service URL clients connect to, e.g.
// "pulsar://127.0.0.1:6650" (or pulsar+ssl:// with TLS).
func (s *Server) URL() string { return s.url }

// Addr returns URL (for registry.Server).
func (s *Server) Addr() string { return s.url }

// Hold, while on, makes the stand-in accept SENDs but withhold their
// receipts (counted in Stats.HeldReceipts), so that producers' send
// timeouts expire; receipts withheld are never sent.
func (s *Server) Hold(on bool) { s.hold.Store(on) }

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	st := Stats{
		Connections:    s.st.connections.Load(),
		AuthFailures:   s.st.authFailures.Load(),
		Producers:      s.st.producers.Load(),
		Entries:        s.st.entries.Load(),
		BatchedEntries: s.st.batched.Load(),
		Messages:       s.st.messages.Load(),
		PayloadBytes:   s.st.payload.Load(),
		WireBytes:      s.st.wire.Load(),
		DecodeErrors:   s.st.decodeErrors.Load(),
		HeldReceipts:   s.st.held.Load(),
	}
	for i := range st.EntriesByCodec {
		st.EntriesByCodec[i] = s.st.byCodec[i].Load()
	}
	return st
}

// LastDecodeError returns the message of the last SEND refused, "" if none.
func (s *Server) LastDecodeError() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// Messages returns a copy of the list of retained messages in arrival
// order (empty unless Options.Retain).
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.retained...)
}

// EachMessage calls fn with each message retained so far (empty unless
// Options.Retain), in arrival order, until fn returns false. It does not
// copy the list (Messages does): fn must neither change nor keep m.
// Messages retained during the call are not seen.
func (s *Server) EachMessage(fn func(m *Message) bool) {
	s.mu.Lock()
	msgs := s.retained[:len(s.retained):len(s.retained)] // appends never touch these
	s.mu.Unlock()
	for i := range msgs {
		if !fn(&msgs[i]) {
			return
		}
	}
}

// Close stops listening, closes every connection and waits for the
// server's goroutines. It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		c := &conn{s: s, nc: nc, br: bufio.NewReaderSize(nc, 64<<10), bw: bufio.NewWriterSize(nc, 64<<10),
			producers: map[uint64]*partition{}}
		c.dec.keep = s.opts.Retain
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.st.connections.Add(1)
		s.wg.Add(1)
		go c.serve()
	}
}

// fullName returns name as a full persistent topic name.
func FullName(name string) string {
	if strings.Contains(name, "://") {
		return name
	}
	if strings.Count(name, "/") == 2 {
		return "persistent://" + name
	}
	return "persistent://public/default/" + name
}

const partitionSuffix = "-partition-"

// splitPartition splits "base-partition-N" into base and N; N is -1 when
// the name has no partition suffix.
func SplitPartition(full string) (string, int) {
	i := strings.LastIndex(full, partitionSuffix)
	if i < 0 {
		return full, -1
	}
	n, err := strconv.Atoi(full[i+len(partitionSuffix):])
	if err != nil || n < 0 {
		return full, -1
	}
	return full[:i], n
}

// partitions returns the partition count of the base topic, creating the
// topic with DefaultPartitions when unknown.
func (s *Server) partitions(base string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.topics[base]
	if !ok {
		n = s.opts.DefaultPartitions
		s.topics[base] = n
	}
	return n
}

// partition returns the state of one partition topic (or of a
// non-partitioned topic), or an error when the index is out of range.
func (s *Server) partition(topic string) (*partition, error) {
	full := FullName(topic)
	base, idx := SplitPartition(full)
	n := s.partitions(base)
	if idx >= 0 && idx >= n {
		return nil, fmt.Errorf("topic %s has %d partitions", base, n)
	}
	if idx < 0 && n > 0 {
		return nil, fmt.Errorf("topic %s is partitioned (%d partitions): produce to its partitions", base, n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.parts[full]
	if !ok {
		p = &partition{topic: full, index: idx, ledger: uint64(len(s.parts) + 1)}
		s.parts[full] = p
	}
	return p, nil
}

func (s *Server) decodeError(err error) {
	s.st.decodeErrors.Add(1)
	s.mu.Lock()
	s.lastErr = err.Error()
	s.mu.Unlock()
}

// conn is one client connection. Only its serve goroutine reads; writes
// go through write, under wmu (the delayed-receipt goroutine writes too).
type conn struct {
	s  *Server
	nc net.Conn
	br *bufio.Reader

	wmu sync.Mutex
	bw  *bufio.Writer
	out []byte // frame encoding buffer, under wmu

	producers map[uint64]*partition // producer ID → partition, serve goroutine only
	frame     []byte
	dec       decoder
	delayed   chan delayedReceipt
}

type delayedReceipt struct {
	due time.Time
	cmd *pb.BaseCommand
}

func (c *conn) serve() {
	defer c.s.wg.Done()
	defer func() {
		c.nc.Close()
		c.s.mu.Lock()
		delete(c.s.conns, c)
		c.s.mu.Unlock()
		if c.delayed != nil {
			close(c.delayed)
		}
		if c.dec.zstd != nil {
			c.dec.zstd.Close()
		}
	}()
	if d := c.s.opts.ReceiptDelay; d > 0 {
		c.delayed = make(chan delayedReceipt, 1<<12)
		c.s.wg.Add(1)
		go c.sendDelayed()
	}
	if !c.handshake() {
		return
	}
	var cmd pb.BaseCommand
	for {
		frame, err := c.readFrame()
		if err != nil {
			return
		}
		if len(frame) < 4 {
			return
		}
		cmdSize := binary.BigEndian.Uint32(frame)
		if int(cmdSize) > len(frame)-4 {
			return
		}
		cmd.Reset()
		if err := proto.Unmarshal(frame[4:4+cmdSize], &cmd); err != nil {
			return
		}
		if !c.handle(&cmd, frame[4+cmdSize:]) {
			return
		}
		if c.br.Buffered() == 0 {
			c.wmu.Lock()
			err := c.bw.Flush()
			c.wmu.Unlock()
			if err != nil {
				return
			}
		}
	}
}

// readFrame reads one frame (without its total-size field) into c.frame.
func (c *conn) readFrame() ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(c.br, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[:]))
	if n > c.s.maxMsg+frameSlack {
		return nil, fmt.Errorf("frame of %d bytes exceeds the maximum", n)
	}
	if cap(c.frame) < n {
		c.frame = make([]byte, n)
	}
	f := c.frame[:n]
	if _, err := io.ReadFull(c.br, f); err != nil {
		return nil, err
	}
	return f, nil
}

// handshake reads CONNECT and answers CONNECTED, or ERROR when the token
// does not match.
func (c *conn) handshake() bool {
	_ = c.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	frame, err := c.readFrame()
	if err != nil || len(frame) < 4 {
		return false
	}
	_ = c.nc.SetReadDeadline(time.Time{})
	var cmd pb.BaseCommand
	cmdSize := binary.BigEndian.Uint32(frame)
	if int(cmdSize) > len(frame)-4 || proto.Unmarshal(frame[4:4+cmdSize], &cmd) != nil ||
		cmd.GetType() != pb.BaseCommand_CONNECT || cmd.Connect == nil {
		return false
	}
	if tok := c.s.opts.Token; tok != "" {
		ok := cmd.Connect.GetAuthMethodName() == "token" && string(cmd.Connect.GetAuthData()) == tok
		if !ok {
			c.s.st.authFailures.Add(1)
			c.write(&pb.BaseCommand{Type: pb.BaseCommand_ERROR.Enum(), Error: &pb.CommandError{
				RequestId: proto.Uint64(0),
				Error:     pb.ServerError_AuthenticationError.Enum(),
				Message:   proto.String("authentication failed: the stand-in wants a token (method token)"),
			}})
			c.flush()
			return false
		}
	}
	c.write(&pb.BaseCommand{Type: pb.BaseCommand_CONNECTED.Enum(), Connected: &pb.CommandConnected{
		ServerVersion:   proto.String("prodbench-standin"),
		ProtocolVersion: proto.Int32(cmd.Connect.GetProtocolVersion()),
		MaxMessageSize:  proto.Int32(int32(c.s.maxMsg)),
	}})
	return c.flush() == nil
}

// handle answers one command; false closes the connection.
func (c *conn) handle(cmd *pb.BaseCommand, rest []byte) bool {
	switch cmd.GetType() {
	case pb.BaseCommand_PING:
		c.write(&pb.BaseCommand{Type: pb.BaseCommand_PONG.Enum(), Pong: &pb.CommandPong{}})
	case pb.BaseCommand_PONG:
	case pb.BaseCommand_PARTITIONED_METADATA:
		m := cmd.PartitionMetadata
		base, _ := SplitPartition(FullName(m.GetTopic()))
		n := c.s.partitions(base)
		c.write(&pb.BaseCommand{Type: pb.BaseCommand_PARTITIONED_METADATA_RESPONSE.Enum(),
			PartitionMetadataResponse: &pb.CommandPartitionedTopicMetadataResponse{
				RequestId:  proto.Uint64(m.GetRequestId()),
				Partitions: proto.Uint32(uint32(n)),
				Response:   pb.CommandPartitionedTopicMetadataResponse_Success.Enum(),
			}})
	case pb.BaseCommand_LOOKUP:
		l := cmd.LookupTopic
		r := &pb.CommandLookupTopicResponse{
			RequestId:     proto.Uint64(l.GetRequestId()),
			Response:      pb.CommandLookupTopicResponse_Connect.Enum(),
			Authoritative: proto.Bool(true),
		}
		if c.s.opts.TLS != nil {
			r.BrokerServiceUrlTls = proto.String(c.s.url)
			r.BrokerServiceUrl = proto.String(strings.Replace(c.s.url, "pulsar+ssl://", "pulsar://", 1))
		} else {
			r.BrokerServiceUrl = proto.String(c.s.url)
		}
		c.write(&pb.BaseCommand{Type: pb.BaseCommand_LOOKUP_RESPONSE.Enum(), LookupTopicResponse: r})
	case pb.BaseCommand_PRODUCER:
		p := cmd.Producer
		part, err := c.s.partition(p.GetTopic())
		if err != nil {
			c.write(&pb.BaseCommand{Type: pb.BaseCommand_ERROR.Enum(), Error: &pb.CommandError{
				RequestId: proto.Uint64(p.GetRequestId()),
				Error:     pb.ServerError_TopicNotFound.Enum(),
				Message:   proto.String(err.Error()),
			}})
			return true
		}
		c.producers[p.GetProducerId()] = part
		name := p.GetProducerName()
		if name == "" {
			name = fmt.Sprintf("standin-%d", c.s.nextProducerName.Add(1))
		}
		c.s.st.producers.Add(1)
		c.write(&pb.BaseCommand{Type: pb.BaseCommand_PRODUCER_SUCCESS.Enum(), ProducerSuccess: &pb.CommandProducerSuccess{
			RequestId:      proto.Uint64(p.GetRequestId()),
			ProducerName:   proto.String(name),
			LastSequenceId: proto.Int64(-1),
			TopicEpoch:     proto.Uint64(0),
			ProducerReady:  proto.Bool(true),
		}})
	case pb.BaseCommand_CLOSE_PRODUCER:
		cp := cmd.CloseProducer
		delete(c.producers, cp.GetProducerId())
		c.write(&pb.BaseCommand{Type: pb.BaseCommand_SUCCESS.Enum(), Success: &pb.CommandSuccess{
			RequestId: proto.Uint64(cp.GetRequestId()),
		}})
	case pb.BaseCommand_GET_SCHEMA:
		gs := cmd.GetSchema
		c.write(&pb.BaseCommand{Type: pb.BaseCommand_GET_SCHEMA_RESPONSE.Enum(), GetSchemaResponse: &pb.CommandGetSchemaResponse{
			RequestId:    proto.Uint64(gs.GetRequestId()),
			ErrorCode:    pb.ServerError_TopicNotFound.Enum(),
			ErrorMessage: proto.String("the stand-in keeps no schemas"),
		}})
	case pb.BaseCommand_SEND:
		c.send(cmd.Send, rest)
	default:
		// Consumers, transactions and admin commands are not served.
		c.write(&pb.BaseCommand{Type: pb.BaseCommand_ERROR.Enum(), Error: &pb.CommandError{
			RequestId: proto.Uint64(0),
			Error:     pb.ServerError_NotAllowedError.Enum(),
			Message:   proto.String("the prodbench stand-in serves only the producer path, not " + cmd.GetType().String()),
		}})
	}
	return true
}

// send checks and records one SEND, then answers it.
func (c *conn) send(cmd *pb.CommandSend, rest []byte) {
	pid, seq := cmd.GetProducerId(), cmd.GetSequenceId()
	part, ok := c.producers[pid]
	fail := func(code pb.ServerError, err error) {
		c.s.decodeError(err)
		c.write(&pb.BaseCommand{Type: pb.BaseCommand_SEND_ERROR.Enum(), SendError: &pb.CommandSendError{
			ProducerId: proto.Uint64(pid),
			SequenceId: proto.Uint64(seq),
			Error:      code.Enum(),
			Message:    proto.String(err.Error()),
		}})
	}
	if !ok {
		fail(pb.ServerError_UnknownError, fmt.Errorf("SEND for unknown producer %d", pid))
		return
	}
	e, err := c.dec.decode(rest, c.s.maxMsg)
	if err != nil {
		code := pb.ServerError_UnknownError
		if errors.Is(err, errChecksum) {
			code = pb.ServerError_ChecksumError
		}
		fail(code, fmt.Errorf("%s: %w", part.topic, err))
		return
	}
	if want := cmd.GetNumMessages(); int(want) != e.count {
		fail(pb.ServerError_UnknownError, fmt.Errorf("%s: SEND says %d messages, payload holds %d", part.topic, want, e.count))
		return
	}
	part.mu.Lock()
	entry := part.next
	part.next++
	part.mu.Unlock()
	st := &c.s.st
	st.entries.Add(1)
	if e.batched {
		st.batched.Add(1)
	}
	st.messages.Add(int64(e.count))
	st.payload.Add(int64(e.payloadBytes))
	st.wire.Add(int64(e.wireBytes))
	if int(e.codec) < len(st.byCodec) {
		st.byCodec[e.codec].Add(1)
	}
	if c.s.opts.Retain {
		c.s.mu.Lock()
		for i := range e.msgs {
			m := e.msgs[i]
			m.Topic, m.Partition, m.Entry = part.topic, part.index, int64(entry)
			c.s.retained = append(c.s.retained, m)
		}
		c.s.mu.Unlock()
	}
	if c.s.hold.Load() {
		st.held.Add(1)
		return
	}
	receipt := &pb.BaseCommand{Type: pb.BaseCommand_SEND_RECEIPT.Enum(), SendReceipt: &pb.CommandSendReceipt{
		ProducerId:        proto.Uint64(pid),
		SequenceId:        proto.Uint64(seq),
		HighestSequenceId: proto.Uint64(cmd.GetHighestSequenceId()),
		MessageId: &pb.MessageIdData{
			LedgerId:  proto.Uint64(part.ledger),
			EntryId:   proto.Uint64(entry),
			Partition: proto.Int32(int32(part.index)),
		},
	}}
	if c.delayed != nil {
		c.delayed <- delayedReceipt{due: time.Now().Add(c.s.opts.ReceiptDelay), cmd: receipt}
		return
	}
	c.write(receipt)
}

// sendDelayed writes delayed receipts when due, in order.
func (c *conn) sendDelayed() {
	defer c.s.wg.Done()
	for d := range c.delayed {
		if w := time.Until(d.due); w > 0 {
			time.Sleep(w)
		}
		c.write(d.cmd)
		if len(c.delayed) == 0 {
			c.flush()
		}
	}
}

// write encodes a simple command frame into the connection's buffer.
func (c *conn) write(cmd *pb.BaseCommand) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	size := proto.Size(cmd)
	buf := c.out[:0]
	buf = binary.BigEndian.AppendUint32(buf, uint32(4+size))
	buf = binary.BigEndian.AppendUint32(buf, uint32(size))
	buf, err := proto.MarshalOptions{}.MarshalAppend(buf, cmd)
	if err != nil {
		// A command missing a required field is a bug here.
		panic(fmt.Sprintf("pulsar stand-in: encoding %v: %v", cmd.GetType(), err))
	}
	c.out = buf
	_, _ = c.bw.Write(buf)
}

func (c *conn) flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.bw.Flush()
}

// Errors of SEND decoding.
var (
	errChecksum = errors.New("checksum mismatch")
)

const magicCrc32c = 0x0e01

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// entry is one decoded SEND.
type entry struct {
	codec        pb.CompressionType
	batched      bool
	count        int
	payloadBytes int
	wireBytes    int
	msgs         []Message // only with Retain; reused
}

// decoder decodes SEND payloads, reusing its buffers.
type decoder struct {
	meta pb.MessageMetadata
	smm  pb.SingleMessageMetadata
	buf  []byte
	zstd *zstd.Decoder
	e    entry
	keep bool // retain messages
}

// decode checks and decodes what follows a SEND command:
// [MAGIC][CHECKSUM] [METADATA_SIZE][METADATA] [PAYLOAD].
func (d *decoder) decode(b []byte, maxMsg int) (*entry, error) {
	if len(b) < 10 {
		return nil, fmt.Errorf("SEND without a message (%d bytes)", len(b))
	}
	if m := binary.BigEndian.Uint16(b); m != magicCrc32c {
		return nil, fmt.Errorf("bad magic number %#x", m)
	}
	sum := binary.BigEndian.Uint32(b[2:])
	b = b[6:]
	if got := crc32.Checksum(b, castagnoli); got != sum {
		return nil, fmt.Errorf("%w: got %#x, frame says %#x", errChecksum, got, sum)
	}
	metaSize := int(binary.BigEndian.Uint32(b))
	if metaSize > len(b)-4 {
		return nil, fmt.Errorf("metadata size %d exceeds the frame", metaSize)
	}
	d.meta.Reset()
	if err := proto.Unmarshal(b[4:4+metaSize], &d.meta); err != nil {
		return nil, fmt.Errorf("metadata: %v", err)
	}
	payload := b[4+metaSize:]
	if len(payload)+metaSize > maxMsg {
		return nil, fmt.Errorf("message of %d bytes exceeds max message size %d", len(payload)+metaSize, maxMsg)
	}
	m := &d.meta
	e := &d.e
	*e = entry{codec: m.GetCompression(), wireBytes: len(payload), msgs: e.msgs[:0]}
	raw, err := d.uncompress(m.GetCompression(), payload, int(m.GetUncompressedSize()))
	if err != nil {
		return nil, err
	}
	codec := m.GetCompression().String()
	if m.NumMessagesInBatch == nil {
		e.count, e.payloadBytes = 1, len(raw)
		if retain := d.retain(); retain {
			e.msgs = append(e.msgs, Message{BatchSize: 1, Codec: codec, Key: m.GetPartitionKey(),
				Payload: bytes.Clone(raw), Properties: props(m.GetProperties()), EventTime: m.GetEventTime()})
		}
		return e, nil
	}
	e.batched = true
	n := int(m.GetNumMessagesInBatch())
	if n <= 0 {
		return nil, fmt.Errorf("batch of %d messages", n)
	}
	for i := 0; i < n; i++ {
		if len(raw) < 4 {
			return nil, fmt.Errorf("batch says %d messages, payload ends after %d", n, i)
		}
		sz := int(binary.BigEndian.Uint32(raw))
		if sz > len(raw)-4 {
			return nil, fmt.Errorf("batch message %d: metadata size %d exceeds the payload", i, sz)
		}
		d.smm.Reset()
		if err := proto.Unmarshal(raw[4:4+sz], &d.smm); err != nil {
			return nil, fmt.Errorf("batch message %d: metadata: %v", i, err)
		}
		raw = raw[4+sz:]
		ps := int(d.smm.GetPayloadSize())
		if ps > len(raw) {
			return nil, fmt.Errorf("batch message %d: payload size %d exceeds the payload", i, ps)
		}
		if d.retain() {
			e.msgs = append(e.msgs, Message{BatchIndex: i, BatchSize: n, Codec: codec, Key: d.smm.GetPartitionKey(),
				Payload: bytes.Clone(raw[:ps]), Properties: props(d.smm.GetProperties()), EventTime: d.smm.GetEventTime()})
		}
		raw = raw[ps:]
		e.count++
		e.payloadBytes += ps
	}
	if len(raw) != 0 {
		return nil, fmt.Errorf("batch of %d messages has %d bytes left over", n, len(raw))
	}
	return e, nil
}

func (d *decoder) retain() bool { return d.keep }

func props(kvs []*pb.KeyValue) map[string]string {
	if len(kvs) == 0 {
		return nil
	}
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.GetKey()] = kv.GetValue()
	}
	return m
}

// uncompress returns payload decompressed with codec; its length must be
// exactly size.
func (d *decoder) uncompress(codec pb.CompressionType, payload []byte, size int) ([]byte, error) {
	if size < 0 || size > 64<<20 {
		return nil, fmt.Errorf("uncompressed size %d out of range", size)
	}
	var out []byte
	switch codec {
	case pb.CompressionType_NONE:
		out = payload
	case pb.CompressionType_LZ4:
		if cap(d.buf) < size {
			d.buf = make([]byte, size)
		}
		n, err := lz4.UncompressBlock(payload, d.buf[:size])
		if err != nil {
			return nil, fmt.Errorf("lz4: %v", err)
		}
		out = d.buf[:n]
	case pb.CompressionType_ZLIB:
		r, err := zlib.NewReader(bytes.NewReader(payload))
		if err != nil {
			return nil, fmt.Errorf("zlib: %v", err)
		}
		if cap(d.buf) < size+1 {
			d.buf = make([]byte, size+1)
		}
		n, err := io.ReadFull(r, d.buf[:size+1])
		switch {
		case err == nil:
			return nil, fmt.Errorf("zlib: payload decompresses to more than %d bytes", size)
		case err != io.ErrUnexpectedEOF && err != io.EOF:
			return nil, fmt.Errorf("zlib: %v", err)
		}
		out = d.buf[:n]
	case pb.CompressionType_ZSTD:
		if d.zstd == nil {
			z, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
			if err != nil {
				return nil, err
			}
			d.zstd = z
		}
		o, err := d.zstd.DecodeAll(payload, d.buf[:0])
		if err != nil {
			return nil, fmt.Errorf("zstd: %v", err)
		}
		d.buf, out = o, o
	case pb.CompressionType_SNAPPY:
		o, err := snappy.Decode(d.buf[:cap(d.buf)], payload)
		if err != nil {
			return nil, fmt.Errorf("snappy: %v", err)
		}
		if cap(o) > cap(d.buf) {
			d.buf = o
		}
		out = o
	default:
		return nil, fmt.Errorf("unknown compression %v", codec)
	}
	if len(out) != size {
		return nil, fmt.Errorf("%v payload decompresses to %d bytes, metadata says %d", codec, len(out), size)
	}
	return out, nil
}
