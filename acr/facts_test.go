package acr_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

// decode parses JSON the way a resource server would, optionally with UseNumber.
func decode(t *testing.T, s string, useNumber bool) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	if useNumber {
		dec.UseNumber()
	}
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return m
}

func TestFactsFromClaims(t *testing.T) {
	t.Parallel()
	at := time.Unix(1764072000, 0).UTC()
	routine := acr.TokenFacts{ACR: acr.RoutineACR, AuthTime: at, Subject: "alice"}
	tests := map[string]struct {
		claims  string
		want    acr.TokenFacts
		wantErr bool
	}{
		"top level (RFC 9068)": {
			claims: `{"sub":"alice","acr":"urn:biometric-passkey:acr:routine","auth_time":1764072000}`,
			want:   routine,
		},
		"hydra ext (introspection)": {
			claims: `{"active":true,"sub":"alice","ext":{"acr":"urn:biometric-passkey:acr:routine","auth_time":1764072000}}`,
			want:   routine,
		},
		"hydra lifted and mirrored": {
			claims: `{"sub":"alice","acr":"urn:biometric-passkey:acr:routine","auth_time":1764072000,"ext":{"acr":"urn:biometric-passkey:acr:routine","auth_time":1764072000}}`,
			want:   routine,
		},
		"acr top level, auth_time in ext": {
			claims: `{"sub":"alice","acr":"urn:biometric-passkey:acr:routine","ext":{"auth_time":1764072000}}`,
			want:   routine,
		},
		"fractional NumericDate": {
			claims: `{"sub":"alice","acr":"urn:biometric-passkey:acr:routine","auth_time":1764072000.25}`,
			want:   acr.TokenFacts{ACR: acr.RoutineACR, AuthTime: at.Add(250 * time.Millisecond), Subject: "alice"},
		},
		"nothing about authentication": {claims: `{"sub":"alice","scope":"openid"}`, want: acr.TokenFacts{Subject: "alice"}},
		"null ext and claims":          {claims: `{"sub":"alice","ext":null,"acr":null}`, want: acr.TokenFacts{Subject: "alice"}},
		"hydra acr zero":               {claims: `{"sub":"alice","ext":{"acr":"0"}}`, want: acr.TokenFacts{ACR: "0", Subject: "alice"}},
		"inactive":                     {claims: `{"active":false,"sub":"alice","ext":{"acr":"urn:biometric-passkey:acr:routine"}}`, wantErr: true},
		"active not a boolean":         {claims: `{"active":"true","sub":"alice"}`, wantErr: true},
		"top and ext disagree on acr": {
			claims:  `{"sub":"alice","acr":"urn:biometric-passkey:acr:step-up","ext":{"acr":"urn:biometric-passkey:acr:routine"}}`,
			wantErr: true,
		},
		"top and ext disagree on auth_time": {
			claims:  `{"sub":"alice","auth_time":1764072000,"ext":{"auth_time":1764072001}}`,
			wantErr: true,
		},
		"acr not a string":         {claims: `{"acr":2}`, wantErr: true},
		"ext acr not a string":     {claims: `{"ext":{"acr":["a"]}}`, wantErr: true},
		"ext not an object":        {claims: `{"ext":"acr"}`, wantErr: true},
		"auth_time a string":       {claims: `{"auth_time":"1764072000"}`, wantErr: true},
		"auth_time negative":       {claims: `{"auth_time":-1}`, wantErr: true},
		"auth_time out of range":   {claims: `{"auth_time":1e300}`, wantErr: true},
		"sub not a string":         {claims: `{"sub":7}`, wantErr: true},
		"ext auth_time not a date": {claims: `{"ext":{"auth_time":true}}`, wantErr: true},
	}
	for name, tc := range tests {
		for _, useNumber := range []bool{false, true} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				got, err := acr.FactsFromClaims(decode(t, tc.claims, useNumber))
				if tc.wantErr {
					if !errors.Is(err, acr.ErrInvalidClaims) {
						t.Fatalf("UseNumber=%v: got %+v, %v; want ErrInvalidClaims", useNumber, got, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("UseNumber=%v: got error %v, want %+v", useNumber, err, tc.want)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("UseNumber=%v: FactsFromClaims (-want +got):\n%s", useNumber, diff)
				}
			})
		}
	}
	if _, err := acr.FactsFromClaims(nil); !errors.Is(err, acr.ErrInvalidClaims) {
		t.Errorf("nil claims: got %v, want ErrInvalidClaims", err)
	}
	// Claims built in Go rather than decoded from JSON.
	got, err := acr.FactsFromClaims(map[string]any{"acr": acr.StepUpACR, "auth_time": int64(1764072000)})
	if err != nil || !got.AuthTime.Equal(at) {
		t.Errorf("int64 auth_time: got %+v, %v; want auth_time %v", got, err, at)
	}
}
