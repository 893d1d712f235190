package authenticator

import "time"

// Limits of what an EphemeralStore accepts. Every implementation checks them
// with ValidateKey, ValidatePut and ValidateIncr, so a caller sees the same answer from
// Redis and from memory. They are generous for what the project keeps (a
// ceremony's SessionData is about 250 bytes under a key of about 50) and keep
// any single entry small enough not to hurt a shared Redis.
const (
	// MaxKeyLen is the longest key, in bytes.
	MaxKeyLen = 256
	// MaxValueLen is the largest value, in bytes (64 KiB).
	MaxValueLen = 64 << 10
	// MinTTL is the shortest time to live: Redis keeps expiries in milliseconds.
	MinTTL = time.Millisecond
	// MaxTTL is the longest time to live. Challenges live at most five minutes
	// (DESIGN.md §7.1); a day leaves room for enrollment links and session
	// levels while still bounding how long anything ephemeral can linger.
	MaxTTL = 24 * time.Hour
)

// ValidateKey checks an EphemeralStore key: 1 to MaxKeyLen bytes, any bytes.
// The error never quotes the key, which may be a secret such as a handoff
// token.
func ValidateKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return Errorf(CodeInvalidArgument, "ephemeral key is %d bytes, want 1 to %d", len(key), MaxKeyLen)
	}
	return nil
}

// ValidatePut checks the arguments of EphemeralStore.Put: a valid key (see
// ValidateKey), a value of at most MaxValueLen bytes (empty is allowed) and a
// ttl from MinTTL to MaxTTL. Failures are ErrInvalidArgument.
func ValidatePut(key string, value []byte, ttl time.Duration) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if len(value) > MaxValueLen {
		return Errorf(CodeInvalidArgument, "ephemeral value is %d bytes, want at most %d", len(value), MaxValueLen)
	}
	return validateTTL("ttl", ttl)
}

// ValidateIncr checks the arguments of EphemeralStore.Incr: a valid key (see
// ValidateKey) and a window from MinTTL to MaxTTL, the same range as a Put's
// ttl. Failures are ErrInvalidArgument.
func ValidateIncr(key string, window time.Duration) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	return validateTTL("window", window)
}

// validateTTL checks that d, the argument called name, is from MinTTL to MaxTTL.
func validateTTL(name string, d time.Duration) error {
	if d < MinTTL || d > MaxTTL {
		return Errorf(CodeInvalidArgument, "ephemeral %s is %v, want %v to %v", name, d, MinTTL, MaxTTL)
	}
	return nil
}
