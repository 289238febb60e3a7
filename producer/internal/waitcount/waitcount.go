// Package waitcount is a count that can be waited on to reach zero: the
// records an engine has accepted whose callbacks have not run, for Flush
// and Close. Shared by the client-library engines (franz-go, nats.go,
// pulsar-client-go, the Pulsar WebSocket client).
package waitcount

import (
	"context"
	"sync"
	"sync/atomic"
)

// Counter is a count that can be waited on to reach zero; the zero value is
// a count of 0, ready to use. The wake-up
// channel is only replaced when a waiter exists, so counting up and down
// at low rates does not allocate.
type Counter struct {
	n       atomic.Int64
	waiters atomic.Int32
	mu      sync.Mutex
	ch      chan struct{} // closed and replaced when n reaches 0 with waiters
}

// Load returns the count.
func (c *Counter) Load() int64 { return c.n.Load() }

// Add adds d (negative to count down), waking waiters at zero.
func (c *Counter) Add(d int64) {
	if c.n.Add(d) == 0 && c.waiters.Load() > 0 {
		c.mu.Lock()
		if c.ch != nil {
			close(c.ch)
			c.ch = nil
		}
		c.mu.Unlock()
	}
}

// Wait returns nil once the count is zero, or ctx's error.
func (c *Counter) Wait(ctx context.Context) error {
	if c.n.Load() == 0 {
		return nil
	}
	c.waiters.Add(1)
	defer c.waiters.Add(-1)
	for {
		c.mu.Lock()
		if c.ch == nil {
			c.ch = make(chan struct{})
		}
		ch := c.ch
		c.mu.Unlock()
		// Checked after taking ch: a drop to zero before this point is
		// seen here, one after it closes ch.
		if c.n.Load() == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			if c.n.Load() == 0 {
				return nil
			}
			return ctx.Err()
		}
	}
}
