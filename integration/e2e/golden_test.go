package e2e_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// volatile claims differ on every run; the golden file keeps their presence
// and type, not their value.
var volatile = map[string]bool{"iss": true, "aud": true, "exp": true, "iat": true, "rat": true, "auth_time": true,
	"jti": true, "sid": true, "nonce": true, "at_hash": true, "c_hash": true}

// goldenClaims compares an ID token's claims with testdata/<name>.golden.
func goldenClaims(t *testing.T, name string, claims map[string]any) {
	t.Helper()
	golden(t, name, normalize(claims))
}

// goldenJSON compares an API answer with testdata/<name>.golden: the exact
// shape and every stable value a client relies on (WebAuthn options,
// statuses), with per-run values replaced by placeholders.
func goldenJSON(t testing.TB, name string, body []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: %v: %s", name, err, body)
	}
	golden(t, name, normalize(v))
}

// apiVolatile are API members that differ on every run.
var apiVolatile = map[string]bool{"challenge": true, "ceremony_id": true, "expires_at": true, "enrollment_url": true, "id": true}

// normalize replaces volatile values, recursively, by "<key>".
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if volatile[k] || apiVolatile[k] {
				val = "<" + k + ">"
			}
			out[k] = normalize(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = normalize(val)
		}
		return out
	}
	return v
}

func golden(t testing.TB, name string, norm any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(norm); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (go test ./integration/e2e -update): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
