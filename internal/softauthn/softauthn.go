// Package softauthn is a software WebAuthn authenticator for tests and
// benchmarks: it answers the options our ceremonies produce the way a
// platform authenticator would, and can misbehave on request (no user
// verification, a flipped BE flag, a replayed counter, a wrong origin).
//
// It wraps descope/virtualwebauthn and fixes two of its traps
// (reference/webauthn-and-plugin.md §3): P-256 keys whose coordinates have a
// leading zero byte are encoded short, so keys are drawn until both are full
// width; and the signature counter never advances on its own, so Assert
// increments it.
package softauthn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"sync"

	"github.com/descope/virtualwebauthn"
)

// Options shape the authenticator's behaviour.
type Options struct {
	RPID           string
	Origin         string
	BackupEligible bool // a synced passkey
	BackupState    bool
	NoUserVerified bool // answer without UV, as a device without a screen lock would
}

// Authenticator holds one passkey. It is safe for concurrent use.
type Authenticator struct {
	mu   sync.Mutex
	rp   virtualwebauthn.RelyingParty
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
}

// New returns an authenticator with a fresh key and no registration yet.
func New(o Options) (*Authenticator, error) {
	cred, err := newEC2Credential()
	if err != nil {
		return nil, err
	}
	a := &Authenticator{
		rp: virtualwebauthn.RelyingParty{ID: o.RPID, Name: o.RPID, Origin: o.Origin},
		auth: virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{
			UserNotVerified: o.NoUserVerified, BackupEligible: o.BackupEligible, BackupState: o.BackupState,
		}),
		cred: cred,
	}
	a.auth.Aaguid = [16]byte{} // virtualwebauthn draws a random AAGUID; real "none" attestation reports zeros
	a.auth.AddCredential(cred)
	return a, nil
}

// newEC2Credential draws P-256 keys until both coordinates are 32 bytes
// without a leading zero, which virtualwebauthn would otherwise drop.
func newEC2Credential() (virtualwebauthn.Credential, error) {
	for {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return virtualwebauthn.Credential{}, fmt.Errorf("generate key: %w", err)
		}
		pt, err := k.PublicKey.Bytes() // 0x04 || X(32) || Y(32)
		if err != nil {
			return virtualwebauthn.Credential{}, fmt.Errorf("encode key: %w", err)
		}
		if pt[1] == 0 || pt[33] == 0 {
			continue
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return virtualwebauthn.Credential{}, fmt.Errorf("marshal key: %w", err)
		}
		return virtualwebauthn.NewCredentialWithImportedKey(virtualwebauthn.KeyTypeEC2, der), nil
	}
}

// Register answers navigator.credentials.create() options ({"publicKey":
// …} JSON) with an attestation response (PublicKeyCredential JSON).
func (a *Authenticator) Register(options []byte) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	opts, err := virtualwebauthn.ParseAttestationOptions(string(options))
	if err != nil {
		return nil, fmt.Errorf("parse creation options: %w", err)
	}
	// ParseAttestationOptions has already base64url-decoded user.id. A
	// discoverable credential remembers its user handle.
	a.auth.Options.UserHandle = []byte(opts.UserID)
	return []byte(virtualwebauthn.CreateAttestationResponse(a.rp, a.auth, a.cred, *opts)), nil
}

// Assert answers navigator.credentials.get() options with an assertion,
// advancing the signature counter first.
func (a *Authenticator) Assert(options []byte) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	opts, err := virtualwebauthn.ParseAssertionOptions(string(options))
	if err != nil {
		return nil, fmt.Errorf("parse request options: %w", err)
	}
	a.cred.Counter++
	return []byte(virtualwebauthn.CreateAssertionResponse(a.rp, a.auth, a.cred, *opts)), nil
}

// CredentialID returns the passkey's credential id.
func (a *Authenticator) CredentialID() []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]byte(nil), a.cred.ID...)
}

// SetCounter sets the signature counter; the next Assert uses n+1.
func (a *Authenticator) SetCounter(n uint32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cred.Counter = n
}

// SetUserVerified sets whether assertions report UV.
func (a *Authenticator) SetUserVerified(v bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.auth.Options.UserNotVerified = !v
}

// SetBackupEligible sets the BE (and BS) flag of later responses.
func (a *Authenticator) SetBackupEligible(be bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.auth.Options.BackupEligible, a.auth.Options.BackupState = be, be
}

// SetOrigin changes the origin written into clientDataJSON.
func (a *Authenticator) SetOrigin(origin string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.rp.Origin = origin
}
