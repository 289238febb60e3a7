package pulsarws

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/prodbench/prodbench/producer"
)

// Frames of Pulsar's WebSocket producer API
// (https://pulsar.apache.org/docs/client-libraries-websocket/, "Producer
// endpoint"; the server side is pulsar-websocket's ProducerHandler,
// ProducerMessage and ProducerAck). A client sends one JSON text frame per
// message:
//
//	{"payload":"<base64 value>","context":"<id>","key":"<key>","properties":{"h":"v"}}
//
// and the service answers each with
//
//	{"result":"ok","messageId":"<base64 MessageIdData>","context":"<id>"}
//	{"result":"send-error:N","errorMsg":"...","context":"<id>"}
//
// where N is a WebSocketError code: 1 FailedToCreateProducer, 2
// FailedToSubscribe, 3 FailedToDeserializeFromJSON (sent without context),
// 4 FailedToSerializeToJSON, 5 AuthenticationError, 6 NotAuthorizedError, 7
// PayloadEncodingError, 8 UnknownError (any failure of the service's own
// producer: send timeout, queue full, broker errors).

// Send-error codes of Pulsar's WebSocketError enum.
const (
	// CodeDeserialize is FailedToDeserializeFromJSON: the frame was not
	// valid JSON. The service sends it without a context.
	CodeDeserialize = 3
	// CodePayloadEncoding is PayloadEncodingError: the payload is not
	// base64, or is missing.
	CodePayloadEncoding = 7
	// CodeUnknown is UnknownError: the service's producer failed the
	// message (send timeout, full queue, broker error).
	CodeUnknown = 8
)

// appendFrame appends r's producer frame with context id to dst. Keys and
// header keys and values travel as JSON strings (Pulsar keys and
// properties are strings): bytes that are not UTF-8 become U+FFFD.
func appendFrame(dst []byte, r *producer.Record, id uint64) []byte {
	dst = append(dst, `{"payload":"`...)
	n := base64.StdEncoding.EncodedLen(len(r.Value))
	dst = growLen(dst, n)
	base64.StdEncoding.Encode(dst[len(dst)-n:], r.Value)
	dst = append(dst, `","context":"`...)
	dst = strconv.AppendUint(dst, id, 10)
	dst = append(dst, '"')
	if r.Key != nil {
		dst = append(dst, `,"key":`...)
		dst = appendJSONString(dst, r.Key)
	}
	if len(r.Headers) > 0 {
		dst = append(dst, `,"properties":{`...)
		for i, h := range r.Headers {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONStringS(dst, h.Key)
			dst = append(dst, ':')
			dst = appendJSONString(dst, h.Value)
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// growLen extends dst by n bytes (contents unspecified).
func growLen(dst []byte, n int) []byte {
	if cap(dst)-len(dst) < n {
		nb := make([]byte, len(dst), 2*cap(dst)+n)
		copy(nb, dst)
		dst = nb
	}
	return dst[:len(dst)+n]
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal (RFC 8259):
// quotes, backslashes and control characters escaped, invalid UTF-8
// replaced by U+FFFD.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendJSONStringS is appendJSONString for a string, without converting
// it to bytes.
func appendJSONStringS(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b == '"' || b == '\\' || b >= utf8.RuneSelf {
			return appendJSONString(dst, []byte(s))
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// ackFrame is a parsed producer ack. Its slices point into the frame.
type ackFrame struct {
	result    []byte
	messageID []byte
	context   []byte
	errorMsg  []byte
	hasCtx    bool
	escaped   uint8 // bit 0 result, 1 messageId, 2 context, 3 errorMsg: JSON escapes left in
}

var errBadAck = errors.New("malformed ack frame")

// parseAck parses an ack frame into a without allocating for frames
// without escapes. Members other than result, messageId, context and
// errorMsg are skipped; a null context counts as none.
func parseAck(b []byte, a *ackFrame) error {
	*a = ackFrame{}
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errBadAck
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for {
			if i >= len(b) || b[i] != '"' {
				return errBadAck
			}
			key, kesc, j, ok := scanString(b, i)
			if !ok || kesc {
				return errBadAck
			}
			i = skipWS(b, j)
			if i >= len(b) || b[i] != ':' {
				return errBadAck
			}
			i = skipWS(b, i+1)
			if i >= len(b) {
				return errBadAck
			}
			var val []byte
			var esc, isStr bool
			if b[i] == '"' {
				val, esc, j, ok = scanString(b, i)
				if !ok {
					return errBadAck
				}
				isStr = true
			} else {
				j, ok = skipValue(b, i)
				if !ok {
					return errBadAck
				}
			}
			i = j
			var bit uint8
			switch string(key) {
			case "result":
				a.result, bit = val, 1
			case "messageId":
				a.messageID, bit = val, 2
			case "context":
				a.context, a.hasCtx, bit = val, isStr, 4
			case "errorMsg":
				a.errorMsg, bit = val, 8
			}
			if esc {
				a.escaped |= bit
			}
			i = skipWS(b, i)
			if i < len(b) && b[i] == ',' {
				i = skipWS(b, i+1)
				continue
			}
			if i < len(b) && b[i] == '}' {
				i++
				break
			}
			return errBadAck
		}
	}
	if skipWS(b, i) != len(b) {
		return errBadAck
	}
	return nil
}

// unescape returns the JSON string content raw as a Go string, resolving
// escapes when esc is set.
func unescape(raw []byte, esc bool) string {
	if !esc {
		return string(raw)
	}
	q := make([]byte, 0, len(raw)+2)
	q = append(append(append(q, '"'), raw...), '"')
	var s string
	if json.Unmarshal(q, &s) != nil {
		return string(raw)
	}
	return s
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString scans the JSON string starting at b[i] == '"', returning
// its raw content, whether it holds escapes and the index after it.
func scanString(b []byte, i int) (raw []byte, esc bool, next int, ok bool) {
	start := i + 1
	for j := start; j < len(b); j++ {
		switch c := b[j]; {
		case c == '\\':
			esc = true
			j++
		case c == '"':
			return b[start:j], esc, j + 1, true
		case c < 0x20:
			return nil, false, 0, false
		}
	}
	return nil, false, 0, false
}

// skipValue skips the JSON value (not a string) starting at b[i].
func skipValue(b []byte, i int) (int, bool) {
	switch b[i] {
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				_, _, n, ok := scanString(b, j)
				if !ok {
					return 0, false
				}
				j = n - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	}
	j := i
	for j < len(b) {
		c := b[j]
		if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			break
		}
		if !(c == '-' || c == '+' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return 0, false
		}
		j++
	}
	if j == i {
		return 0, false
	}
	return j, true
}

// parseSendError returns N of "send-error:N".
func parseSendError(result []byte) (int, bool) {
	const p = "send-error:"
	if len(result) <= len(p) || string(result[:len(p)]) != p {
		return 0, false
	}
	n, err := strconv.Atoi(string(result[len(p):]))
	return n, err == nil
}

// messageID is the part of Pulsar's MessageIdData (PulsarApi.proto) that
// prodbench reports: ledger and entry IDs, partition (-1: not
// partitioned) and batch index (-1: not batched).
type messageID struct {
	ledger, entry     uint64
	partition, batchI int32
}

// decodeMessageID decodes the base64 MessageIdData protobuf the
// WebSocket service puts in messageId.
func decodeMessageID(b64 []byte) (messageID, bool) {
	id := messageID{partition: -1, batchI: -1}
	var buf [128]byte
	if base64.StdEncoding.DecodedLen(len(b64)) > len(buf) {
		return id, false
	}
	n, err := base64.StdEncoding.Decode(buf[:], b64)
	if err != nil {
		return id, false
	}
	p := buf[:n]
	var seen uint8
	for len(p) > 0 {
		tag, k := uvarint(p)
		if k <= 0 {
			return id, false
		}
		p = p[k:]
		field, wire := tag>>3, tag&7
		switch wire {
		case 0:
			v, k := uvarint(p)
			if k <= 0 {
				return id, false
			}
			p = p[k:]
			switch field {
			case 1:
				id.ledger, seen = v, seen|1
			case 2:
				id.entry, seen = v, seen|2
			case 3:
				id.partition = int32(v)
			case 4:
				id.batchI = int32(v)
			}
		case 1:
			if len(p) < 8 {
				return id, false
			}
			p = p[8:]
		case 2:
			l, k := uvarint(p)
			if k <= 0 || uint64(len(p)-k) < l {
				return id, false
			}
			p = p[k+int(l):]
		case 5:
			if len(p) < 4 {
				return id, false
			}
			p = p[4:]
		default:
			return id, false
		}
	}
	return id, seen == 3
}

// appendMessageID appends id as a MessageIdData protobuf, as the Java
// client's MessageIdImpl.toByteArray writes it: partition and batch index
// only when set.
func appendMessageID(dst []byte, id messageID) []byte {
	dst = append(dst, 1<<3)
	dst = appendUvarint(dst, id.ledger)
	dst = append(dst, 2<<3)
	dst = appendUvarint(dst, id.entry)
	if id.partition >= 0 {
		dst = append(dst, 3<<3)
		dst = appendUvarint(dst, uint64(int64(id.partition)))
	}
	if id.batchI >= 0 {
		dst = append(dst, 4<<3)
		dst = appendUvarint(dst, uint64(int64(id.batchI)))
	}
	return dst
}

func uvarint(p []byte) (uint64, int) {
	var x uint64
	var s uint
	for i, b := range p {
		if i == 10 {
			return 0, -1
		}
		if b < 0x80 {
			return x | uint64(b)<<s, i + 1
		}
		x |= uint64(b&0x7f) << s
		s += 7
	}
	return 0, 0
}

func appendUvarint(dst []byte, v uint64) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}
