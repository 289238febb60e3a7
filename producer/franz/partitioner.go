package franz

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodbench/prodbench/producer"
)

// partitioner returns the kgo partitioner for cfg, wrapped so that records
// with producer.Record.UsePartition go to their explicit partition (kgo's
// ManualPartitioner is all-or-nothing) and so that a CustomPartitioner sees
// the producer.Record.
func partitioner(cfg *producer.Config) (kgo.Partitioner, error) {
	if cfg.CustomPartitioner != nil {
		return &wrapper{custom: cfg.CustomPartitioner}, nil
	}
	var inner kgo.Partitioner
	switch cfg.Partitioner {
	case producer.PartitionerDefault, "":
		// murmur2 for keys (Java-compatible: high bit masked, mod n over
		// all partitions), KIP-480 sticky for keyless records.
		inner = kgo.StickyKeyPartitioner(nil)
	case producer.PartitionerRoundRobin:
		inner = kgo.RoundRobinPartitioner()
	case producer.PartitionerSticky:
		inner = kgo.StickyPartitioner()
	case producer.PartitionerUniformBytes:
		inner = kgo.UniformBytesPartitioner(cfg.MaxBatchBytes, true, true, nil)
	default:
		return nil, fmt.Errorf("partitioner: unknown %q", cfg.Partitioner)
	}
	return &wrapper{inner: inner}, nil
}

// wrapper is a kgo.Partitioner honouring explicit partitions.
type wrapper struct {
	inner  kgo.Partitioner
	custom producer.Partitioner
}

// ForTopic returns a topic partitioner exposing exactly the optional
// interfaces of the inner one, since kgo changes behaviour on finding them.
func (w *wrapper) ForTopic(topic string) kgo.TopicPartitioner {
	if w.custom != nil {
		return &customTP{custom: w.custom}
	}
	in := w.inner.ForTopic(topic)
	b := baseTP{in: in}
	_, backup := in.(kgo.TopicBackupPartitioner)
	_, newBatch := in.(kgo.TopicPartitionerOnNewBatch)
	switch {
	case backup && newBatch:
		return &backupNewBatchTP{backupTP{b}}
	case backup:
		return &backupTP{b}
	case newBatch:
		return &newBatchTP{b}
	}
	return &b
}

// explicit returns the item of a record whose partition was chosen by the
// caller, or nil.
func explicit(r *kgo.Record) *item {
	if it, ok := r.Context.(*item); ok && it.part != noPartition {
		return it
	}
	return nil
}

// pick returns the explicit partition of it among n, or -1 (which kgo
// fails) after noting n so that the failure becomes a TopicError.
func (it *item) pick(n int) int {
	if it.part < 0 || it.part >= int64(n) {
		it.outOfRange = int32(n)
		return -1
	}
	return int(it.part)
}

type baseTP struct{ in kgo.TopicPartitioner }

// RequiresConsistency is true for explicit partitions: kgo then offers
// every partition, not only writable ones, so the index is the partition.
func (p *baseTP) RequiresConsistency(r *kgo.Record) bool {
	return explicit(r) != nil || p.in.RequiresConsistency(r)
}

func (p *baseTP) Partition(r *kgo.Record, n int) int {
	if it := explicit(r); it != nil {
		return it.pick(n)
	}
	return p.in.Partition(r, n)
}

type backupTP struct{ baseTP }

func (p *backupTP) PartitionByBackup(r *kgo.Record, n int, iter kgo.TopicBackupIter) int {
	if it := explicit(r); it != nil {
		return it.pick(n)
	}
	return p.in.(kgo.TopicBackupPartitioner).PartitionByBackup(r, n, iter)
}

type newBatchTP struct{ baseTP }

func (p *newBatchTP) OnNewBatch() { p.in.(kgo.TopicPartitionerOnNewBatch).OnNewBatch() }

type backupNewBatchTP struct{ backupTP }

func (p *backupNewBatchTP) OnNewBatch() { p.in.(kgo.TopicPartitionerOnNewBatch).OnNewBatch() }

// customTP asks a producer.Partitioner, which sees the producer.Record.
type customTP struct{ custom producer.Partitioner }

func (*customTP) RequiresConsistency(*kgo.Record) bool { return true }

func (p *customTP) Partition(r *kgo.Record, n int) int {
	it, ok := r.Context.(*item)
	if !ok {
		return 0
	}
	if it.part != noPartition {
		return it.pick(n)
	}
	return int(p.custom.Partition(it.pr, int32(n)))
}
