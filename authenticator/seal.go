package authenticator

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
)

// ReferenceKeySize is the length of Config.ReferenceKey: an AES-256 key.
const ReferenceKeySize = 32

// sealVersion prefixes every sealed value, so the format can change later.
const sealVersion byte = 1

// sealAD is the domain of the additional data that binds a sealed value to
// its reference row.
const sealAD = "biometric-passkey/reference/v1"

var errSealed = errors.New("sealed reference does not open")

// newSealer builds the AEAD that seals provider references (DESIGN.md §7.6).
func newSealer(key []byte) (cipher.AEAD, error) {
	if len(key) != ReferenceKeySize {
		return nil, fmt.Errorf("must be %d bytes (AES-256), got %d", ReferenceKeySize, len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// referenceAD binds a sealed value to the reference's ID and user, length
// prefixed so that no two (id, user) pairs share additional data: a value
// copied to another row does not open.
func referenceAD(id, user string) []byte {
	ad := make([]byte, 0, len(sealAD)+8+len(id)+len(user))
	ad = append(ad, sealAD...)
	ad = binary.BigEndian.AppendUint32(ad, uint32(len(id)))
	ad = append(ad, id...)
	ad = binary.BigEndian.AppendUint32(ad, uint32(len(user)))
	return append(ad, user...)
}

// seal encrypts a provider's reference id for the reference row (id, user):
// version || nonce || AES-256-GCM ciphertext, with a random nonce from the
// service's randomness.
func (s *Service) seal(id, user, plaintext string) ([]byte, error) {
	if s.sealer == nil {
		return nil, Errorf(CodeInternal, "seal reference: no reference key configured")
	}
	nonce, err := s.randomBytes(s.sealer.NonceSize())
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, 1+len(nonce)+len(plaintext)+s.sealer.Overhead())
	out = append(out, sealVersion)
	out = append(out, nonce...)
	return s.sealer.Seal(out, nonce, []byte(plaintext), referenceAD(id, user)), nil
}

// open decrypts a value sealed for the reference row (id, user). Anything
// tampered with, moved to another row or sealed under another key is an
// internal error.
func (s *Service) open(id, user string, sealed []byte) (string, error) {
	if s.sealer == nil {
		return "", Errorf(CodeInternal, "open reference: no reference key configured")
	}
	n := s.sealer.NonceSize()
	if len(sealed) < 1+n+s.sealer.Overhead() || sealed[0] != sealVersion {
		return "", Errorf(CodeInternal, "open reference %s: %w: malformed", id, errSealed)
	}
	pt, err := s.sealer.Open(nil, sealed[1:1+n], sealed[1+n:], referenceAD(id, user))
	if err != nil {
		return "", Errorf(CodeInternal, "open reference %s: %w", id, errSealed)
	}
	return string(pt), nil
}
