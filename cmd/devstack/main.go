// Command devstack runs the embedded stack for `make run`: Ory Hydra, the
// login provider with the authenticator plugin and the operator dashboard,
// and the demo bank. It prints the one URL to open, the dashboard with its
// demo operators' enrollment links, and stops everything on Ctrl-C.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/biometric-passkey/biometric-passkey/internal/devstack"
)

func main() {
	var o devstack.Options
	flag.StringVar(&o.BinDir, "bin", ".bin", "directory of the built binaries (make build)")
	flag.StringVar(&o.Dir, "dir", ".run", "state directory: generated config, database and logs")
	flag.IntVar(&o.HydraPort, "hydra-port", 4444, "Hydra public port")
	flag.IntVar(&o.HydraAdmin, "hydra-admin-port", 4445, "Hydra admin port")
	flag.IntVar(&o.ProviderPort, "provider-port", 8081, "login provider port")
	flag.IntVar(&o.BankPort, "bank-port", 8080, "demo bank port")
	flag.IntVar(&o.DashboardPort, "dashboard-port", 8082, "operator dashboard port (served by the provider)")
	flag.IntVar(&o.SandboxPort, "sandbox-port", 8090, "sandbox identity-check pages port (served by the plugin)")
	flag.IntVar(&o.MetricsPort, "metrics-port", 9464, "Prometheus /metrics port (served by the provider)")
	flag.StringVar(&o.RedisAddr, "redis", "", "Redis address for challenges (default: in memory)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Println("Starting Hydra, the passkey login provider (with its plugin) and Example Bank…")
	s, err := devstack.Start(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "make run:", err)
		fmt.Fprintf(os.Stderr, "Logs are in %s/*.log\n", o.Dir)
		os.Exit(1)
	}
	fmt.Printf(`
  Open %s

  Example Bank (the relying party)   %s
  Passkey login provider             %s
  Sandbox identity check (SANDBOX)   %s
  Ory Hydra (OpenID Provider)        %s
  Metrics (Prometheus)               %s
  Logs                               %s/*.log

  Open an account: register a passkey, then verify your identity on the
  sandbox's page (you pick the result; it compares nothing). Transfers up to
  EUR 100 need your passkey; larger ones and new payees step up to a fresh
  identity check, with the transfer shown. "Lost your device?" on the sign-in
  page recovers the account in another browser. Ctrl-C stops everything.

`, s.BankURL, s.BankURL, s.ProviderURL, s.SandboxURL, s.Issuer, s.MetricsURL, o.Dir)
	fmt.Print(dashboardLine(s))
	<-ctx.Done()
	fmt.Println("\nStopping…")
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// dashboardLine names the operator dashboard and each demo operator's
// one-time enrollment link, one a line: enroll a passkey with one, then
// sign in to the dashboard as that operator.
func dashboardLine(s *devstack.Stack) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  Operator dashboard                 %s\n", s.DashboardURL)
	b.WriteString("  Enroll a demo operator first (a one-time link each; then sign in there):\n")
	for _, op := range s.Operators {
		fmt.Fprintf(&b, "    %-8s %s\n", op.Role, op.EnrollmentURL)
	}
	return b.String()
}
