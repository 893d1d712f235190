package deptest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/biometric-passkey/biometric-passkey"

// deps returns the transitive imports of the packages matching pattern
// (production code only: go list -deps does not follow test files).
func deps(t *testing.T, pattern string) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", pattern).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pattern, err)
	}
	got := map[string][]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		got[p.ImportPath] = p.Deps
	}
	return got
}

func TestDependenciesPointInward(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern   string
		forbidden []string // import path prefixes
	}{
		{module + "/acr/...", []string{module + "/", "testing"}},
		{module + "/authenticator/...", []string{module + "/plugin", module + "/integration", module + "/adminui", module + "/internal", module + "/cmd", module + "/examples"}},
		{module + "/plugin/...", []string{module + "/integration", module + "/adminui", module + "/cmd", module + "/internal/app"}},
		{module + "/idvbridge/...", []string{module + "/acr", module + "/authenticator", module + "/plugin", module + "/integration", module + "/adminui", module + "/internal", module + "/cmd"}},
		{module + "/integration/hydra", []string{module + "/authenticator/sqlite", module + "/authenticator/redis", module + "/authenticator/memory"}},
		{module + "/adminui/...", []string{module + "/integration", module + "/internal", module + "/cmd", module + "/examples",
			module + "/authenticator/sqlite", module + "/authenticator/redis", module + "/authenticator/memory", module + "/authenticator/postgres"}},
	}
	for _, tc := range tests {
		for pkg, ds := range deps(t, tc.pattern) {
			if strings.Contains(pkg, "/internal/testplugin") || strings.HasSuffix(pkg, "test") {
				continue // test helpers and conformance suites may use testing
			}
			for _, d := range ds {
				for _, f := range tc.forbidden {
					if (d == f || strings.HasPrefix(d, f)) && !strings.HasPrefix(d, pkg) {
						t.Errorf("%s imports %s, which DESIGN.md §3 forbids", pkg, d)
					}
				}
			}
		}
	}
}

// TestProductionCodeDoesNotImportTesting: only test helpers (packages
// named *test, testenv, testplugin) may import the testing package.
// (go-plugin itself links testing for its test helpers; that is theirs.)
func TestProductionCodeDoesNotImportTesting(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"/...").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := fields[0]
		if strings.HasSuffix(pkg, "test") || strings.HasSuffix(pkg, "testenv") || strings.HasSuffix(pkg, "testplugin") {
			continue
		}
		for _, imp := range fields[1:] {
			if imp == "testing" {
				t.Errorf("%s imports testing", pkg)
			}
		}
	}
}
