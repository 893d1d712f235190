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
