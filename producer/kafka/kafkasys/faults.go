package kafkasys

import (
	"errors"
	"fmt"
	"time"

	"github.com/prodbench/prodbench/producer/kafka"
	"github.com/prodbench/prodbench/producer/registry"
)

// checkFaults validates the faults block: each fault's fields (error at
// target.faults[i].FIELD), their count, and that the target is the
// embedded broker.
func (c *TargetConfig) checkFaults(sc registry.Scope) error {
	if len(c.Faults) == 0 {
		return nil
	}
	if len(c.Faults) > kafka.MaxFaults {
		return sc.Errorf("target.faults", "at most %d faults, got %d", kafka.MaxFaults, len(c.Faults))
	}
	for i := range c.Faults {
		if err := c.Faults[i].Check(); err != nil {
			field := fmt.Sprintf("target.faults[%d]", i)
			var fe *kafka.FaultFieldError
			if errors.As(err, &fe) {
				// A field not written (a required one) is at the
				// fault's line: Errorf falls back to the parent's.
				return sc.Errorf(field+"."+fe.Field, "%s", fe.Msg)
			}
			return sc.Errorf(field, "%v", err)
		}
	}
	if len(c.Brokers) > 0 {
		return sc.Errorf("target.faults", "faults are injected by the embedded broker; a target with brokers (%d given) cannot be scripted", len(c.Brokers))
	}
	return nil
}

// withFaults hands the embedded broker's fault clock and events to the
// run through o (Start, Faults), when it has faults.
func withFaults(o *registry.Opened, emb *kafka.Embedded) *registry.Opened {
	if emb == nil || emb.FaultEvents() == nil {
		return o
	}
	prev := o.Start
	o.Start = func() {
		emb.StartFaults(time.Now())
		if prev != nil {
			prev()
		}
	}
	o.Faults = emb.FaultEvents
	return o
}
