package acr_test

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// golden compares got (as indented JSON) with testdata/<name>.golden.
func golden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test ./acr -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(b)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

var passkey = acr.Evidence{PasskeyVerified: true, UserVerified: true, CredentialActive: true, UserActive: true}

func with(f func(*acr.Evidence)) acr.Evidence {
	e := passkey
	f(&e)
	return e
}

// TestAssessClaims pins the acr and amr claims each kind of evidence earns.
func TestAssessClaims(t *testing.T) {
	t.Parallel()
	ladder := acr.DefaultLadder()
	tests := map[string]acr.Evidence{
		"routine_device_bound": passkey,
		"routine_synced":       with(func(e *acr.Evidence) { e.BackupEligible = true }),
		"step_up_biometric":    with(func(e *acr.Evidence) { e.BiometricMatch = true }),
		"no_user_verification": with(func(e *acr.Evidence) { e.UserVerified = false }),
		"credential_inactive":  with(func(e *acr.Evidence) { e.CredentialActive = false }),
		"user_suspended":       with(func(e *acr.Evidence) { e.UserActive = false }),
		"biometric_only":       {BiometricMatch: true, UserVerified: true, CredentialActive: true, UserActive: true},
	}
	for name, ev := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := ladder.Assess(ev)
			got := struct {
				Claims *acr.Outcome `json:"claims,omitempty"`
				Error  string       `json:"error,omitempty"`
			}{}
			if err != nil {
				if !errors.Is(err, acr.ErrNoLevel) {
					t.Fatalf("got error %v, want ErrNoLevel", err)
				}
				got.Error = err.Error()
			} else {
				got.Claims = &out
			}
			golden(t, "assess/"+name, got)
		})
	}
}

// TestDecide pins the verdict for each shape of login request.
func TestDecide(t *testing.T) {
	t.Parallel()
	ladder := acr.DefaultLadder()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	routine := &acr.Session{Subject: "alice", ACR: acr.RoutineACR, AMR: []string{"hwk", "mfa", "user"}, AuthTime: now.Add(-10 * time.Minute)}
	stepUp := &acr.Session{Subject: "alice", ACR: acr.StepUpACR, AMR: []string{"face", "hwk", "mfa", "user"}, AuthTime: now.Add(-time.Minute)}
	noBiometric := func(l acr.Level) bool { return l.Name != "step-up" }
	const authz = "http://127.0.0.1:4444/oauth2/auth?client_id=bank&response_type=code"
	tests := map[string]struct {
		acrValues []string
		url       string
		skip      bool
		subject   string
		recorded  *acr.Session
		reachable func(acr.Level) bool
	}{
		"fresh_no_acr_values":                 {url: authz},
		"fresh_routine":                       {acrValues: []string{acr.RoutineACR}, url: authz},
		"fresh_step_up_reachable":             {acrValues: []string{acr.StepUpACR}, url: authz},
		"fresh_step_up_unreachable":           {acrValues: []string{acr.StepUpACR}, url: authz, reachable: noBiometric},
		"fresh_prefers_step_up_accepts":       {acrValues: []string{acr.StepUpACR, acr.RoutineACR}, url: authz, reachable: noBiometric},
		"fresh_unknown_acr":                   {acrValues: []string{"urn:example:gold"}, url: authz},
		"fresh_known_and_unknown_acr":         {acrValues: []string{acr.RoutineACR, "urn:example:gold"}, url: authz},
		"acr_values_from_url":                 {url: authz + "&acr_values=" + acr.RoutineACR},
		"skip_routine_meets_routine":          {acrValues: []string{acr.RoutineACR}, url: authz, skip: true, subject: "alice", recorded: routine},
		"skip_no_acr_values_reports_recorded": {url: authz, skip: true, subject: "alice", recorded: stepUp},
		"skip_routine_below_step_up":          {acrValues: []string{acr.StepUpACR}, url: authz, skip: true, subject: "alice", recorded: routine},
		"skip_step_up_meets_routine":          {acrValues: []string{acr.RoutineACR}, url: authz, skip: true, subject: "alice", recorded: stepUp},
		"skip_nothing_recorded":               {acrValues: []string{acr.RoutineACR}, url: authz, skip: true, subject: "alice"},
		"skip_other_subject":                  {url: authz, skip: true, subject: "bob", recorded: routine},
		"skip_older_than_max_age":             {url: authz + "&max_age=300", skip: true, subject: "alice", recorded: routine},
		"skip_within_max_age":                 {url: authz + "&max_age=3600", skip: true, subject: "alice", recorded: routine},
		"skip_below_with_prompt_none":         {acrValues: []string{acr.StepUpACR}, url: authz + "&prompt=none", skip: true, subject: "alice", recorded: routine},
		// A session approved nothing: details make the user sign in again.
		"skip_step_up_with_details": {acrValues: []string{acr.StepUpACR}, skip: true, subject: "alice", recorded: stepUp,
			url: authz + "&authorization_details=" + url.QueryEscape(`[{"type":"payment_initiation","instructedAmount":{"currency":"EUR","amount":"250.00"}}]`)},
		"skip_details_with_prompt_none": {acrValues: []string{acr.RoutineACR}, skip: true, subject: "alice", recorded: stepUp,
			url: authz + "&prompt=none&authorization_details=" + url.QueryEscape(`[{"type":"payment_initiation"}]`)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req, err := acr.ParseRequest(tc.acrValues, tc.url)
			if err != nil {
				t.Fatalf("ParseRequest: %v", err)
			}
			d := ladder.Decide(acr.Login{Request: req, Skip: tc.skip, Subject: tc.subject, Recorded: tc.recorded, Reachable: tc.reachable}, now)
			got := map[string]any{"action": d.Action}
			switch d.Action {
			case acr.ActionAuthenticate, acr.ActionReauthenticate:
				got["target_acr"], got["minimum_acr"] = d.Target.ACR, d.Minimum.ACR
			case acr.ActionAccept:
				got["claims"] = d.Outcome
			case acr.ActionReject:
				got["error"], got["error_description"] = d.Error, d.Description
			}
			golden(t, "decide/"+name, got)
		})
	}
}

// TestDecideNeverRaises checks the core invariant over every combination: a
// skipped login is accepted only with exactly what was recorded, and only
// when that meets the lowest requested level.
func TestDecideNeverRaises(t *testing.T) {
	t.Parallel()
	ladder := acr.DefaultLadder()
	now := time.Now()
	values := [][]string{nil, {acr.RoutineACR}, {acr.StepUpACR}, {acr.StepUpACR, acr.RoutineACR}}
	for _, rec := range []string{acr.RoutineACR, acr.StepUpACR} {
		for _, want := range values {
			req, err := acr.ParseRequest(want, "")
			if err != nil {
				t.Fatal(err)
			}
			s := &acr.Session{Subject: "u", ACR: rec, AuthTime: now}
			d := ladder.Decide(acr.Login{Request: req, Skip: true, Subject: "u", Recorded: s}, now)
			if d.Action != acr.ActionAccept {
				continue
			}
			if d.Outcome.ACR != rec {
				t.Errorf("recorded %s, requested %v: got acr %s, want the recorded one", rec, want, d.Outcome.ACR)
			}
			if !ladder.Satisfies(rec, d.Minimum.ACR) {
				t.Errorf("recorded %s accepted for minimum %s", rec, d.Minimum.ACR)
			}
		}
	}
}

func TestParseRequestRejects(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"negative max_age":     "http://op/oauth2/auth?max_age=-1",
		"non-numeric max_age":  "http://op/oauth2/auth?max_age=soon",
		"prompt none and more": "http://op/oauth2/auth?prompt=none+login",
		"bad escape":           "http://op/oauth2/auth?acr_values=%zz",
		"too long":             "http://op/oauth2/auth?x=" + strings.Repeat("a", 9000),
		"too many acr values":  "http://op/oauth2/auth?acr_values=" + manyValues(20),
	}
	for name, u := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := acr.ParseRequest(nil, u); !errors.Is(err, acr.ErrInvalidRequest) {
				t.Errorf("got %v, want ErrInvalidRequest", err)
			}
		})
	}
}

func TestParseRequestReads(t *testing.T) {
	t.Parallel()
	got, err := acr.ParseRequest(nil, "http://op/oauth2/auth?acr_values=a+b+a&prompt=login+consent&max_age=0")
	if err != nil {
		t.Fatal(err)
	}
	want := acr.Request{ACRValues: []string{"a", "b"}, Prompt: []string{"login", "consent"}, HasMaxAge: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseRequest (-want +got):\n%s", diff)
	}
}

func TestParseRequestAuthorizationDetails(t *testing.T) {
	t.Parallel()
	const authz = "http://op/oauth2/auth?client_id=bank&acr_values=a"
	payment := readPayment(t)
	tests := map[string]struct {
		url     string
		want    string // canonical details; "" for none
		wantErr bool
	}{
		"absent":      {url: authz},
		"present":     {url: authz + "&authorization_details=" + url.QueryEscape(payment), want: string(mustParse(t, payment).Canonical())},
		"invalid":     {url: authz + "&authorization_details=" + url.QueryEscape(`[{"type":"a","type":"b"}]`), wantErr: true},
		"empty":       {url: authz + "&authorization_details=", wantErr: true},
		"given_twice": {url: authz + "&authorization_details=" + url.QueryEscape(`[{"type":"a"}]`) + "&authorization_details=" + url.QueryEscape(`[{"type":"b"}]`), wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req, err := acr.ParseRequest(nil, tc.url)
			if tc.wantErr {
				if !errors.Is(err, acr.ErrInvalidRequest) {
					t.Fatalf("got %v, want ErrInvalidRequest", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if diff := cmp.Diff([]string{"a"}, req.ACRValues); diff != "" {
				t.Errorf("acr_values (-want +got):\n%s", diff)
			}
			got := ""
			if req.AuthorizationDetails != nil {
				got = string(req.AuthorizationDetails.Canonical())
			}
			if got != tc.want {
				t.Errorf("got details %s, want %s", got, tc.want)
			}
		})
	}
}

func TestNewLadderReportsEveryProblem(t *testing.T) {
	t.Parallel()
	amr := acr.DefaultAMR()
	amr.UserVerified = append(amr.UserVerified, "face", "magic")
	_, err := acr.NewLadder([]acr.Level{
		{Name: "a", ACR: "x y", Requires: []acr.Requirement{acr.RequirePasskey}},
		{Name: "a", ACR: "z", Requires: []acr.Requirement{acr.RequireBiometric}},
		{Name: "c", ACR: "z", Requires: []acr.Requirement{acr.RequirePasskey, "retina-scan"}},
	}, amr)
	if !errors.Is(err, acr.ErrInvalidLadder) {
		t.Fatalf("got %v, want ErrInvalidLadder", err)
	}
	for _, want := range []string{"levels[0].acr", "levels[1].name", "levels[1].requires", "levels[2].acr", "retina-scan", `"magic"`, `"face" would claim a biometric`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
	if _, err := acr.NewLadder(nil, acr.DefaultAMR()); !errors.Is(err, acr.ErrInvalidLadder) {
		t.Errorf("empty ladder: got %v, want ErrInvalidLadder", err)
	}
}

func TestSatisfies(t *testing.T) {
	t.Parallel()
	l := acr.DefaultLadder()
	tests := []struct {
		achieved, wanted string
		want             bool
	}{
		{acr.RoutineACR, acr.RoutineACR, true},
		{acr.StepUpACR, acr.RoutineACR, true},
		{acr.RoutineACR, acr.StepUpACR, false},
		{"0", acr.RoutineACR, false},
		{acr.StepUpACR, "urn:unknown", false},
	}
	for _, tc := range tests {
		if got := l.Satisfies(tc.achieved, tc.wanted); got != tc.want {
			t.Errorf("Satisfies(%q, %q) = %v, want %v", tc.achieved, tc.wanted, got, tc.want)
		}
	}
}

// manyValues returns n distinct acr values, space-separated and URL-encoded.
func manyValues(n int) string {
	vals := make([]string, n)
	for i := range vals {
		vals[i] = fmt.Sprintf("urn:v%d", i)
	}
	return strings.Join(vals, "%20")
}
