package authenticator_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/sandbox"
	"github.com/biometric-passkey/biometric-passkey/internal/softauthn"
)

// paymentDetails are RFC 9396 authorization_details as a relying party
// sends them (not in canonical form: the member order and spacing differ).
const (
	paymentDetails = `[{"type":"payment_initiation", "instructedAmount":{"currency":"EUR","amount":"123.50"},"creditorName":"Merchant A"}]`
	otherDetails   = `[{"type":"payment_initiation","instructedAmount":{"currency":"EUR","amount":"9999.00"},"creditorName":"Mallory"}]`
)

func mustDetails(t testing.TB, raw string) acr.AuthorizationDetails {
	t.Helper()
	d, err := acr.ParseAuthorizationDetails(raw)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func detailsHash(d acr.AuthorizationDetails) string {
	h := d.Hash()
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// withDetails adds authorization_details to a login's authorize URL.
func withDetails(lr authenticator.LoginRequest, details string) authenticator.LoginRequest {
	lr.RequestURL += "&authorization_details=" + url.QueryEscape(details)
	return lr
}

// optionsChallenge returns the challenge of navigator.credentials.get() options.
func optionsChallenge(t testing.TB, options []byte) []byte {
	t.Helper()
	var o struct {
		PublicKey struct {
			Challenge protocol.URLEncodedBase64 `json:"challenge"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil {
		t.Fatal(err)
	}
	return o.PublicKey.Challenge
}

// withChallenge returns options with their challenge replaced, as a
// compromised client would present them to the authenticator.
func withChallenge(t testing.TB, options []byte, challenge []byte) []byte {
	t.Helper()
	var o map[string]map[string]any
	if err := json.Unmarshal(options, &o); err != nil {
		t.Fatal(err)
	}
	o["publicKey"]["challenge"] = base64.RawURLEncoding.EncodeToString(challenge)
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signedParts returns the signed bytes of an assertion response.
func signedParts(t testing.TB, resp []byte) (authData, clientData, sig []byte) {
	t.Helper()
	var r struct {
		Response struct {
			AuthenticatorData protocol.URLEncodedBase64 `json:"authenticatorData"`
			ClientDataJSON    protocol.URLEncodedBase64 `json:"clientDataJSON"`
			Signature         protocol.URLEncodedBase64 `json:"signature"`
		} `json:"response"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		t.Fatal(err)
	}
	return r.Response.AuthenticatorData, r.Response.ClientDataJSON, r.Response.Signature
}

func (h *harness) approval(t testing.TB, id string) authenticator.Approval {
	t.Helper()
	a, err := h.store.GetApproval(t.Context(), id)
	if err != nil {
		t.Fatalf("GetApproval(%s): %v", id, err)
	}
	return a
}

func (h *harness) verifyApproval(t testing.TB, id string) authenticator.ApprovalVerification {
	t.Helper()
	v, err := h.svc.VerifyApproval(t.Context(), id)
	if err != nil {
		t.Fatalf("VerifyApproval(%s): %v", id, err)
	}
	return v
}

func TestTransactionApprovalRoutine(t *testing.T) {
	t.Parallel()
	// The details travel through JSON records and the wire: characters that
	// encoding/json escapes (HTML-significant ones, U+2028) and non-ASCII
	// text must come out byte for byte as the challenge committed to them.
	tests := map[string]string{
		"plain":           paymentDetails,
		"escaped by json": `[{"type":"payment_initiation","creditorName":"<b>A & B</b>\u2028Ltd","instructedAmount":{"currency":"EUR","amount":"1.00"}}]`,
		"non-ascii":       `[{"type":"payment_initiation","creditorName":"Müller € Söhne","instructedAmount":{"currency":"EUR","amount":"1.00"}}]`,
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testTransactionApprovalRoutine(t, raw)
		})
	}
}

func testTransactionApprovalRoutine(t *testing.T, raw string) {
	h := newHarness(t)
	a, reg := h.enroll(t, "cust-1", softauthn.Options{})
	details := mustDetails(t, raw)
	lr := withDetails(h.loginRequest(acr.RoutineACR), raw)
	cer, resp := h.begin(t, a, lr, "")

	challenge := optionsChallenge(t, cer.Options)
	if h := details.Hash(); len(challenge) != acr.ChallengeRandomLen+len(h) || !bytes.Equal(challenge[acr.ChallengeRandomLen:], h[:]) {
		t.Fatalf("challenge: got %d bytes %x, want 32 random bytes then the details' SHA-256 %x", len(challenge), challenge, h)
	}
	if !acr.ChallengeCommitsTo(challenge, details) {
		t.Errorf("ChallengeCommitsTo(challenge, details): got false, want true")
	}

	res, err := h.svc.FinishAuthentication(t.Context(), authenticator.FinishRequest{CeremonyID: cer.ID, Response: resp})
	if err != nil {
		t.Fatalf("FinishAuthentication: %v", err)
	}
	if res.Error != "" || res.Subject != "cust-1" || res.Outcome.ACR != acr.RoutineACR {
		t.Fatalf("login: got %+v, want accepted at routine", res)
	}
	if string(res.AuthorizationDetails) != string(details.Canonical()) || res.DetailsHash != detailsHash(details) || res.ApprovalID == "" {
		t.Errorf("approved: got details %s hash %q id %q, want %s, %q and an id", res.AuthorizationDetails, res.DetailsHash, res.ApprovalID,
			details.Canonical(), detailsHash(details))
	}
	ap := h.approval(t, res.ApprovalID)
	_, clientData, _ := signedParts(t, resp)
	if ap.UserExternalID != "cust-1" || ap.ClientID != "bank" || ap.ACR != acr.RoutineACR || !bytes.Equal(ap.CredentialID, reg.Credential.ID) ||
		!bytes.Equal(ap.ClientDataJSON, clientData) || len(ap.Signature) == 0 || len(ap.AuthenticatorData) < 37 {
		t.Errorf("stored approval: got %+v, want cust-1's, by bank, at routine, with the signed assertion", ap)
	}
	v := h.verifyApproval(t, res.ApprovalID)
	if !v.Valid || v.Problem != "" {
		t.Errorf("VerifyApproval: got valid %v problem %q, want valid", v.Valid, v.Problem)
	}
	detail, err := h.svc.GetUser(t.Context(), "cust-1")
	if err != nil {
		t.Fatal(err)
	}
	var types []authenticator.EventType
	for _, e := range detail.Events {
		types = append(types, e.Type)
	}
	if len(types) < 2 || types[0] != authenticator.EventApprovalRecorded || types[1] != authenticator.EventAuthenticationSuccess {
		t.Errorf("newest events: got %v, want approval.recorded after authentication.succeeded", types)
	}
	if got := detail.Events[0].Detail["approval_id"]; got != res.ApprovalID {
		t.Errorf("approval.recorded event: got approval_id %q, want %q", got, res.ApprovalID)
	}
}

func TestTransactionApprovalStepUp(t *testing.T) {
	t.Parallel()
	h := newIDVHarness(t)
	a, _ := h.enrolledPasskey(t, "cust-1")
	lr := withDetails(h.loginRequest(acr.StepUpACR), paymentDetails)
	p := h.pendingStepUp(t, a, lr)
	if n := h.countEvents(t, "cust-1", authenticator.EventApprovalRecorded); n != 0 {
		t.Errorf("approvals while pending: got %d, want 0", n)
	}
	if _, _, err := h.finish(t, p.RunID, sandbox.ChoicePass); err != nil {
		t.Fatal(err)
	}
	prog, err := h.continueJourney(t, p.Token, false)
	if err != nil || prog.Login == nil || prog.Login.Error != "" {
		t.Fatalf("ContinueIdentityCheck: got %+v, %v, want an accepted login", prog, err)
	}
	res := *prog.Login
	details := mustDetails(t, paymentDetails)
	if res.Outcome.ACR != acr.StepUpACR || string(res.AuthorizationDetails) != string(details.Canonical()) || res.DetailsHash != detailsHash(details) {
		t.Errorf("login: got %+v, want step-up with the details and their hash", res)
	}
	v := h.verifyApproval(t, res.ApprovalID)
	if !v.Valid || v.Approval.ACR != acr.StepUpACR {
		t.Errorf("VerifyApproval: got valid %v acr %q problem %q, want valid at step-up", v.Valid, v.Approval.ACR, v.Problem)
	}
}

func TestTransactionApprovalFailedStepUpStoresNothing(t *testing.T) {
	t.Parallel()
	h := newIDVHarness(t)
	a, _ := h.enrolledPasskey(t, "cust-1")
	p := h.pendingStepUp(t, a, withDetails(h.loginRequest(acr.StepUpACR), paymentDetails))
	if _, _, err := h.finish(t, p.RunID, sandbox.ChoiceDeclined); err != nil {
		t.Fatal(err)
	}
	prog, err := h.continueJourney(t, p.Token, false)
	if err != nil || prog.Login == nil || prog.Login.Error == "" || prog.Login.ApprovalID != "" || prog.Login.AuthorizationDetails != nil {
		t.Fatalf("ContinueIdentityCheck: got %+v, %v, want a refusal without approval", prog, err)
	}
	if n := h.countEvents(t, "cust-1", authenticator.EventApprovalRecorded); n != 0 {
		t.Errorf("approval.recorded events: got %d, want 0", n)
	}
}

func TestLoginWithoutDetailsStoresNoApproval(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, _ := h.enroll(t, "cust-1", softauthn.Options{})
	res, err := h.login(t, a, h.loginRequest(), "")
	if err != nil {
		t.Fatal(err)
	}
	if res.ApprovalID != "" || res.DetailsHash != "" || res.AuthorizationDetails != nil {
		t.Errorf("got approval %q hash %q details %s, want none", res.ApprovalID, res.DetailsHash, res.AuthorizationDetails)
	}
	detail, err := h.svc.GetUser(t.Context(), "cust-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range detail.Events {
		if e.Type == authenticator.EventApprovalRecorded {
			t.Errorf("got an %s event, want none", e.Type)
		}
	}
}

// TestSignedOtherDetailsIsRefused has the client sign a challenge that keeps
// the random prefix but commits to other details: the assertion does not
// verify and nothing is stored.
func TestSignedOtherDetailsIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, reg := h.enroll(t, "cust-1", softauthn.Options{})
	lr := withDetails(h.loginRequest(), paymentDetails)
	cer, err := h.svc.BeginAuthentication(t.Context(), authenticator.BeginAuthenticationRequest{Login: lr})
	if err != nil {
		t.Fatal(err)
	}
	real := optionsChallenge(t, cer.Options)
	forged, err := acr.BindChallenge(real[:acr.ChallengeRandomLen], mustDetails(t, otherDetails))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := a.Assert(withChallenge(t, cer.Options, forged))
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.svc.FinishAuthentication(t.Context(), authenticator.FinishRequest{CeremonyID: cer.ID, Response: resp})
	wantCode(t, err, authenticator.ErrVerification)
	detail, gerr := h.svc.GetUser(t.Context(), "cust-1")
	if gerr != nil {
		t.Fatal(gerr)
	}
	for _, e := range detail.Events {
		if e.Type == authenticator.EventApprovalRecorded || e.Type == authenticator.EventAuthenticationSuccess {
			t.Errorf("got a %s event, want none", e.Type)
		}
	}
	if got := h.credential(t, reg.Credential.ID).SignCount; got != 0 {
		t.Errorf("sign count: got %d, want 0 (nothing recorded)", got)
	}
}

// TestVerifyApprovalDetectsTampering stores altered copies of a genuine
// approval, and assertions a misbehaving client produced, and checks each
// is reported invalid with a precise problem.
func TestVerifyApprovalDetectsTampering(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, _ := h.enroll(t, "cust-1", softauthn.Options{})
	_, other := h.enroll(t, "cust-2", softauthn.Options{})
	res, err := h.login(t, a, withDetails(h.loginRequest(), paymentDetails), "")
	if err != nil || res.ApprovalID == "" {
		t.Fatalf("login: got %+v, %v, want an approval", res, err)
	}
	good := h.approval(t, res.ApprovalID)
	otherCanon := mustDetails(t, otherDetails)

	// signedBy returns an approval carrying what the authenticator signed
	// for options whose challenge commits to challengeDetails, after mutate
	// made the authenticator misbehave.
	users := 0
	signedBy := func(t *testing.T, challengeDetails string, mutate func(a *softauthn.Authenticator)) authenticator.Approval {
		t.Helper()
		users++
		user := "signer-" + string(rune('a'+users))
		b := h.newAuthenticator(t, softauthn.Options{})
		if _, err := h.register(t, user, b); err != nil {
			t.Fatal(err)
		}
		cer, err := h.svc.BeginAuthentication(t.Context(), authenticator.BeginAuthenticationRequest{Login: withDetails(h.loginRequest(), paymentDetails)})
		if err != nil {
			t.Fatal(err)
		}
		random := make([]byte, acr.ChallengeRandomLen)
		_, _ = rand.Read(random)
		ch, err := acr.BindChallenge(random, mustDetails(t, challengeDetails))
		if err != nil {
			t.Fatal(err)
		}
		if mutate != nil {
			mutate(b)
		}
		resp, err := b.Assert(withChallenge(t, cer.Options, ch))
		if err != nil {
			t.Fatal(err)
		}
		ap := good
		ap.UserExternalID, ap.CredentialID = user, b.CredentialID()
		ap.AuthenticatorData, ap.ClientDataJSON, ap.Signature = signedParts(t, resp)
		return ap
	}
	flip := func(b []byte, i int) []byte {
		b = slices.Clone(b)
		if i < 0 {
			i += len(b)
		}
		b[i] ^= 0x01
		return b
	}
	tests := map[string]struct {
		make        func(t *testing.T) authenticator.Approval
		wantProblem string
	}{
		"signature": {func(*testing.T) authenticator.Approval {
			ap := good
			ap.Signature = flip(ap.Signature, -1)
			return ap
		}, "signature does not verify"},
		"authenticator data": {func(*testing.T) authenticator.Approval {
			ap := good
			ap.AuthenticatorData = flip(ap.AuthenticatorData, 32) // the flags byte
			return ap
		}, "signature does not verify"},
		"client data": {func(*testing.T) authenticator.Approval {
			ap := good
			ap.ClientDataJSON = bytes.Replace(ap.ClientDataJSON, []byte(origin), []byte("https://evil.example"), 1)
			return ap
		}, "signature does not verify"},
		"details": {func(*testing.T) authenticator.Approval {
			ap := good
			ap.AuthorizationDetails, ap.DetailsHash = otherCanon.Canonical(), detailsHash(otherCanon)
			return ap
		}, "does not commit to the stored authorization details"},
		"details hash": {func(*testing.T) authenticator.Approval {
			ap := good
			ap.DetailsHash = detailsHash(otherCanon)
			return ap
		}, "stored details hash"},
		"details not canonical": {func(*testing.T) authenticator.Approval {
			ap := good
			ap.AuthorizationDetails = append([]byte(" "), ap.AuthorizationDetails...)
			return ap
		}, "canonical form"},
		"details unparsable": {func(*testing.T) authenticator.Approval {
			ap := good
			ap.AuthorizationDetails = []byte(`{}`)
			return ap
		}, "do not parse"},
		"credential of another user": {func(*testing.T) authenticator.Approval {
			ap := good
			ap.CredentialID = other.Credential.ID
			return ap
		}, "belongs to another user"},
		"unknown credential": {func(*testing.T) authenticator.Approval {
			ap := good
			ap.CredentialID = []byte("no-such-credential")
			return ap
		}, "not stored"},
		"signed challenge commits to other details": {func(t *testing.T) authenticator.Approval {
			return signedBy(t, otherDetails, nil)
		}, "does not commit to the stored authorization details"},
		"foreign origin": {func(t *testing.T) authenticator.Approval {
			return signedBy(t, paymentDetails, func(a *softauthn.Authenticator) { a.SetOrigin("https://evil.example") })
		}, `origin "https://evil.example" is not one of`},
		"no user verification": {func(t *testing.T) authenticator.Approval {
			return signedBy(t, paymentDetails, func(a *softauthn.Authenticator) { a.SetUserVerified(false) })
		}, "user-verified"},
	}
	// Sequential subtests: they share the harness and its genuine approval.
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ap := tc.make(t)
			ap.ID = "tampered-" + strings.ReplaceAll(name, " ", "-")
			if err := h.store.CreateApproval(t.Context(), ap); err != nil {
				t.Fatalf("CreateApproval: %v", err)
			}
			v := h.verifyApproval(t, ap.ID)
			if v.Valid || !strings.Contains(v.Problem, tc.wantProblem) {
				t.Errorf("got valid %v problem %q, want invalid with a problem containing %q", v.Valid, v.Problem, tc.wantProblem)
			}
		})
	}
	if v := h.verifyApproval(t, good.ID); !v.Valid {
		t.Errorf("the genuine approval: got problem %q, want valid", v.Problem)
	}
}

func TestVerifyApprovalErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tests := map[string]struct {
		id   string
		want *authenticator.Error
	}{
		"unknown":   {"bm8tc3VjaC1hcHByb3ZhbA", authenticator.ErrNotFound},
		"empty":     {"", authenticator.ErrInvalidArgument},
		"malformed": {"../etc/passwd", authenticator.ErrInvalidArgument},
		"too long":  {strings.Repeat("a", 200), authenticator.ErrInvalidArgument},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := h.svc.VerifyApproval(t.Context(), tc.id)
			if !errors.Is(err, tc.want) {
				t.Errorf("VerifyApproval(%q): got %v, want %s", tc.id, err, tc.want.Code)
			}
			if msg := authenticator.PublicMessage(err); strings.Contains(msg, tc.id) && tc.id != "" {
				t.Errorf("user-safe message %q repeats the id", msg)
			}
		})
	}
}
