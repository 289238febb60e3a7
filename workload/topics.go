package workload

import (
	"fmt"
)

// Topic is one topic the scenario writes to.
type Topic struct {
	// Name is the Kafka topic name: 1 to MaxTopicNameLen bytes of
	// [A-Za-z0-9._-], not "." or "..". Required.
	Name string `yaml:"name" json:"name"`
	// Partitions is the topic's partition count, at least 1. Required.
	Partitions int `yaml:"partitions" json:"partitions"`
	// Weight is the topic's relative share of messages with topic
	// selection weighted: finite, > 0 and at most 1e9. Default 1 (0 in a
	// Scenario built in code also means 1). Not used by fanout.
	Weight float64 `yaml:"weight,omitempty" json:"weight,omitempty"`
}

// weight returns t.Weight with 0 read as 1.
func (t Topic) weight() float64 {
	if t.Weight == 0 {
		return 1
	}
	return t.Weight
}

// validateTopics checks the topic list and topic selection.
func (s *Scenario) validateTopics() *Error {
	if len(s.Topics) == 0 {
		return s.errorf("topics", "at least one topic is required")
	}
	if len(s.Topics) > MaxTopics {
		return s.errorf("topics", "at most %d topics, got %d", MaxTopics, len(s.Topics))
	}
	fanout := false
	switch s.TopicSelection {
	case "", TopicSelectionWeighted:
	case TopicSelectionFanout:
		fanout = true
	default:
		return s.errorf("topic_selection", "unknown topic selection %s (want %s or %s)", quote(s.TopicSelection), TopicSelectionWeighted, TopicSelectionFanout)
	}
	first := make(map[string]int, len(s.Topics))
	total := 0
	for i, t := range s.Topics {
		p := fmt.Sprintf("topics[%d]", i)
		if err := s.validateName(p+".name", t.Name, MaxTopicNameLen); err != nil {
			return err
		}
		if j, dup := first[t.Name]; dup {
			return s.errorf(p+".name", "duplicate topic %s (also topics[%d])", quote(t.Name), j)
		}
		first[t.Name] = i
		switch {
		case s.missing(p + ".partitions"):
			return s.errorf(p+".partitions", "required (at least 1)")
		case t.Partitions < 1:
			return s.errorf(p+".partitions", "must be at least 1, got %d", t.Partitions)
		case t.Partitions > MaxPartitions:
			return s.errorf(p+".partitions", "must be at most %d, got %d", MaxPartitions, t.Partitions)
		}
		if total += t.Partitions; total > MaxTotalPartitions {
			return s.errorf(p+".partitions", "the topics' partitions add up to more than %d", MaxTotalPartitions)
		}
		if fanout && s.has(p+".weight") {
			return s.errorf(p+".weight", "not used with topic_selection fanout (every message goes to every topic)")
		}
		if w := t.Weight; !finite(w) || w < 0 || s.has(p+".weight") && w == 0 || w > 1e9 {
			return s.errorf(p+".weight", "must be a finite number greater than 0 and at most 1e9, got %v", w)
		}
	}
	return nil
}

// TopicGen chooses the topic of each message: with weighted selection one
// topic per message, drawn by weight from (seed, i) through an alias
// table; with fanout every topic. It is safe for concurrent use.
type TopicGen struct {
	names  []string
	fanout bool
	alias  *aliasTable // nil with one topic or fanout
	base   uint64
}

// NewTopicGen builds the topic chooser of s.
func NewTopicGen(s *Scenario) *TopicGen {
	g := &TopicGen{fanout: s.TopicSelection == TopicSelectionFanout, base: streamStart(s.Seed, streamTopics)}
	w := make([]float64, len(s.Topics))
	for i, t := range s.Topics {
		g.names = append(g.names, t.Name)
		w[i] = t.weight()
	}
	if !g.fanout && len(w) > 1 {
		g.alias = newAliasTable(w)
	}
	return g
}

// Names returns the topics' names, in scenario order.
func (g *TopicGen) Names() []string { return g.names }

// Fanout reports whether every message goes to every topic.
func (g *TopicGen) Fanout() bool { return g.fanout }

// Topic returns the index in Names of message i's topic (weighted
// selection; with fanout, 0).
func (g *TopicGen) Topic(i int64) int {
	if g.alias == nil {
		return 0
	}
	return g.alias.pick(mix(g.base, i))
}
