// Command biometric-passkey-plugin is the authenticator plugin. The
// provider launches it over hashicorp/go-plugin; run by hand it migrates the
// store, verifies a stored approval again, verifies or exports the
// tamper-evident audit log (docs/adr/0008-tamper-evident-audit.md), reads
// or acts on a user or passkey for an operator (every such command
// audited with --operator), lists or redelivers dead-lettered event
// webhooks (docs/adr/0009-event-webhooks.md), or prints its version.
//
//	biometric-passkey-plugin --config config.yaml                        (launched by the provider)
//	biometric-passkey-plugin --config config.yaml migrate                (run migrations and exit)
//	biometric-passkey-plugin --config config.yaml verify-approval <id>   (print the approval as JSON; exit 0 only if valid)
//	biometric-passkey-plugin --config config.yaml audit verify [--anchor SEQ:HASH]
//	                                       (exit 0 only if the audit chain is intact; print its head)
//	biometric-passkey-plugin --config config.yaml audit export [--since N]
//	                                       (the audit records after record N as JSON lines)
//	biometric-passkey-plugin --config config.yaml user show|suspend|unsuspend|reverify <user-id> --operator SUB [--reason TEXT]
//	biometric-passkey-plugin --config config.yaml user erase <user-id> --operator SUB --reason TEXT
//	                                       (an operator's read or action on a user, audited; JSON)
//	biometric-passkey-plugin --config config.yaml credential rename <credential-id> <name> --operator SUB
//	biometric-passkey-plugin --config config.yaml credential suspend|unsuspend|revoke <credential-id> --operator SUB [--reason TEXT]
//	                                       (an operator's action on a passkey, audited; JSON)
//	biometric-passkey-plugin --config config.yaml events dead-letters [--after ID]
//	                                       (the dead-lettered webhook deliveries as JSON lines)
//	biometric-passkey-plugin --config config.yaml events redeliver <delivery-id> --operator SUB [--reason TEXT]
//	                                       (move a dead letter back to pending)
//	biometric-passkey-plugin --version
//
// With the sandbox identity-verification provider, the launched plugin also
// serves the sandbox's capture pages on authenticator.idv.sandbox.listen;
// with authenticator.events.endpoints, it delivers lifecycle events to them.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/biometric-passkey/biometric-passkey/internal/app"
)

const name = "biometric-passkey-plugin"

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit status, 0 on
// success and 1 on any failure (an invalid approval included), after
// printing the reason to stderr (a broken audit chain included).
func run(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	if err := command(ctx, args, env, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, name+":", err)
		return 1
	}
	return 0
}

func command(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	cmd, done, err := app.ParseCommand(name, args, env, stdout)
	if err != nil || done {
		return err
	}
	switch {
	case len(cmd.Args) == 0:
		return app.RunPlugin(ctx, cmd.Config)
	case cmd.Args[0] == "migrate":
		v, err := app.Migrate(ctx, cmd.Config)
		if err == nil {
			_, err = fmt.Fprintf(stdout, "schema at version %d\n", v)
		}
		return err
	case cmd.Args[0] == "verify-approval":
		return app.VerifyApproval(ctx, cmd.Config, cmd.Args[1:], stdout, app.NewLogger(cmd.Config.Log, stderr))
	case cmd.Args[0] == "audit":
		return app.Audit(ctx, cmd.Config, cmd.Args[1:], stdout, app.NewLogger(cmd.Config.Log, stderr))
	case cmd.Args[0] == "user":
		return app.UserCommand(ctx, cmd.Config, cmd.Args[1:], stdout, app.NewLogger(cmd.Config.Log, stderr))
	case cmd.Args[0] == "credential":
		return app.CredentialCommand(ctx, cmd.Config, cmd.Args[1:], stdout, app.NewLogger(cmd.Config.Log, stderr))
	case cmd.Args[0] == "events":
		return app.Events(ctx, cmd.Config, cmd.Args[1:], stdout, app.NewLogger(cmd.Config.Log, stderr))
	default:
		return fmt.Errorf("unknown command %q (want migrate, verify-approval <id>, audit verify|export, user, credential, events dead-letters|redeliver, or nothing)", cmd.Args[0])
	}
}
