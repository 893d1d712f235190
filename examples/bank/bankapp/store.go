package bankapp

import (
	"sync"
	"time"
)

// account is a bank customer. ID is the stable opaque id the bank gives the
// login provider as external_user_id; it comes back as the ID token's sub.
type account struct {
	ID       string
	Username string
	FullName string
}

// accounts is the in-memory customer list: it is a demo, and a restart
// forgets everyone.
type accounts struct {
	mu         sync.Mutex
	byID       map[string]account
	byUsername map[string]string
}

// add stores acct and reports false if its username is taken.
func (s *accounts) add(acct account) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.byUsername[acct.Username]; taken {
		return false
	}
	if s.byID == nil {
		s.byID = map[string]account{}
		s.byUsername = map[string]string{}
	}
	s.byID[acct.ID] = acct
	s.byUsername[acct.Username] = acct.ID
	return true
}

func (s *accounts) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if acct, ok := s.byID[id]; ok {
		delete(s.byID, id)
		delete(s.byUsername, acct.Username)
	}
}

func (s *accounts) get(id string) (account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acct, ok := s.byID[id]
	return acct, ok
}

// expiring is a mutex-guarded map whose entries lapse at a deadline. The
// zero value is ready to use.
type expiring[V any] struct {
	mu sync.Mutex
	m  map[string]expiringEntry[V]
}

type expiringEntry[V any] struct {
	v       V
	expires time.Time
}

// put stores v under key until expires, dropping lapsed entries first so the
// map stays bounded by what is live.
func (e *expiring[V]) put(key string, v V, expires, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.storeLocked(key, v, expires, now)
}

// storeLocked drops lapsed entries and stores v under key. e.mu must be held.
func (e *expiring[V]) storeLocked(key string, v V, expires, now time.Time) {
	if e.m == nil {
		e.m = map[string]expiringEntry[V]{}
	}
	for k, ent := range e.m {
		if !now.Before(ent.expires) {
			delete(e.m, k)
		}
	}
	e.m[key] = expiringEntry[V]{v: v, expires: expires}
}

// get returns the live value under key.
func (e *expiring[V]) get(key string, now time.Time) (V, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ent, ok := e.m[key]
	if !ok || !now.Before(ent.expires) {
		var zero V
		return zero, false
	}
	return ent.v, true
}

// take removes the value under key and returns it if it was live.
func (e *expiring[V]) take(key string, now time.Time) (V, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ent, ok := e.m[key]
	delete(e.m, key)
	if !ok || !now.Before(ent.expires) {
		var zero V
		return zero, false
	}
	return ent.v, true
}

// add stores v under key until expires unless a live value is there
// already, and reports whether it stored it: an atomic "first one wins".
func (e *expiring[V]) add(key string, v V, expires, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ent, ok := e.m[key]; ok && now.Before(ent.expires) {
		return false
	}
	e.storeLocked(key, v, expires, now)
	return true
}

// update replaces the live value under key with f(old), keeping its
// deadline, and reports whether there was one.
func (e *expiring[V]) update(key string, f func(V) V, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	ent, ok := e.m[key]
	if !ok || !now.Before(ent.expires) {
		return false
	}
	ent.v = f(ent.v)
	e.m[key] = ent
	return true
}
