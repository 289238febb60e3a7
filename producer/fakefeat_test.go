package producer

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// featTransport extends fakeTransport with what the issue-3 features need:
// per-batch error injection, "appended but the answer was lost" failures,
// idempotent sequence checking, transactions and topic creation.
type featTransport struct {
	*fakeTransport

	// inject, when set, is asked for every batch on every attempt:
	// errBefore fails the batch without appending it; errAfter appends
	// it and then fails the whole request (a lost answer).
	inject func(call int, b *Batch) (errBefore, errAfter error)

	fmu      sync.Mutex
	calls    int
	leaders  map[int32]int32 // partition → broker, overrides partition % brokers
	log      map[int32][]logRec
	seqs     map[int32]int32 // next expected sequence per partition (one producer ID at a time)
	pidNext  int64
	pid      int64
	epoch    int16
	txnParts map[int32]bool
	txnLog   map[int32][]logRec // appended in the open transaction
	created  map[string]int32
	refresh  int
}

type logRec struct {
	key []byte
	off int64
}

// Capabilities: every codec and every optional feature.
func (f *featTransport) Capabilities() Capabilities {
	return Capabilities{Codecs: []CodecSupport{{Codec: CodecGzip}, {Codec: CodecSnappy}, {Codec: CodecLZ4}, {Codec: CodecZstd}},
		Metadata: f, TopicCreator: f, Idempotence: f, Transactions: f}
}

func newFeat(partitions int32) *featTransport {
	return &featTransport{fakeTransport: newFake(partitions), leaders: map[int32]int32{},
		log: map[int32][]logRec{}, seqs: map[int32]int32{}, txnParts: map[int32]bool{},
		txnLog: map[int32][]logRec{}, created: map[string]int32{}, pid: -1}
}

func (f *featTransport) Partitions(ctx context.Context, topic string) (int32, error) {
	f.fmu.Lock()
	defer f.fmu.Unlock()
	if n, ok := f.created[topic]; ok {
		return n, nil
	}
	if topic == "missing" || topic == "autocreate" {
		return 0, fmt.Errorf("unknown topic %q", topic)
	}
	return f.partitions, nil
}

func (f *featTransport) Leader(ctx context.Context, topic string, p int32) (int32, error) {
	f.fmu.Lock()
	defer f.fmu.Unlock()
	if l, ok := f.leaders[p]; ok {
		return l, nil
	}
	return p % f.brokers, nil
}

func (f *featTransport) Refresh(ctx context.Context, topics ...string) error {
	f.fmu.Lock()
	f.refresh++
	f.fmu.Unlock()
	return nil
}

func (f *featTransport) CreateTopic(ctx context.Context, topic string, partitions int32) error {
	f.fmu.Lock()
	defer f.fmu.Unlock()
	if topic == "missing" {
		return fmt.Errorf("CreateTopics: TOPIC_AUTHORIZATION_FAILED")
	}
	f.created[topic] = partitions
	return nil
}

func (f *featTransport) InitProducerID(ctx context.Context, txnID string, timeout time.Duration) (int64, int16, error) {
	f.fmu.Lock()
	defer f.fmu.Unlock()
	if txnID != "" && f.pid >= 0 {
		f.epoch++ // same transactional ID: bump the epoch, abort the open transaction
		f.abortLocked()
	} else {
		f.pidNext++
		f.pid, f.epoch = f.pidNext, 0
	}
	f.seqs = map[int32]int32{}
	return f.pid, f.epoch, nil
}

func (f *featTransport) AddPartitionsToTxn(ctx context.Context, txnID string, id int64, epoch int16, parts map[string][]int32) error {
	f.fmu.Lock()
	defer f.fmu.Unlock()
	for _, ps := range parts {
		for _, p := range ps {
			f.txnParts[p] = true
		}
	}
	return nil
}

func (f *featTransport) EndTxn(ctx context.Context, txnID string, id int64, epoch int16, commit bool) error {
	f.fmu.Lock()
	defer f.fmu.Unlock()
	if commit {
		for p, recs := range f.txnLog {
			f.log[p] = append(f.log[p], recs...)
		}
	}
	f.abortLocked()
	return nil
}

func (f *featTransport) abortLocked() {
	f.txnLog = map[int32][]logRec{}
	f.txnParts = map[int32]bool{}
}

func (f *featTransport) Produce(ctx context.Context, broker int32, acks Acks, timeout time.Duration, bs []*Batch) error {
	f.fmu.Lock()
	f.calls++
	call := f.calls
	f.fmu.Unlock()
	if f.stallCh != nil || f.delay > 0 {
		if err := f.fakeTransport.Produce(ctx, broker, acks, timeout, nil); err != nil {
			return err
		}
	}
	var lost error
	f.fmu.Lock()
	defer f.fmu.Unlock()
	for _, b := range bs {
		var before, after error
		if f.inject != nil {
			before, after = f.inject(call, b)
		}
		if before != nil {
			b.Err = before
			continue
		}
		_, keys, ok := decodeBatch(b)
		if !ok {
			continue
		}
		if b.ProducerID >= 0 {
			want := f.seqs[b.Partition]
			switch {
			case b.ProducerID != f.pid:
				b.Err = &SystemError{Kind: "fake:out_of_order_sequence"}
				continue
			case b.BaseSequence < want:
				continue // a duplicate: success, positions unknown
			case b.BaseSequence > want:
				b.Err = &SystemError{Kind: "fake:out_of_order_sequence"}
				continue
			}
			f.seqs[b.Partition] = want + b.Records
		}
		dst := f.log
		if f.txnParts[b.Partition] {
			dst = f.txnLog
		}
		base := int64(len(f.log[b.Partition]) + len(f.txnLog[b.Partition]))
		for i, k := range keys {
			dst[b.Partition] = append(dst[b.Partition], logRec{key: k, off: base + int64(i)})
		}
		for i := range keys {
			b.Positions = append(b.Positions, base+int64(i))
		}
		if after != nil {
			lost = after
		}
	}
	return lost
}

// logKeys returns the committed log of partition p as keys.
func (f *featTransport) logKeys(p int32) []string {
	f.fmu.Lock()
	defer f.fmu.Unlock()
	var out []string
	for _, r := range f.log[p] {
		out = append(out, string(r.key))
	}
	return out
}
