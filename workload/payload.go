package workload

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
)

// Payload kinds (Payload.Kind): what the bytes of message values are,
// which sets how well they compress.
const (
	// PayloadRandom is pseudo-random bytes: incompressible. The default.
	PayloadRandom = "random"
	// PayloadRandomRatio is OMB's randomBytesRatio: each value is
	// floor(Ratio·size) random bytes followed by zeros, taken from a pool
	// of PoolSize such payloads (OMB randomizedPayloadPoolSize).
	PayloadRandomRatio = "random_ratio"
	// PayloadText is words drawn uniformly from a word list (Words, or a
	// built-in list of common English words) joined by Separator: text
	// that compresses like prose. With the letters A to Z as words and an
	// empty separator it is kafka-producer-perf-test's default payload.
	PayloadText = "text"
	// PayloadJSON is JSON records rendered from Template (see
	// ParseTemplate) into a pool of PoolSize records before the run;
	// message i carries record i mod PoolSize. Sizes come from the
	// records: message.size is not used.
	PayloadJSON = "json"
	// PayloadZeros is all zero bytes: maximally compressible.
	PayloadZeros = "zeros"
	// PayloadFile is the content of files: one message per file (Files,
	// glob patterns allowed; OMB payloadFile with one file), or one file
	// split on Delimiter (kafka-producer-perf-test --payload-file and
	// --payload-delimiter), empty pieces dropped. Each message's payload
	// is drawn uniformly from the list, as kafka-producer-perf-test does.
	// Relative paths are relative to the scenario file's directory.
	// Sizes come from the files: message.size is not used.
	PayloadFile = "file"
)

// Payload limits.
const (
	// DefaultPoolSize is the default number of distinct random_ratio
	// payloads (OMB's randomizedPayloadPoolSize) and json records.
	DefaultPoolSize = 1000
	// MaxPoolSize is the largest pool_size.
	MaxPoolSize = 1_000_000
	// MaxPoolBytes bounds the memory of a random_ratio or json pool and
	// of loaded payload files: 1 GiB.
	MaxPoolBytes = 1 << 30
	// defaultPoolBytes bounds the default random_ratio pool: 64 MiB.
	defaultPoolBytes = 64 << 20
	// MaxWords is the largest word list.
	MaxWords = 100_000
	// MaxTemplateSize is the longest json template.
	MaxTemplateSize = 64 << 10
	// MaxPayloadFiles is the most entries payload files may list.
	MaxPayloadFiles = 100_000
	// MaxPayloadFileSize is the largest payload file read: 64 MiB (a
	// message each with files, split on the delimiter with file). Larger
	// files, devices, FIFOs and sockets are refused before reading.
	MaxPayloadFileSize = 64 << 20
)

// Message describes the messages' values.
type Message struct {
	// Size is the values' size distribution (see SizeSpec). Required
	// unless the payload kind is json or file, which must not set it.
	Size SizeSpec `yaml:"size,omitempty" json:"size"`
	// Payload is the values' content. Default kind random.
	Payload Payload `yaml:"payload,omitempty" json:"payload"`
}

// MarshalJSON leaves out the size when the payload kind does not use it.
func (m Message) MarshalJSON() ([]byte, error) {
	if m.Payload.sized() {
		return json.Marshal(struct {
			Size    SizeSpec `json:"size"`
			Payload Payload  `json:"payload"`
		}{m.Size, m.Payload})
	}
	return json.Marshal(struct {
		Payload Payload `json:"payload"`
	}{m.Payload})
}

// Payload is the content of message values, a tagged union on Kind:
//
//	payload: {kind: random}
//	payload: {kind: random_ratio, ratio: 0.5, pool_size: 1000}
//	payload: {kind: text, words: [alpha, beta], separator: " "}
//	payload: {kind: json, template: '{"id": {{seq}}, "user": "{{string 8}}"}'}
//	payload: {kind: zeros}
//	payload: {kind: file, files: [payloads/*.json]}
//	payload: {kind: file, file: payloads/lines.txt, delimiter: "\n"}
//
// Every pool is built before the run; Payload(i) returns a slice of it.
type Payload struct {
	// Kind is PayloadRandom (also meant by ""), PayloadRandomRatio,
	// PayloadText, PayloadJSON, PayloadZeros or PayloadFile.
	Kind string `yaml:"kind,omitempty" json:"kind"`
	// Ratio is the random fraction of random_ratio values, 0 to 1.
	// Required by random_ratio.
	Ratio float64 `yaml:"ratio,omitempty" json:"ratio,omitempty"`
	// PoolSize is the number of distinct random_ratio payloads or json
	// records, 1 to MaxPoolSize. Optional; default DefaultPoolSize (for
	// random_ratio, fewer if the pool would exceed 64 MiB).
	PoolSize int `yaml:"pool_size,omitempty" json:"pool_size,omitempty"`
	// Words is text's word list, 1 to MaxWords non-empty words. Optional;
	// default a built-in list of common English words.
	Words []string `yaml:"words,omitempty" json:"words,omitempty"`
	// Separator goes between text's words. Optional; default " ".
	Separator *string `yaml:"separator,omitempty" json:"separator,omitempty"`
	// Template is the json record template. Required by json.
	Template string `yaml:"template,omitempty" json:"template,omitempty"`
	// Files are payload files, one message each; glob patterns are
	// expanded (sorted). One of Files and File is required by file.
	Files []string `yaml:"files,omitempty" json:"files,omitempty"`
	// File is one payload file: the whole file is one message, or with
	// Delimiter, each piece between delimiters.
	File string `yaml:"file,omitempty" json:"file,omitempty"`
	// Delimiter splits File into messages (non-empty). Optional, with File
	// only.
	Delimiter *string `yaml:"delimiter,omitempty" json:"delimiter,omitempty"`
}

// payloadKinds are the Payload union's variants.
var payloadKinds = union{
	{PayloadRandom, variant{}},
	{PayloadRandomRatio, variant{required: []string{"ratio"}, optional: []string{"pool_size"}}},
	{PayloadText, variant{optional: []string{"words", "separator"}}},
	{PayloadJSON, variant{required: []string{"template"}, optional: []string{"pool_size"}}},
	{PayloadZeros, variant{}},
	{PayloadFile, variant{optional: []string{"files", "file", "delimiter"}}},
}

// kind returns the kind with "" read as random.
func (p Payload) kind() string {
	if p.Kind == "" {
		return PayloadRandom
	}
	return p.Kind
}

// sized reports whether the kind takes its sizes from message.size.
func (p Payload) sized() bool { return p.kind() != PayloadJSON && p.kind() != PayloadFile }

// payloadFields is Payload without its methods.
type payloadFields Payload

// MarshalJSON writes the kind and the fields it uses.
func (p Payload) MarshalJSON() ([]byte, error) {
	vr, _ := payloadKinds.get(p.kind())
	return marshalVariant(payloadFields(p), "kind", vr)
}

// validateMessage checks the message block.
func (s *Scenario) validateMessage() *Error {
	p := s.Message.Payload
	vr, ok := payloadKinds.get(p.kind())
	if !ok {
		return s.errorf("message.payload.kind", "unknown kind %s (want %s)", quote(p.Kind), payloadKinds.names())
	}
	if p.sized() {
		if s.missing("message.size") {
			return s.errorf("message.size", "required (bytes, e.g. 512 or \"16KiB\", or a distribution)")
		}
		if err := s.validateSize("message.size", s.Message.Size, MaxMessageSize); err != nil {
			return err
		}
	} else if s.set("message.size", reflect.ValueOf(s.Message.Size)) {
		return s.errorf("message.size", "not used with payload kind %s (sizes come from the %s)", p.kind(), map[bool]string{true: "records", false: "files"}[p.kind() == PayloadJSON])
	}
	if err := s.checkVariant("message.payload", payloadFields(p), "kind", "payload kind", p.kind(), vr); err != nil {
		return err
	}
	const path = "message.payload."
	if s.set(path+"pool_size", reflect.ValueOf(p.PoolSize)) && (p.PoolSize < 1 || p.PoolSize > MaxPoolSize) {
		return s.errorf(path+"pool_size", "must be between 1 and %d, got %d", MaxPoolSize, p.PoolSize)
	}
	switch p.kind() {
	case PayloadRandomRatio:
		if !finite(p.Ratio) || p.Ratio < 0 || p.Ratio > 1 {
			return s.errorf(path+"ratio", "must be between 0 and 1, got %v", p.Ratio)
		}
		_, hi := s.Message.Size.Bounds(MaxMessageSize)
		if n := int64(p.PoolSize) * int64(ratioBlock(p.Ratio, int(hi))); n > MaxPoolBytes {
			return s.errorf(path+"pool_size", "the pool would take %v (max %v): use a smaller pool_size", Size(n), Size(MaxPoolBytes))
		}
	case PayloadText:
		if s.has(path+"words") && len(p.Words) == 0 || len(p.Words) > MaxWords {
			return s.errorf(path+"words", "must have 1 to %d words, got %d", MaxWords, len(p.Words))
		}
		for i, w := range p.Words {
			if w == "" || len(w) > 1024 {
				return s.errorf(fmt.Sprintf("%swords[%d]", path, i), "must be 1 to 1024 bytes, got %d", len(w))
			}
		}
		if p.Separator != nil && len(*p.Separator) > 1024 {
			return s.errorf(path+"separator", "must be at most 1024 bytes, got %d", len(*p.Separator))
		}
	case PayloadJSON:
		if len(p.Template) > MaxTemplateSize {
			return s.errorf(path+"template", "too long (%d bytes, max %d)", len(p.Template), MaxTemplateSize)
		}
		t, err := ParseTemplate(p.Template)
		if err != nil {
			return s.errorf(path+"template", "%s", err.Error())
		}
		if rec := t.Render(nil, 0, 0); !json.Valid(rec) {
			var v any
			jerr := json.Unmarshal(rec, &v)
			return s.errorf(path+"template", "a rendered record is not valid JSON (%v): %s", jerr, quote(string(rec)))
		}
	case PayloadFile:
		switch {
		case len(p.Files) == 0 && p.File == "":
			return s.errorf(path+"files", "required: files (one message per file) or file (one file, optionally split on delimiter)")
		case len(p.Files) > 0 && p.File != "":
			return s.errorf(path+"file", "not used with files (give one of files and file)")
		case len(p.Files) > MaxPayloadFiles:
			return s.errorf(path+"files", "must have at most %d entries, got %d", MaxPayloadFiles, len(p.Files))
		case p.Delimiter != nil && p.File == "":
			return s.errorf(path+"delimiter", "only used with file")
		case p.Delimiter != nil && *p.Delimiter == "":
			return s.errorf(path+"delimiter", "must not be empty")
		}
		for i, f := range p.Files {
			if f == "" {
				return s.errorf(fmt.Sprintf("%sfiles[%d]", path, i), "must not be empty")
			}
			if _, err := filepath.Match(f, ""); err != nil {
				return s.errorf(fmt.Sprintf("%sfiles[%d]", path, i), "bad pattern %s: %v", quote(f), err)
			}
		}
	}
	return nil
}

// PayloadGen gives the value of each message of a run. Implementations are
// built once before the run and are safe for concurrent use without locks:
// Payload(i) depends only on the generator's seed and i.
type PayloadGen interface {
	// Payload returns the value of message i (i >= 0). The slice points
	// into a pool shared by all callers and must not be modified; its
	// capacity equals its length, so appending copies. A zero size gives
	// an empty, non-nil slice. Payload does not allocate.
	Payload(i int64) []byte
}

// payloadWindow is how many distinct start offsets random and text
// payloads have: the pool is payloadWindow + the largest size bytes long.
const payloadWindow = 1 << 20

// NewPayloadGen builds the payload generator of s.Message, seeded by
// s.Seed. Sizes are drawn by a SizeGen (stream "size"); then:
//
//   - random: a pool of 1 MiB + max size pseudo-random bytes (PCG seeded
//     by seed) is filled once, and message i's value starts at one of 2^20
//     offsets chosen from (seed, i), so values differ from message to
//     message without per-message work.
//   - random_ratio: PoolSize blocks of floor(Ratio·max) random bytes then
//     max zeros; message i takes block (seed, i) and the slice that holds
//     floor(Ratio·size) random bytes then zeros.
//   - text: a 1 MiB + max pool of words drawn from (seed); values start at
//     a word chosen from (seed, i).
//   - json: PoolSize records rendered from the template, record j with
//     sequence j; message i carries record i mod PoolSize.
//   - zeros: one zero buffer of the largest size.
//   - file: the files, read now; message i carries one drawn from (seed, i).
//
// Problems reading payload files are *Errors naming the field and line.
func NewPayloadGen(s *Scenario) (PayloadGen, error) {
	p := s.Message.Payload
	seed := s.Seed
	switch p.kind() {
	case PayloadJSON:
		return newJSONPayload(s)
	case PayloadFile:
		return newFilePayload(s)
	}
	sizes, err := NewSizeGen(s.Message.Size, MaxMessageSize, seed, streamSizes)
	if err != nil {
		return nil, s.errorf("message.size", "%s", err.Error())
	}
	hi := sizes.Max()
	switch p.kind() {
	case PayloadRandom:
		pool := make([]byte, (payloadWindow+hi+7)&^7)
		fillRandom(pool, seed, streamPayload)
		return &slidingPayload{pool: pool, sizes: sizes, base: streamStart(seed, streamOffsets), window: payloadWindow}, nil
	case PayloadZeros:
		return &zeroPayload{zeros: make([]byte, hi), sizes: sizes}, nil
	case PayloadRandomRatio:
		n := p.PoolSize
		block := ratioBlock(p.Ratio, hi)
		if n == 0 {
			n = max(1, min(DefaultPoolSize, defaultPoolBytes/max(1, block)))
		}
		k := int(math.Floor(p.Ratio * float64(hi)))
		pool := make([]byte, n*block)
		r := rand.New(rand.NewPCG(uint64(seed), streamPayload))
		for b := range n {
			fillFrom(pool[b*block:b*block+k], r)
		}
		return &ratioPayload{pool: pool, sizes: sizes, base: streamStart(seed, streamOffsets),
			blocks: uint64(n), block: block, k: k, ratio: p.Ratio}, nil
	case PayloadText:
		return newTextPayload(p, sizes, seed), nil
	}
	return nil, s.errorf("message.payload.kind", "unknown kind %s", quote(p.Kind))
}

// ratioBlock is the length of one random_ratio block for sizes up to hi:
// floor(ratio·hi) random bytes, then hi zeros.
func ratioBlock(ratio float64, hi int) int {
	return int(math.Floor(ratio*float64(hi))) + hi
}

// fillRandom fills b with bytes from a PCG seeded with (seed, stream).
func fillRandom(b []byte, seed int64, stream uint64) {
	fillFrom(b, rand.New(rand.NewPCG(uint64(seed), stream)))
}

// fillFrom fills b with bytes from r.
func fillFrom(b []byte, r *rand.Rand) {
	var w [8]byte
	for j := 0; j < len(b); j += 8 {
		binary.LittleEndian.PutUint64(w[:], r.Uint64())
		copy(b[j:], w[:])
	}
}

// slidingPayload slices values of drawn sizes out of a pool at offsets
// drawn from (seed, i): random bytes, or text when starts lists the
// offsets of word starts.
type slidingPayload struct {
	pool   []byte
	sizes  *SizeGen
	base   uint64
	window uint64   // number of start offsets
	starts []uint32 // text: start offsets; nil: every offset < window
}

// Payload returns the value of message i.
func (p *slidingPayload) Payload(i int64) []byte {
	n := uint64(p.sizes.Size(i))
	off := reduce(mix(p.base, i), p.window)
	if p.starts != nil {
		off = uint64(p.starts[off])
	}
	end := off + n
	return p.pool[off:end:end]
}

// zeroPayload slices values out of one zero buffer.
type zeroPayload struct {
	zeros []byte
	sizes *SizeGen
}

// Payload returns the value of message i.
func (p *zeroPayload) Payload(i int64) []byte {
	n := p.sizes.Size(i)
	return p.zeros[:n:n]
}

// ratioPayload is OMB's randomBytesRatio pool.
type ratioPayload struct {
	pool   []byte
	sizes  *SizeGen
	base   uint64
	blocks uint64
	block  int // bytes per block
	k      int // random bytes at the start of each block
	ratio  float64
}

// Payload returns the value of message i: floor(ratio·n) random bytes,
// then zeros.
func (p *ratioPayload) Payload(i int64) []byte {
	n := p.sizes.Size(i)
	k := int(p.ratio * float64(n))
	b := int(reduce(mix(p.base, i), p.blocks))
	start := b*p.block + p.k - k
	end := start + n
	return p.pool[start:end:end]
}

// newTextPayload builds the text pool: words drawn uniformly from the list
// (seeded), joined by the separator, at least payloadWindow + hi bytes
// after the last start offset.
func newTextPayload(p Payload, sizes *SizeGen, seed int64) *slidingPayload {
	words := p.Words
	if len(words) == 0 {
		words = defaultWords
	}
	sep := " "
	if p.Separator != nil {
		sep = *p.Separator
	}
	hi := sizes.Max()
	r := rand.New(rand.NewPCG(uint64(seed), streamPayload))
	var b strings.Builder
	b.Grow(payloadWindow + hi + 64)
	var starts []uint32
	for b.Len() < payloadWindow {
		starts = append(starts, uint32(b.Len()))
		b.WriteString(words[r.IntN(len(words))])
		b.WriteString(sep)
	}
	for b.Len() < payloadWindow+hi { // room for the largest value from any start
		b.WriteString(words[r.IntN(len(words))])
		b.WriteString(sep)
	}
	return &slidingPayload{pool: []byte(b.String()), sizes: sizes, base: streamStart(seed, streamOffsets),
		window: uint64(len(starts)), starts: starts}
}

// listPayload holds a list of whole payloads back to back.
type listPayload struct {
	buf    []byte
	off    []int64 // payload j is buf[off[j]:off[j+1]]
	base   uint64
	random bool // draw from (seed, i); else i mod len
}

// Payload returns the value of message i.
func (p *listPayload) Payload(i int64) []byte {
	n := uint64(len(p.off) - 1)
	var j uint64
	if p.random {
		j = reduce(mix(p.base, i), n)
	} else {
		j = uint64(i) % n
	}
	a, b := p.off[j], p.off[j+1]
	return p.buf[a:b:b]
}

// add appends one payload.
func (p *listPayload) add(b []byte) {
	p.buf = append(p.buf, b...)
	p.off = append(p.off, int64(len(p.buf)))
}

// newJSONPayload renders the record pool.
func newJSONPayload(s *Scenario) (*listPayload, error) {
	p := s.Message.Payload
	t, err := ParseTemplate(p.Template)
	if err != nil {
		return nil, s.errorf("message.payload.template", "%s", err.Error())
	}
	n := p.PoolSize
	if n == 0 {
		n = DefaultPoolSize
	}
	lp := &listPayload{off: []int64{0}}
	base := streamStart(s.Seed, streamJSON)
	for j := range n {
		lp.buf = t.Render(lp.buf, int64(j), base)
		lp.off = append(lp.off, int64(len(lp.buf)))
		if len(lp.buf) > MaxPoolBytes {
			return nil, s.errorf("message.payload.pool_size", "the record pool exceeds %v: use a smaller pool_size", Size(MaxPoolBytes))
		}
	}
	return lp, nil
}

// PayloadPath is the path a payload file (or glob pattern) f names:
// relative paths are relative to the scenario file's directory (s.File),
// or to the working directory for a scenario not read from a file.
func (s *Scenario) PayloadPath(f string) string {
	if filepath.IsAbs(f) || s.File == "" {
		return f
	}
	return filepath.Join(filepath.Dir(s.File), f)
}

// newFilePayload reads the payload files.
func newFilePayload(s *Scenario) (*listPayload, error) {
	p := s.Message.Payload
	resolve := s.PayloadPath
	lp := &listPayload{off: []int64{0}, base: streamStart(s.Seed, streamOffsets), random: true}
	read := func(field, path string) ([]byte, *Error) {
		b, err := readPayloadFile(path, MaxPayloadFileSize)
		if err != nil {
			return nil, s.errorf(field, "%v", err)
		}
		if len(lp.buf)+len(b) > MaxPoolBytes {
			return nil, s.errorf(field, "payload files exceed %v in all", Size(MaxPoolBytes))
		}
		return b, nil
	}
	tooBig := func(field, path string, n int) *Error {
		return s.errorf(field, "%s: a payload of %v is larger than %v", path, Size(n), MaxMessageSize)
	}
	if p.File != "" {
		const field = "message.payload.file"
		b, err := read(field, resolve(p.File))
		if err != nil {
			return nil, err
		}
		pieces := [][]byte{b}
		if p.Delimiter != nil {
			pieces = splitNonEmpty(b, *p.Delimiter)
		}
		for _, piece := range pieces {
			if len(piece) > int(MaxMessageSize) {
				return nil, tooBig(field, resolve(p.File), len(piece))
			}
			lp.add(piece)
		}
		if len(lp.off) == 1 {
			return nil, s.errorf(field, "%s holds no payload", resolve(p.File))
		}
		return lp, nil
	}
	for i, pattern := range p.Files {
		field := fmt.Sprintf("message.payload.files[%d]", i)
		matches, err := filepath.Glob(resolve(pattern))
		if err != nil {
			return nil, s.errorf(field, "bad pattern %s: %v", quote(pattern), err)
		}
		if len(matches) == 0 {
			return nil, s.errorf(field, "no file matches %s", quote(resolve(pattern)))
		}
		for _, m := range matches {
			if st, err := os.Stat(m); err == nil && st.IsDir() {
				continue
			}
			b, err := read(field, m)
			if err != nil {
				return nil, err
			}
			if len(b) > int(MaxMessageSize) {
				return nil, tooBig(field, m, len(b))
			}
			lp.add(b)
		}
	}
	if len(lp.off) == 1 {
		return nil, s.errorf("message.payload.files", "no payload files found")
	}
	return lp, nil
}

// readPayloadFile reads the regular file at path, at most limit bytes.
// Directories, devices, FIFOs and sockets are refused before opening (a
// read of /dev/zero or a FIFO would never end), and the read itself is
// bounded too, in case the file grows or is swapped after the check. Its
// errors name the path.
func readPayloadFile(path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	switch m := st.Mode(); {
	case m.IsDir():
		return nil, fmt.Errorf("%s is a directory, not a payload file", path)
	case !m.IsRegular():
		return nil, fmt.Errorf("%s is not a regular file (%s): devices, FIFOs and sockets are refused", path, fileKind(m))
	case st.Size() > limit:
		return nil, fmt.Errorf("%s is %v, larger than the %v payload file limit", path, Size(st.Size()), Size(limit))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than the %v payload file limit", path, Size(limit))
	}
	return b, nil
}

// fileKind names a non-regular file's type for errors.
func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "irregular: " + m.String()
}

// splitNonEmpty splits b on sep, dropping empty pieces.
func splitNonEmpty(b []byte, sep string) [][]byte {
	var out [][]byte
	for _, piece := range strings.Split(string(b), sep) {
		if piece != "" {
			out = append(out, []byte(piece))
		}
	}
	return out
}
