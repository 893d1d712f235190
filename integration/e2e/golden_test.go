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
	norm := map[string]any{}
	for k, v := range claims {
		if volatile[k] {
			v = "<" + k + ">"
		}
		norm[k] = v
	}
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
		t.Fatalf("read golden (go test ./integration/e2e -run %s -update): %v", t.Name(), err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
