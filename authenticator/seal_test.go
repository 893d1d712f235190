package authenticator

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
)

func testSealer(t *testing.T, key []byte) *Service {
	t.Helper()
	a, err := newSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return &Service{sealer: a, rand: rand.Reader}
}

func TestSealRoundTrip(t *testing.T) {
	t.Parallel()
	s := testSealer(t, bytes.Repeat([]byte{1}, ReferenceKeySize))
	tests := map[string]string{"uuid": "0b7e6d9c-5f1a-4c2e-9d8b-3a4f5e6d7c8b", "empty": "", "long": string(bytes.Repeat([]byte("x"), 4096))}
	for name, plain := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, err := s.seal("ref-1", "cust-1", plain)
			if err != nil {
				t.Fatal(err)
			}
			b, err := s.seal("ref-1", "cust-1", plain)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(a, b) {
				t.Errorf("got the same ciphertext twice, want a fresh nonce each time")
			}
			if plain != "" && bytes.Contains(a, []byte(plain)) {
				t.Errorf("got ciphertext containing the plaintext")
			}
			got, err := s.open("ref-1", "cust-1", a)
			if err != nil || got != plain {
				t.Errorf("got %q, %v, want %q", got, err, plain)
			}
		})
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{1}, ReferenceKeySize)
	s := testSealer(t, key)
	sealed, err := s.seal("ref-1", "cust-1", "provider-ref")
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	other := testSealer(t, bytes.Repeat([]byte{2}, ReferenceKeySize))
	tests := map[string]struct {
		svc      *Service
		id, user string
		sealed   []byte
	}{
		"tampered version":    {s, "ref-1", "cust-1", flip(0)},
		"tampered nonce":      {s, "ref-1", "cust-1", flip(1)},
		"tampered ciphertext": {s, "ref-1", "cust-1", flip(len(sealed) / 2)},
		"tampered tag":        {s, "ref-1", "cust-1", flip(len(sealed) - 1)},
		"truncated":           {s, "ref-1", "cust-1", sealed[:len(sealed)-1]},
		"too short":           {s, "ref-1", "cust-1", sealed[:5]},
		"empty":               {s, "ref-1", "cust-1", nil},
		"another row":         {s, "ref-2", "cust-1", sealed},
		"another user":        {s, "ref-1", "cust-2", sealed},
		"shifted boundary":    {s, "ref-1c", "ust-1", sealed},
		"wrong key":           {other, "ref-1", "cust-1", sealed},
		"no key":              {&Service{rand: rand.Reader}, "ref-1", "cust-1", sealed},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.svc.open(tc.id, tc.user, tc.sealed)
			if !errors.Is(err, ErrInternal) || got != "" {
				t.Errorf("got %q, %v, want an internal error", got, err)
			}
		})
	}
}

func TestNewSealerKeySize(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 24, 31, 33} {
		if _, err := newSealer(make([]byte, n)); err == nil {
			t.Errorf("got no error for a %d-byte key, want one", n)
		}
	}
}
