package producer_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prodbench/prodbench/producer"
)

func newCache() *atomic.Pointer[map[string]*int] {
	var c atomic.Pointer[map[string]*int]
	empty := map[string]*int{}
	c.Store(&empty)
	return &c
}

// TestCachedOrAdd: add runs once per key however many goroutines ask at
// once; an error is returned and not cached; a stored map is never
// changed afterwards (readers keep a consistent snapshot).
func TestCachedOrAdd(t *testing.T) {
	cache, mu := newCache(), &sync.Mutex{}
	var adds atomic.Int32
	var wg sync.WaitGroup
	got := make([]*int, 8)
	for g := range got {
		wg.Go(func() {
			v, err := producer.CachedOrAdd(cache, mu, "a", func() (*int, error) {
				adds.Add(1)
				n := 1
				return &n, nil
			})
			if err != nil {
				t.Error(err)
			}
			got[g] = v
		})
	}
	wg.Wait()
	if adds.Load() != 1 {
		t.Fatalf("add ran %d times for one key", adds.Load())
	}
	for _, v := range got {
		if v != got[0] || *v != 1 {
			t.Fatalf("values %v differ", got)
		}
	}
	snapshot := *cache.Load()
	boom := errors.New("boom")
	if v, err := producer.CachedOrAdd(cache, mu, "b", func() (*int, error) { return nil, boom }); err != boom || v != nil {
		t.Fatalf("failed add: %v, %v", v, err)
	}
	if _, ok := (*cache.Load())["b"]; ok {
		t.Fatal("a failed add was cached")
	}
	two := 2
	if v, err := producer.CachedOrAdd(cache, mu, "b", func() (*int, error) { return &two, nil }); err != nil || v != &two {
		t.Fatalf("add after a failure: %v, %v", v, err)
	}
	if len(snapshot) != 1 || len(*cache.Load()) != 2 {
		t.Fatalf("snapshot %v changed or cache %v wrong", snapshot, *cache.Load())
	}
	three := 3
	producer.CacheStore(cache, "c", &three)
	if len(*cache.Load()) != 3 || (*cache.Load())["c"] != &three || len(snapshot) != 1 {
		t.Fatalf("CacheStore: %v, snapshot %v", *cache.Load(), snapshot)
	}
}

// TestCachedOrAddHitAllocs: a cached key costs no allocation, with an
// add closure that captures its caller's variables (as Producer.topic's
// does).
func TestCachedOrAddHitAllocs(t *testing.T) {
	cache, mu := newCache(), &sync.Mutex{}
	one := 1
	producer.CacheStore(cache, "a", &one)
	key, fail := "a", errors.New("not cached")
	allocs := testing.AllocsPerRun(1000, func() {
		v, err := producer.CachedOrAdd(cache, mu, key, func() (*int, error) { return nil, fail })
		if err != nil || v != &one {
			t.Fatal("miss")
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations a hit", allocs)
	}
}
