package redis

import (
	"context"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// Store is an authenticator.EphemeralStore on Redis. It is safe for
// concurrent use, as the client is.
type Store struct {
	client goredis.UniversalClient
	prefix string
}

var _ authenticator.EphemeralStore = (*Store)(nil)

// New returns a Store that keeps its keys in client under prefix (for
// example "bp:"; it may be empty). The caller owns client and closes it.
func New(client goredis.UniversalClient, prefix string) *Store {
	return &Store{client: client, prefix: prefix}
}

// Put stores value under key for ttl with SET, replacing any earlier value
// and its ttl.
func (s *Store) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := authenticator.ValidatePut(key, value, ttl); err != nil {
		return err
	}
	return classify("SET", s.client.Set(ctx, s.prefix+key, value, ttl).Err())
}

// Get returns the value under key with GET, or ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := authenticator.ValidateKey(key); err != nil {
		return nil, err
	}
	v, err := s.client.Get(ctx, s.prefix+key).Bytes()
	return v, classify("GET", err)
}

// Take returns the value under key and deletes it with GETDEL, atomically
// on the server: of concurrent callers exactly one gets the value, the others
// ErrNotFound.
func (s *Store) Take(ctx context.Context, key string) ([]byte, error) {
	if err := authenticator.ValidateKey(key); err != nil {
		return nil, err
	}
	v, err := s.client.GetDel(ctx, s.prefix+key).Bytes()
	return v, classify("GETDEL", err)
}

// Delete removes key with DEL; an absent key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := authenticator.ValidateKey(key); err != nil {
		return err
	}
	return classify("DEL", s.client.Del(ctx, s.prefix+key).Err())
}

// incrScript is Incr: INCR, and PEXPIRE when the key has no expiry, which is
// when INCR has just created it; a script runs atomically, so no other client
// sees the counter without its expiry. INCR's own refusals of the value (not
// an integer, or an increment that would overflow) come back as a null
// reply, which Incr reports as ErrInvalidArgument; every other error
// (WRONGTYPE for a key that is not a string, OOM) is returned as it is. The
// script returns the count as GET's text, not INCR's reply: Lua numbers are
// doubles, which would round counts beyond 2^53.
var incrScript = goredis.NewScript(`
local n = redis.pcall('INCR', KEYS[1])
if type(n) == 'table' and n.err then
	if string.find(n.err, 'not an integer', 1, true) or string.find(n.err, 'overflow', 1, true) then
		return nil
	end
	return n
end
if redis.call('PTTL', KEYS[1]) == -1 then
	redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return redis.call('GET', KEYS[1])
`)

// Incr adds one to the counter under key and returns the new count, with a
// Lua script (see the package documentation): an absent or expired key
// becomes a counter at 1 that expires window from now; an existing one keeps
// its expiry. A value INCR refuses is ErrInvalidArgument and stays as it is.
func (s *Store) Incr(ctx context.Context, key string, window time.Duration) (int64, error) {
	if err := authenticator.ValidateIncr(key, window); err != nil {
		return 0, err
	}
	// EVAL, not EVALSHA: the script is small, and sending it every time
	// keeps Incr one round trip even on a server that has not cached it.
	n, err := incrScript.Eval(ctx, s.client, []string{s.prefix + key}, window.Milliseconds()).Int64()
	if errors.Is(err, goredis.Nil) {
		return 0, authenticator.Errorf(authenticator.CodeInvalidArgument, "redis INCR: the value under the key is not a counter below the int64 maximum")
	}
	return n, classify("INCR", err)
}

// classify turns the error of command into the authenticator's: redis.Nil
// (no such key) into ErrNotFound, anything else into ErrUnavailable, both
// wrapping err. The key stays out of the message.
func classify(command string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, goredis.Nil):
		return authenticator.Errorf(authenticator.CodeNotFound, "redis %s: %w", command, err)
	default:
		return authenticator.Errorf(authenticator.CodeUnavailable, "redis %s: %w", command, err)
	}
}
