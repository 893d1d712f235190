package hydratest

import (
	"testing"

	"github.com/biometric-passkey/biometric-passkey/internal/hydraproc"
	"github.com/biometric-passkey/biometric-passkey/internal/testenv"
)

// Start starts Hydra with opts and stops it in t.Cleanup. Without a Hydra
// binary the test skips on a developer's machine and fails when CI=true
// (testenv.Require). If the test failed, the tail of Hydra's output is
// logged; if Hydra crashed during the test, the test fails.
func Start(t testing.TB, opts hydraproc.Options) *hydraproc.Hydra {
	t.Helper()
	if opts.Bin == "" {
		bin, err := hydraproc.Binary()
		testenv.Require(t, "hydra binary (make hydra)", err)
		opts.Bin = bin
	}
	h, err := hydraproc.Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("start hydra: %v", err)
	}
	t.Cleanup(func() {
		if err := h.Stop(); err != nil {
			t.Errorf("stop hydra: %v", err)
		}
		if t.Failed() {
			t.Logf("hydra output (tail):\n%s", h.Output())
		}
	})
	return h
}
