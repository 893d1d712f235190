package adminui

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Cookie purposes: each is the AES-GCM additional data of its cookie, so a
// login cookie can never be replayed as a session cookie or the other way.
const (
	purposeSession = "adminui/session/v1"
	purposeLogin   = "adminui/login/v1"
)

// maxCookieValue bounds what open decodes.
const maxCookieValue = 4096

var errBadCookie = errors.New("cookie is malformed, tampered with or sealed under another key")

// sealer seals values into cookie text: base64url(nonce ‖ AES-GCM(json)).
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealer{}, fmt.Errorf("adminui: session key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealer{}, fmt.Errorf("adminui: session key: %w", err)
	}
	return sealer{aead: aead}, nil
}

func (s sealer) seal(purpose string, v any) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("adminui: seal %s: %w", purpose, err)
	}
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, []byte(purpose))), nil
}

func (s sealer) open(purpose, value string, v any) error {
	if len(value) > maxCookieValue {
		return errBadCookie
	}
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return errBadCookie
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(purpose))
	if err != nil {
		return errBadCookie
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return errBadCookie
	}
	return nil
}

// session is a signed-in operator, sealed in the session cookie.
type session struct {
	Sub     string `json:"sub"`
	Role    Role   `json:"role"`
	CSRF    string `json:"csrf"` // the token every form posts back
	Expires int64  `json:"exp"`  // Unix seconds
}

// loginState is the sign-in in flight, sealed in the login cookie.
type loginState struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"` // PKCE
	Expires  int64  `json:"exp"`
}

// loginTTL is how long an operator has at the provider.
const loginTTL = 10 * time.Minute

var (
	errSessionExpired = errors.New("session expired")
	errSessionInvalid = errors.New("session is incomplete")
)

// parseSession opens and checks a session cookie's value at now.
func (s sealer) parseSession(value string, now time.Time) (session, error) {
	var sess session
	if err := s.open(purposeSession, value, &sess); err != nil {
		return session{}, err
	}
	if sess.Sub == "" || !sess.Role.Valid() || len(sess.CSRF) < 16 {
		return session{}, errSessionInvalid
	}
	if now.Unix() >= sess.Expires {
		return session{}, errSessionExpired
	}
	return sess, nil
}

// parseLogin opens and checks a login cookie's value at now.
func (s sealer) parseLogin(value string, now time.Time) (loginState, error) {
	var ls loginState
	if err := s.open(purposeLogin, value, &ls); err != nil {
		return loginState{}, err
	}
	if ls.State == "" || ls.Nonce == "" || ls.Verifier == "" {
		return loginState{}, errSessionInvalid
	}
	if now.Unix() >= ls.Expires {
		return loginState{}, errSessionExpired
	}
	return ls, nil
}
