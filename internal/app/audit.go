package app

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// ErrAuditBroken is what `audit verify` fails with when the chain does not
// verify, as opposed to failing to read it.
var ErrAuditBroken = errors.New("the audit chain is broken")

// auditUsage is the audit command's synopsis.
const auditUsage = "usage: biometric-passkey-plugin --config config.yaml audit verify [--anchor SEQ:HASH] | audit export [--since N]"

// Audit runs the audit command on the configured store (ADR 0008):
//
//	audit verify [--anchor SEQ:HASH]...  walk the chain; print "audit chain intact: N records, head HASH"
//	                                     or fail with ErrAuditBroken naming the first bad record
//	audit export [--since N]             write the records after record N (default 0: all) to stdout
//	                                     as JSON lines
//
// An anchor is a head printed by an earlier verify (N records, head HASH
// is the anchor N:HASH), kept where the database's administrators cannot
// change it; with it, verify also detects records cut from the chain's end
// and a chain rewritten with recomputed hashes. Like verify-approval it
// needs no identity-verification provider, so a sandbox in cfg is left out.
func Audit(ctx context.Context, cfg Config, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 {
		return fmt.Errorf("audit: want a subcommand, verify or export (%s)", auditUsage)
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("audit "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the error says what was wrong; the usage is in it
	var run func(*authenticator.Service) error
	switch sub {
	case "verify":
		var anchors []authenticator.AuditAnchor
		fs.Func("anchor", "a head recorded earlier, SEQ:HASH (repeatable)", func(s string) error {
			a, err := authenticator.ParseAuditAnchor(s)
			if err == nil {
				anchors = append(anchors, a)
			}
			return err
		})
		run = func(svc *authenticator.Service) error { return verifyAudit(ctx, svc, anchors, stdout) }
	case "export":
		since := fs.Int64("since", 0, "export only the records after this one")
		run = func(svc *authenticator.Service) error {
			if *since < 0 {
				return fmt.Errorf("audit export: --since must be 0 or more, got %d", *since)
			}
			if err := svc.ExportAudit(ctx, stdout, *since); err != nil {
				return fmt.Errorf("audit export: %w", err)
			}
			return nil
		}
	default:
		return fmt.Errorf("audit: unknown subcommand %q (%s)", sub, auditUsage)
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("audit %s: %w (%s)", sub, err, auditUsage)
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("audit %s: unexpected argument %s (%s)", sub, strconv.Quote(fs.Arg(0)), auditUsage)
	}
	return withStores(ctx, cfg, "audit "+sub, log, run)
}

// verifyAudit runs `audit verify`.
func verifyAudit(ctx context.Context, svc *authenticator.Service, anchors []authenticator.AuditAnchor, stdout io.Writer) error {
	v, err := svc.VerifyAudit(ctx, anchors...)
	if err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	if !v.Intact() {
		return fmt.Errorf("audit verify: %w at record %d: %s (%d records read)", ErrAuditBroken, v.FirstBad, v.Problem, v.Records)
	}
	_, err = fmt.Fprintf(stdout, "audit chain intact: %d records, head %s\n", v.Records, hex.EncodeToString(v.Head))
	return err
}
