package verify

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// FileName is the name of the outcomes file beside result.json.
const FileName = "verify.bin"

// fileMagic opens an outcomes file (after gzip).
const fileMagic = "PBVERIF1"

// maxTopics bounds the topic count read from a file.
const maxTopics = 1 << 16

// WriteTo writes o compactly (gzip of: magic, run ID, topics, untracked
// count, slot count, slots up to the last one set), for `prodbench verify
// DIR`. Call it after every callback has run.
func (o *Outcomes) WriteTo(w io.Writer) (int64, error) {
	n := len(o.slots)
	for n > 0 && o.slots[n-1] == 0 {
		n--
	}
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	bw := bufio.NewWriter(zw)
	var b [8]byte
	put64 := func(v uint64) {
		binary.LittleEndian.PutUint64(b[:], v)
		_, _ = bw.Write(b[:])
	}
	_, _ = bw.WriteString(fileMagic)
	put64(o.Run)
	put64(uint64(len(o.Topics)))
	for _, t := range o.Topics {
		put64(uint64(len(t)))
		_, _ = bw.WriteString(t)
	}
	put64(uint64(o.untracked.Load()))
	put64(uint64(len(o.slots)))
	put64(uint64(n))
	for _, v := range o.slots[:n] {
		put64(v)
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	return 0, zw.Close()
}

// ReadOutcomes reads what WriteTo wrote. A malformed or truncated file is
// an error saying so; sizes are bounded (MaxTracked slots, 65536 topics),
// so a bad file cannot exhaust memory.
func ReadOutcomes(r io.Reader) (*Outcomes, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("verify: outcomes file: %w", err)
	}
	br := bufio.NewReader(zr)
	magic := make([]byte, len(fileMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != fileMagic {
		return nil, errors.New("verify: outcomes file: not a prodbench outcomes file")
	}
	var b [8]byte
	var rerr error
	get64 := func() uint64 {
		if rerr != nil {
			return 0
		}
		if _, err := io.ReadFull(br, b[:]); err != nil {
			rerr = err
			return 0
		}
		return binary.LittleEndian.Uint64(b[:])
	}
	o := &Outcomes{Run: get64()}
	nt := get64()
	if rerr == nil && nt > maxTopics {
		return nil, fmt.Errorf("verify: outcomes file: %d topics (at most %d)", nt, maxTopics)
	}
	for range nt {
		l := get64()
		if rerr != nil {
			break
		}
		if l > 4096 {
			return nil, fmt.Errorf("verify: outcomes file: topic name of %d bytes", l)
		}
		t := make([]byte, l)
		if _, err := io.ReadFull(br, t); err != nil {
			rerr = err
			break
		}
		o.Topics = append(o.Topics, string(t))
	}
	o.untracked.Store(int64(get64()))
	size, n := get64(), get64()
	if rerr != nil {
		return nil, fmt.Errorf("verify: outcomes file truncated: %v", rerr)
	}
	if size > MaxTracked || n > size {
		return nil, fmt.Errorf("verify: outcomes file: %d of %d slots (at most %d)", n, size, MaxTracked)
	}
	o.slots = make([]uint64, size)
	for i := range n {
		o.slots[i] = get64()
	}
	if rerr != nil {
		return nil, fmt.Errorf("verify: outcomes file truncated: %v", rerr)
	}
	return o, nil
}
