package nats

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	natsgo "github.com/nats-io/nats.go"

	"github.com/prodbench/prodbench/producer"
)

// Failure kinds of the nats target, as counted in reports. Each is a
// *producer.SystemError; Retriable ones are resent (producer.retries,
// producer.retry_backoff) before a record fails with them.
const (
	// KindNoResponders: no stream listens on the subject (status 503).
	// Retriable: a stream may be (re)starting or electing a leader.
	KindNoResponders = "nats:no_responders"
	// KindTimeout: no PubAck within the attempt's wait
	// (producer.request_timeout, at most producer.send_timeout).
	// Retriable.
	KindTimeout = "nats:timeout"
	// KindStreamNotFound: JetStream error 10059.
	KindStreamNotFound = "nats:stream_not_found"
	// KindWrongLastSequence: JetStream error 10071 (an expected-sequence
	// publish whose expectation failed).
	KindWrongLastSequence = "nats:wrong_last_sequence"
	// KindMaxBytes and KindMaxMsgs: a stream with discard new is full
	// (JetStream error 10077 "maximum bytes/messages exceeded").
	KindMaxBytes = "nats:max_bytes"
	KindMaxMsgs  = "nats:max_msgs"
	// KindNotLeader: the stream's leader moved (JetStream error 10009, or
	// a "not leader" description). Retriable.
	KindNotLeader = "nats:not_leader"
	// KindConnectionClosed: the connection is closed for good.
	KindConnectionClosed = "nats:connection_closed"
	// KindDisconnected: the connection dropped with the PubAck pending;
	// the message was resent after the reconnect. Retriable.
	KindDisconnected = "nats:disconnected"
	// KindSlowConsumer: PubAcks were dropped because the client could not
	// keep up with them; seen as a timeout. Retriable.
	KindSlowConsumer = "nats:slow_consumer"
	// KindMessageTooLarge: the message exceeds the server's max_payload
	// or the stream's max message size.
	KindMessageTooLarge = "nats:message_too_large"
)

var (
	errNoResponders = &producer.SystemError{Kind: KindNoResponders, Retriable: true, Err: natsgo.ErrNoResponders}
	errTimeout      = &producer.SystemError{Kind: KindTimeout, Retriable: true, Err: errors.New("no PubAck in time")}
	errDisconnected = &producer.SystemError{Kind: KindDisconnected, Retriable: true, Err: natsgo.ErrDisconnected}
	errSlowConsumer = &producer.SystemError{Kind: KindSlowConsumer, Retriable: true, Err: natsgo.ErrSlowConsumer}
	errClosedConn   = &producer.SystemError{Kind: KindConnectionClosed, Err: natsgo.ErrConnectionClosed}
)

// publishErr classifies an error of nats.Conn.PublishMsg.
func publishErr(err error) error {
	switch {
	case errors.Is(err, natsgo.ErrConnectionClosed), errors.Is(err, natsgo.ErrConnectionDraining):
		return errClosedConn
	case errors.Is(err, natsgo.ErrMaxPayload):
		return &producer.SystemError{Kind: KindMessageTooLarge, Err: err}
	case errors.Is(err, natsgo.ErrReconnectBufExceeded):
		return &producer.SystemError{Kind: KindDisconnected, Retriable: true, Err: err}
	}
	return &producer.SystemError{Kind: "nats:publish", Err: err}
}

// apiError is JetStream's error object in a PubAck.
type apiError struct {
	Code        int    `json:"code"`
	ErrCode     int    `json:"err_code"`
	Description string `json:"description"`
}

// JetStream error codes (nats-server jetstream_errors_generated.go).
const (
	codeClusterNotAvail  = 10008
	codeClusterNotLeader = 10009
	codeMsgTooLarge      = 10054
	codeStreamNotFound   = 10059
	codeWrongLastMsgID   = 10070
	codeWrongLastSeq     = 10071
	codeStoreFailed      = 10077
)

var (
	keyError = []byte(`"error"`)
	keySeq   = []byte(`"seq":`)
	keyDup   = []byte(`"duplicate"`)
)

// parseAck reads a PubAck: {"stream":"S","seq":N[,"duplicate":true]} or
// {"error":{...}}. The success path allocates nothing.
func parseAck(b []byte) (seq uint64, dup bool, err error) {
	if bytes.Contains(b, keyError) {
		var r struct {
			Error *apiError `json:"error"`
		}
		if jerr := json.Unmarshal(b, &r); jerr != nil || r.Error == nil {
			return 0, false, &producer.SystemError{Kind: "nats:bad_ack", Err: fmt.Errorf("unreadable PubAck %q", b)}
		}
		return 0, false, classify(r.Error)
	}
	i := bytes.Index(b, keySeq)
	if i < 0 {
		return 0, false, &producer.SystemError{Kind: "nats:bad_ack", Err: fmt.Errorf("PubAck without seq: %q", b)}
	}
	j := i + len(keySeq)
	for j < len(b) && b[j] == ' ' {
		j++
	}
	n := 0
	for ; j < len(b) && b[j] >= '0' && b[j] <= '9'; j++ {
		seq = seq*10 + uint64(b[j]-'0')
		n++
	}
	if n == 0 {
		return 0, false, &producer.SystemError{Kind: "nats:bad_ack", Err: fmt.Errorf("PubAck with a bad seq: %q", b)}
	}
	return seq, isDup(b), nil
}

// classify maps a JetStream API error to its failure kind.
func classify(a *apiError) error {
	err := fmt.Errorf("%s (code %d, err_code %d)", a.Description, a.Code, a.ErrCode)
	desc := strings.ToLower(a.Description)
	switch {
	case a.ErrCode == codeStreamNotFound:
		return &producer.SystemError{Kind: KindStreamNotFound, Err: err}
	case a.ErrCode == codeWrongLastSeq:
		return &producer.SystemError{Kind: KindWrongLastSequence, Err: err}
	case a.ErrCode == codeWrongLastMsgID:
		return &producer.SystemError{Kind: "nats:wrong_last_msg_id", Err: err}
	case strings.Contains(desc, "maximum bytes"):
		return &producer.SystemError{Kind: KindMaxBytes, Err: err}
	case strings.Contains(desc, "maximum messages"):
		return &producer.SystemError{Kind: KindMaxMsgs, Err: err}
	case a.ErrCode == codeClusterNotLeader || strings.Contains(desc, "not leader"):
		return &producer.SystemError{Kind: KindNotLeader, Retriable: true, Metadata: true, Err: err}
	case a.ErrCode == codeClusterNotAvail:
		return &producer.SystemError{Kind: "nats:unavailable", Retriable: true, Err: err}
	case a.ErrCode == codeMsgTooLarge:
		return &producer.SystemError{Kind: KindMessageTooLarge, Err: err}
	case a.ErrCode == codeStoreFailed:
		return &producer.SystemError{Kind: "nats:store_failed", Err: err}
	}
	return &producer.SystemError{Kind: fmt.Sprintf("nats:api:%d", a.ErrCode), Err: err}
}

// isDup reports "duplicate": true (the server writes a space after the
// colon; encoding/json would not).
func isDup(b []byte) bool {
	i := bytes.Index(b, keyDup)
	if i < 0 {
		return false
	}
	r := b[i+len(keyDup):]
	for len(r) > 0 && (r[0] == ':' || r[0] == ' ') {
		r = r[1:]
	}
	return bytes.HasPrefix(r, []byte("true"))
}
