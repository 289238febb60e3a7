package producer

import (
	"maps"
	"sync"
	"sync/atomic"
)

// CachedOrAdd returns the value under key in cache, a copy-on-write map
// that the hot path reads without a lock: when key is there it takes no
// lock and allocates nothing. Otherwise, under mu, it looks again (another
// goroutine may have added it meanwhile), then calls add and stores a new
// map holding its value. An error from add is returned, with add's value,
// and nothing is cached. cache must hold a map (an empty one to start
// with); every writer of it holds mu. The Producer caches its topics so,
// and the nats engine its stations.
func CachedOrAdd[K comparable, V any](cache *atomic.Pointer[map[K]V], mu *sync.Mutex, key K, add func() (V, error)) (V, error) {
	if v, ok := (*cache.Load())[key]; ok {
		return v, nil
	}
	return cachedOrAddSlow(cache, mu, key, add)
}

// cachedOrAddSlow is CachedOrAdd's locked path, kept out of line so that
// CachedOrAdd inlines into its callers.
func cachedOrAddSlow[K comparable, V any](cache *atomic.Pointer[map[K]V], mu *sync.Mutex, key K, add func() (V, error)) (V, error) {
	mu.Lock()
	defer mu.Unlock()
	if v, ok := (*cache.Load())[key]; ok {
		return v, nil
	}
	v, err := add()
	if err != nil {
		return v, err
	}
	CacheStore(cache, key, v)
	return v, nil
}

// CacheStore stores a copy of the map in cache with key set to v, for a
// copy-on-write map as CachedOrAdd reads it. The caller holds the lock
// that every writer of cache holds (or is the only goroutine using it
// yet).
func CacheStore[K comparable, V any](cache *atomic.Pointer[map[K]V], key K, v V) {
	old := *cache.Load()
	next := make(map[K]V, len(old)+1)
	maps.Copy(next, old)
	next[key] = v
	cache.Store(&next)
}
