package authenticator_test

import (
	"errors"
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
