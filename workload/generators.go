package workload

// Generators are everything Run needs to make messages, built once before
// the run from a scenario: tables and pools, so that making a message does
// not allocate. Plan and the benchmarks use them too.
type Generators struct {
	// Schedule gives intended send times; nil for a closed loop
	// (ProfileMax).
	Schedule Schedule
	// Keys gives message keys.
	Keys KeyGen
	// Payloads gives message values.
	Payloads PayloadGen
	// Headers gives message headers.
	Headers *HeaderGen
	// Topics chooses message topics.
	Topics *TopicGen
	// keyBuf is the scratch size keys made per message need.
	keyBuf int
}

// NewGenerators builds the generators of s. Errors (payload files that
// cannot be read, parameters Validate would reject) are *Error values
// naming the field when s comes from a file.
func NewGenerators(s *Scenario) (*Generators, error) {
	g := &Generators{Topics: NewTopicGen(s)}
	var err error
	if !s.Rate.ClosedLoop() {
		if g.Schedule, err = NewSchedule(s.Rate, s.Seed); err != nil {
			return nil, s.errorf("rate", "%s", err.Error())
		}
	}
	if g.Keys, err = NewKeyGen(s.Keys, s.Seed); err != nil {
		return nil, s.errorf("keys", "%s", err.Error())
	}
	if g.Payloads, err = NewPayloadGen(s); err != nil {
		return nil, err
	}
	if g.Headers, err = NewHeaderGen(s.Headers, s.Seed); err != nil {
		return nil, s.errorf("headers", "%s", err.Error())
	}
	g.keyBuf = 32
	if s.Keys.dist() == DistributionSequential {
		if f, err := parseKeyFormat(s.Keys.Format); err == nil {
			g.keyBuf = len(f.prefix) + len(f.suffix) + max(f.width, 64)
		}
	}
	return g, nil
}
