package onfido

import (
	"errors"
	"strings"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// TestStatusTable pins the mapping to the documented statuses: every one
// is mapped, only approved passes, only statuses that wait for input can
// expire.
func TestStatusTable(t *testing.T) {
	t.Parallel()
	// Specification: workflow_run_status (schemas/workflow_runs/definitions.yaml).
	documented := []string{"processing", "awaiting_input", "awaiting_client_input", "approved", "declined", "review", "abandoned", "error"}
	if len(statuses) != len(documented) {
		t.Errorf("the table maps %d statuses, want the %d documented", len(statuses), len(documented))
	}
	for _, s := range documented {
		m, ok := statuses[s]
		if !ok {
			t.Errorf("status %q is not mapped", s)
			continue
		}
		if (m.status == idvbridge.StatusPassed) != (s == "approved") {
			t.Errorf("%q → %q, want passed only for approved", s, m.status)
		}
		if m.awaiting != strings.HasPrefix(s, "awaiting_") {
			t.Errorf("%q awaiting = %v, want %v", s, m.awaiting, !m.awaiting)
		}
		if (m.status == idvbridge.StatusFailed) != (m.reason != idvbridge.ReasonNone) {
			t.Errorf("%q → %q/%q, want a reason exactly when failed", s, m.status, m.reason)
		}
	}
}

func TestReferenceRoundTrip(t *testing.T) {
	t.Parallel()
	for _, user := range []string{"u", "user/with slash", "ü.ñ~", strings.Repeat("x", 256), "a.b.c"} {
		r := reference{applicantID: "0f5b8a3e-6f2a-4c1b-9a51-1d2e3f405161", tokenUUID: "1a6c9b4f-7a3b-4d2c-8b62-2e3f40516272", userID: user}
		got, err := parseReference(*r.ref())
		if err != nil || got != r {
			t.Errorf("parseReference(ref of %q) = %+v, %v, want %+v", user, got, err, r)
		}
	}
	valid := reference{applicantID: "0f5b8a3e-6f2a-4c1b-9a51-1d2e3f405161", tokenUUID: "1a6c9b4f-7a3b-4d2c-8b62-2e3f40516272", userID: "u"}.id()
	for name, ref := range map[string]idvbridge.Reference{
		"other provider":     {Provider: "sandbox", ID: valid},
		"empty":              {Provider: Name},
		"four parts":         {Provider: Name, ID: valid + ".x"},
		"empty user":         {Provider: Name, ID: strings.TrimSuffix(valid, "dQ")},
		"padded user":        {Provider: Name, ID: valid + "=="},
		"non-canonical bits": {Provider: Name, ID: strings.TrimSuffix(valid, "dQ") + "dR"},
		"user too long":      {Provider: Name, ID: valid[:74] + strings.Repeat("eHh4", 86)},
		"bad applicant":      {Provider: Name, ID: "z" + valid[1:]},
	} {
		if _, err := parseReference(ref); !errors.Is(err, idvbridge.ErrInvalid) {
			t.Errorf("parseReference(%s) error = %v, want ErrInvalid", name, err)
		}
	}
}

func TestLanguage(t *testing.T) {
	t.Parallel()
	for locale, want := range map[string]string{
		"en": "en_US", "en-GB": "en_US", "EN_us": "en_US", "de-AT": "de_DE", "pt-BR": "pt_PT",
		"nl": "nl_NL", "fr-CA": "fr_FR", "it": "it_IT", "es-419": "es_ES",
		"": "", "ja": "", "zz-ZZ": "", "-": "",
	} {
		if got := language(locale); got != want {
			t.Errorf("language(%q) = %q, want %q", locale, got, want)
		}
	}
}

func TestTagsConflict(t *testing.T) {
	t.Parallel()
	got := parseTags([]string{"ceremony:a", "journey:step_up", "ceremony:b"})
	if !got.conflict {
		t.Errorf("parseTags with two ceremonies: conflict = false, want true")
	}
	got = parseTags([]string{"ceremony:a", "ceremony:a", "other", "reference:r"})
	if got.conflict || got.ceremony != "a" || got.reference != "r" {
		t.Errorf("parseTags = %+v, want ceremony a, reference r, no conflict", got)
	}
}
