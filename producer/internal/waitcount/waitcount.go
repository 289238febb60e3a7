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
// a count of 0, ready to use. The wake-up channel is only replaced when a
// waiter exists, so counting up and down at low rates does not allocate.
//
// The count is kept as two running totals, of what was added (in) and of
// what was taken away (out), each on a cache line of its own: an engine
// counts up on its callers' goroutines and down on its client library's
// callback goroutine, and one shared word bounced between the cores at
// every record (7.7% of a max-rate peer-100b run's CPU in the franz-go
// engine, profiled with prodbench run --cpuprofile).
type Counter struct {
	waiters atomic.Int32 // read at every Add, written only by Wait
	mu      sync.Mutex
	ch      chan struct{} // closed and replaced when the count reaches 0 with waiters
	_       [40]byte
	in      atomic.Int64
	_       [56]byte
	out     atomic.Int64
	_       [56]byte // nothing of the enclosing struct shares out's cache line
}

// Removed returns the total taken away from the count since it was zero
// valued (the sum of the negative Adds, as a positive number): for an
// engine, the records whose callbacks have run.
func (c *Counter) Removed() int64 { return c.out.Load() }

// Load returns the count. It reads out before in, so a count that only
// goes up before it goes down (as an engine's pending records do) never
// reads below zero.
func (c *Counter) Load() int64 {
	out := c.out.Load()
	return c.in.Load() - out
}

// Add adds d (negative to count down), waking waiters at zero.
func (c *Counter) Add(d int64) {
	var zero bool
	if d >= 0 {
		in := c.in.Add(d)
		zero = c.waiters.Load() > 0 && c.out.Load() == in
	} else {
		out := c.out.Add(-d)
		zero = c.waiters.Load() > 0 && c.in.Load() == out
	}
	if zero {
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
	if c.Load() == 0 {
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
		if c.Load() == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			if c.Load() == 0 {
				return nil
			}
			return ctx.Err()
		}
	}
}
