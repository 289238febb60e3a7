package waitcount

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestCounter checks wait against concurrent adds.
func TestCounter(t *testing.T) {
	t.Parallel()
	var c Counter
	for round := 0; round < 200; round++ {
		c.Add(3)
		go func() { c.Add(-1); c.Add(-1); c.Add(-1) }()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := c.Wait(ctx); err != nil {
			t.Fatalf("round %d: %v with count %d", round, err, c.Load())
		}
		cancel()
	}
	c.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := c.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait on 1: %v", err)
	}
}
