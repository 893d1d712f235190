package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/webhook"
)

// eventsUsage is the events command's synopsis.
const eventsUsage = "usage: biometric-passkey-plugin --config config.yaml events dead-letters [--after ID] | events redeliver <id> --operator SUB [--reason TEXT]"

// DeadLetter is one line of `events dead-letters`.
type DeadLetter struct {
	ID        int64           `json:"id"`
	Endpoint  string          `json:"endpoint"`
	Attempts  int             `json:"attempts"`
	LastError string          `json:"last_error"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	Event     webhook.Payload `json:"event"` // as it is delivered
}

// Events runs the events command on the configured store (ADR 0009):
//
//	events dead-letters [--after ID]  the dead-lettered webhook deliveries after
//	                                  delivery ID (default 0: all) as JSON lines
//	events redeliver <id> --operator SUB [--reason TEXT]
//	                                  move dead letter <id> back to pending; the
//	                                  running plugin's deliverer sends it
//
// A redelivery is audited (event_delivery.redeliver) with the operator's
// sub, so --operator is required (DESIGN.md §7.7: every operator action
// is audited with who took it). Flags may come before or after the id.
//
// Like audit, it needs no identity-verification provider, so a sandbox in
// cfg is left out.
func Events(ctx context.Context, cfg Config, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 {
		return fmt.Errorf("events: want a subcommand, dead-letters or redeliver (%s)", eventsUsage)
	}
	switch sub, args := args[0], args[1:]; sub {
	case "dead-letters":
		fs := flag.NewFlagSet("events dead-letters", flag.ContinueOnError)
		fs.SetOutput(io.Discard) // the error says what was wrong; the usage is in it
		after := fs.Int64("after", 0, "list only the dead letters after this delivery id")
		if err := fs.Parse(args); err != nil {
			return fmt.Errorf("events dead-letters: %w (%s)", err, eventsUsage)
		}
		if fs.NArg() != 0 {
			return fmt.Errorf("events dead-letters: want 0 arguments, got %d (%s)", fs.NArg(), eventsUsage)
		}
		return withStores(ctx, cfg, "events dead-letters", log, func(svc *authenticator.Service) error {
			return listDeadLetters(ctx, svc, *after, stdout)
		})
	case "redeliver":
		op, pos, err := parseOperatorFlags("events redeliver", args, true, eventsUsage)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return fmt.Errorf("events redeliver: want 1 argument, got %d (%s)", len(pos), eventsUsage)
		}
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("events redeliver: want a delivery id, got %q (%s)", pos[0], eventsUsage)
		}
		return withStores(ctx, cfg, "events redeliver", log, func(svc *authenticator.Service) error {
			if _, err := svc.RedeliverEvent(ctx, authenticator.RedeliverRequest{Operator: op.operator, DeliveryID: id, Reason: op.reason}); err != nil {
				return fmt.Errorf("events redeliver: %w", err)
			}
			_, err := fmt.Fprintf(stdout, "delivery %d is pending again\n", id)
			return err
		})
	default:
		return fmt.Errorf("events: unknown subcommand %q (%s)", sub, eventsUsage)
	}
}

// listDeadLetters writes every dead letter after delivery after as JSON
// lines, a page at a time.
func listDeadLetters(ctx context.Context, svc *authenticator.Service, after int64, stdout io.Writer) error {
	if after < 0 {
		return fmt.Errorf("events dead-letters: --after must be 0 or more, got %d", after)
	}
	enc := json.NewEncoder(stdout)
	for {
		page, err := svc.ListDeadLetters(ctx, after, authenticator.MaxPageSize)
		if err != nil {
			return fmt.Errorf("events dead-letters: %w", err)
		}
		for _, d := range page {
			if err := enc.Encode(DeadLetter{ID: d.ID, Endpoint: d.Endpoint, Attempts: d.Attempts, LastError: d.LastError,
				CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, Event: webhook.NewPayload(d.Event)}); err != nil {
				return err
			}
			after = d.ID
		}
		if len(page) < authenticator.MaxPageSize {
			return nil
		}
	}
}
