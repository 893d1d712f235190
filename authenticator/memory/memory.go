package memory

import (
	"bytes"
	"container/heap"
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// DefaultMaxEntries is the number of live entries a Store holds unless
// WithMaxEntries says otherwise: far more pending ceremonies than one
// instance sees. The bound counts entries, not bytes; with the values the
// authenticator writes (a few hundred bytes each) a full store is about
// 50 MB, and only values at authenticator.MaxValueLen would make it 6.4 GiB.
const DefaultMaxEntries = 100_000

// Store is an authenticator.EphemeralStore in memory. It is safe for
// concurrent use. The zero value is not usable; call New.
type Store struct {
	now        func() time.Time
	maxEntries int

	mu       sync.Mutex
	entries  map[string]*entry
	byExpiry expiryHeap // the same entries, soonest expiry first
}

var _ authenticator.EphemeralStore = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithClock makes the store read the time from now instead of time.Now, so
// that tests decide when entries expire. New panics if now is nil.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// WithMaxEntries bounds the number of live entries (DefaultMaxEntries by
// default). New panics if n is less than 1.
func WithMaxEntries(n int) Option {
	return func(s *Store) { s.maxEntries = n }
}

// New returns an empty Store. It panics on an invalid option, which is a
// programming error.
func New(opts ...Option) *Store {
	s := &Store{now: time.Now, maxEntries: DefaultMaxEntries, entries: make(map[string]*entry)}
	for _, opt := range opts {
		opt(s)
	}
	if s.now == nil {
		panic("memory.New: WithClock(nil): want a clock")
	}
	if s.maxEntries < 1 {
		panic(fmt.Sprintf("memory.New: WithMaxEntries(%d): want at least 1", s.maxEntries))
	}
	return s
}

// Put stores a copy of value under key for ttl, replacing any earlier value
// and its ttl. Input outside the limits of authenticator.ValidatePut is
// ErrInvalidArgument; a new key when all entries are live is ErrUnavailable.
func (s *Store) Put(_ context.Context, key string, value []byte, ttl time.Duration) error {
	if err := authenticator.ValidatePut(key, value, ttl); err != nil {
		return err
	}
	value = bytes.Clone(value)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.evictExpired(now)
	if e, ok := s.entries[key]; ok {
		e.value, e.expires = value, now.Add(ttl)
		heap.Fix(&s.byExpiry, e.index)
		return nil
	}
	if len(s.entries) >= s.maxEntries {
		return authenticator.Errorf(authenticator.CodeUnavailable, "memory store: all %d entries are live", s.maxEntries)
	}
	e := &entry{key: key, value: value, expires: now.Add(ttl)}
	s.entries[key] = e
	heap.Push(&s.byExpiry, e)
	return nil
}

// Get returns a copy of the value under key, or ErrNotFound when it is absent
// or expired.
func (s *Store) Get(_ context.Context, key string) ([]byte, error) {
	if err := authenticator.ValidateKey(key); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.live(key)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(e.value), nil
}

// Take returns the value under key and removes it under the store's lock, so
// of concurrent callers exactly one gets it; the others, and callers after
// expiry, get ErrNotFound.
func (s *Store) Take(_ context.Context, key string) ([]byte, error) {
	if err := authenticator.ValidateKey(key); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.live(key)
	if err != nil {
		return nil, err
	}
	s.remove(e)
	return e.value, nil // the entry is gone: its copy is the caller's now
}

// Delete removes key; an absent key is not an error.
func (s *Store) Delete(_ context.Context, key string) error {
	if err := authenticator.ValidateKey(key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.entries[key]; ok {
		s.remove(e)
	}
	return nil
}

// Incr adds one to the counter under key and returns the new count, under
// the store's lock. An absent or expired key becomes a counter at 1 that
// expires window from now; an existing one keeps its expiry. A value that is
// not a canonical decimal int64 below math.MaxInt64 is ErrInvalidArgument and
// stays as it is; a new key when all entries are live is ErrUnavailable.
func (s *Store) Incr(_ context.Context, key string, window time.Duration) (int64, error) {
	if err := authenticator.ValidateIncr(key, window); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.evictExpired(now) // whatever is left is live
	if e, ok := s.entries[key]; ok {
		n, err := parseCounter(e.value)
		if err != nil {
			return 0, err
		}
		n++
		e.value = strconv.AppendInt(nil, n, 10) // a new slice: Get's copies stay as they were
		return n, nil
	}
	if len(s.entries) >= s.maxEntries {
		return 0, authenticator.Errorf(authenticator.CodeUnavailable, "memory store: all %d entries are live", s.maxEntries)
	}
	e := &entry{key: key, value: []byte("1"), expires: now.Add(window)}
	s.entries[key] = e
	heap.Push(&s.byExpiry, e)
	return 1, nil
}

// parseCounter reads a counter the way Redis's INCR does: the value must be
// a decimal int64 in canonical form (no sign but a leading '-', no leading
// zeros, no spaces, not "-0"), and below math.MaxInt64 so that adding one
// cannot overflow. The error never quotes the value.
func parseCounter(value []byte) (int64, error) {
	n, err := strconv.ParseInt(string(value), 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != string(value) {
		return 0, authenticator.Errorf(authenticator.CodeInvalidArgument, "memory store: the %d-byte value under the key is not a counter", len(value))
	}
	if n == math.MaxInt64 {
		return 0, authenticator.Errorf(authenticator.CodeInvalidArgument, "memory store: the counter under the key is at its maximum")
	}
	return n, nil
}

// live returns key's entry if it has not expired, and removes an expired one.
// s.mu must be held.
func (s *Store) live(key string) (*entry, error) {
	e, ok := s.entries[key]
	if !ok {
		return nil, authenticator.ErrNotFound
	}
	if !s.now().Before(e.expires) {
		s.remove(e)
		return nil, authenticator.ErrNotFound
	}
	return e, nil
}

// evictExpired removes every entry that has expired at now. s.mu must be held.
func (s *Store) evictExpired(now time.Time) {
	for len(s.byExpiry) > 0 && !now.Before(s.byExpiry[0].expires) {
		s.remove(s.byExpiry[0])
	}
}

// remove drops e from the map and the heap. s.mu must be held.
func (s *Store) remove(e *entry) {
	delete(s.entries, e.key)
	heap.Remove(&s.byExpiry, e.index)
}

// entry is one stored value.
type entry struct {
	key     string
	value   []byte
	expires time.Time
	index   int // position in Store.byExpiry
}

// expiryHeap orders entries by expiry for container/heap and keeps each
// entry's index current, so an entry can be fixed or removed in O(log n).
type expiryHeap []*entry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }

func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

func (h *expiryHeap) Push(x any) {
	e := x.(*entry) //nolint:forcetypeassert // Put and Incr push only entries
	e.index = len(*h)
	*h = append(*h, e)
}

func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil // let the entry be collected
	*h = old[:len(old)-1]
	return e
}
