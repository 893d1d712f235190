package metrics

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOnlyTheProviderDependsOnPrometheus: the core packages and the
// identity-server adapter stay free of Prometheus (DESIGN.md §3: dependencies
// point inward); internal/app wires the collectors in.
func TestOnlyTheProviderDependsOnPrometheus(t *testing.T) {
	t.Parallel()
	const module = "github.com/biometric-passkey/biometric-passkey"
	for _, pattern := range []string{module + "/acr/...", module + "/authenticator/...", module + "/plugin/...",
		module + "/idvbridge/...", module + "/integration/hydra/...", module + "/adminui/..."} {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pattern).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pattern, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "github.com/prometheus/") || dep == module+"/internal/metrics" {
				t.Errorf("%s depends on %s; only internal/app may", pattern, dep)
			}
		}
	}
}
