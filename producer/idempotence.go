package producer

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// pidState is the idempotent producer's identity (KIP-98): a producer ID
// and epoch from the broker, and a generation that changes whenever they
// do, so partitions restart their sequence numbers at 0.
type pidState struct {
	mu    sync.Mutex
	id    int64
	epoch int16
	gen   int64 // 0: none yet
	stale bool  // a sequence gap happened: get a new ID before the next batch
}

// txnTimeout is the transaction timeout sent with InitProducerID (Kafka
// transaction.timeout.ms default).
const txnTimeout = 60 * time.Second

// get returns the current producer ID, epoch and generation, asking the
// transport for a new ID on first use and after a gap.
func (s *pidState) get(ctx context.Context, p *Producer) (int64, int16, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen > 0 && !s.stale {
		return s.id, s.epoch, s.gen, nil
	}
	id, epoch, err := p.caps.Idempotence.InitProducerID(ctx, p.cfg.TransactionalID, txnTimeout)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("producer: InitProducerID: %w", err)
	}
	s.id, s.epoch, s.stale = id, epoch, false
	s.gen++
	return s.id, s.epoch, s.gen, nil
}

// invalidate asks for a new producer ID if id is still the current one.
func (s *pidState) invalidate(id int64) {
	s.mu.Lock()
	if s.id == id {
		s.stale = true
	}
	s.mu.Unlock()
}
