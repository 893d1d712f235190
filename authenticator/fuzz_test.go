package authenticator_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/internal/softauthn"
)

// FuzzFinishAuthentication feeds arbitrary client bytes to a real, open
// ceremony: it never panics, every failure is a typed *Error with a
// user-safe message, and nothing but the genuine assertion signs in.
func FuzzFinishAuthentication(f *testing.F) {
	h := newHarness(f)
	a, reg := h.enroll(f, "cust-1", softauthn.Options{})
	cer, good := h.begin(f, a, h.loginRequest(), "")
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{"authenticatorData":"AA","clientDataJSON":"AA","signature":"AA"}}`))
	f.Add([]byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := h.svc.FinishAuthentication(t.Context(), authenticator.FinishRequest{CeremonyID: cer.ID, Response: body})
		var e *authenticator.Error
		switch {
		case err == nil && string(body) != string(good):
			t.Fatalf("a forged body signed in as %q", res.Subject)
		case err != nil && !errors.As(err, &e):
			t.Fatalf("untyped error %T: %v", err, err)
		case err != nil && e.Message == "":
			t.Fatalf("error without a user-safe message: %v", err)
		}
		c, gerr := h.store.GetCredential(t.Context(), reg.Credential.ID)
		if gerr != nil || c.Status != authenticator.CredentialActive {
			t.Fatalf("credential after fuzzed finish: %+v, %v", c, gerr)
		}
	})
}

// FuzzVerifyApproval stores approvals whose clientDataJSON is arbitrary
// bytes (VerifyApproval parses it itself) signed with a key the test holds,
// so every check past the signature sees the fuzzed bytes: it never panics
// or errors, and only client data of a get ceremony from our origin whose
// challenge commits to the stored details verifies.
func FuzzVerifyApproval(f *testing.F) {
	h := newHarness(f)
	a, _ := h.enroll(f, "cust-1", softauthn.Options{})
	cer, resp := h.begin(f, a, withDetails(h.loginRequest(), paymentDetails), "")
	res, err := h.svc.FinishAuthentication(f.Context(), authenticator.FinishRequest{CeremonyID: cer.ID, Response: resp})
	if err != nil || res.ApprovalID == "" {
		f.Fatalf("login: got %+v, %v, want an approval", res, err)
	}
	good := h.approval(f, res.ApprovalID)
	// A credential of the same user whose private key the test holds.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	pt, err := key.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		f.Fatal(err)
	}
	// COSE_Key (RFC 9053 §7.1.1): {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}.
	cose := append([]byte{0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20}, pt[1:33]...)
	cose = append(append(cose, 0x22, 0x58, 0x20), pt[33:]...)
	cred, err := h.store.GetCredential(f.Context(), good.CredentialID)
	if err != nil {
		f.Fatal(err)
	}
	cred.ID, cred.PublicKey = []byte("fuzz-credential"), cose
	if err := h.store.CreateCredential(f.Context(), cred); err != nil {
		f.Fatal(err)
	}
	sign := func(t testing.TB, clientData []byte) []byte {
		sum := sha256.Sum256(clientData)
		digest := sha256.Sum256(append(slices.Clone(good.AuthenticatorData), sum[:]...))
		sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	f.Add(good.ClientDataJSON)
	f.Add([]byte(`{"type":"webauthn.get","challenge":"","origin":"http://localhost:8081"}`))
	f.Add([]byte(`{"type":"webauthn.get","challenge":"AA==","origin":"http://localhost:8081","crossOrigin":true}`))
	f.Add([]byte(`{"type":1,"challenge":null}`))
	f.Add([]byte("\x00\xff{"))
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, clientData []byte) {
		ap := good
		ap.ID = fmt.Sprintf("fuzz-%d", n.Add(1))
		ap.CredentialID, ap.ClientDataJSON, ap.Signature = cred.ID, clientData, sign(t, clientData)
		if err := h.store.CreateApproval(t.Context(), ap); err != nil {
			t.Fatalf("CreateApproval: %v", err)
		}
		v, err := h.svc.VerifyApproval(t.Context(), ap.ID)
		switch {
		case err != nil:
			t.Fatalf("VerifyApproval: got error %v, want a verdict", err)
		case v.Valid && !commitsAsSigned(clientData, good):
			t.Fatalf("clientDataJSON %q verified without a get ceremony from our origin committing to the details", clientData)
		case !v.Valid && v.Problem == "":
			t.Fatalf("invalid without a problem")
		}
	})
}

// commitsAsSigned is what a valid approval's clientDataJSON must be,
// checked independently of VerifyApproval: a same-origin get ceremony from
// the test origin whose challenge is 32 bytes followed by the SHA-256 of the
// approval's canonical details. (The random half is not stored, so any
// value of it verifies when the signature does.)
func commitsAsSigned(clientData []byte, ap authenticator.Approval) bool {
	var cd struct {
		Type, Challenge, Origin string
		CrossOrigin             bool
	}
	if json.Unmarshal(clientData, &cd) != nil || cd.Type != "webauthn.get" || cd.Origin != origin || cd.CrossOrigin {
		return false
	}
	ch, err := base64.RawURLEncoding.DecodeString(cd.Challenge)
	sum := sha256.Sum256(ap.AuthorizationDetails)
	return err == nil && len(ch) == 64 && bytes.Equal(ch[32:], sum[:])
}
