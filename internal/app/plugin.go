package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/plugin"
)

// RunPlugin is the plugin binary's main: it builds the authenticator from
// cfg (serving the sandbox's capture pages when that is the provider) and
// serves it to the host that launched the process, returning when the host
// ends it.
func RunPlugin(ctx context.Context, cfg Config) error {
	// The logger must write to the original stderr before Serve takes it
	// over, so the host re-emits these lines at their level.
	log := plugin.NewLogger(os.Stderr, level(cfg.Log.Level))
	a, err := StartAuthenticator(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := a.Close(); err != nil {
			log.Error("close authenticator", "err", err)
		}
	}()
	plugin.Serve(a.Service, plugin.WithLogger(log))
	return nil
}

// Migrate runs the durable store's migrations and reports the version.
func Migrate(ctx context.Context, cfg Config) (int, error) {
	st, err := OpenStore(ctx, cfg.Authenticator.Store)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

// ErrApprovalInvalid is returned by VerifyApproval for an approval that
// exists but no longer verifies.
var ErrApprovalInvalid = errors.New("approval is not valid")

// ApprovalReport is what `biometric-passkey-plugin verify-approval` prints.
type ApprovalReport struct {
	ApprovalID string          `json:"approval_id"`
	User       string          `json:"user"`
	Client     string          `json:"client"`
	ACR        string          `json:"acr"`
	Details    json.RawMessage `json:"details"`
	Hash       string          `json:"hash"`
	CreatedAt  time.Time       `json:"created_at"`
	Valid      bool            `json:"valid"`
	Problem    string          `json:"problem"`
}

// VerifyApproval is `biometric-passkey-plugin verify-approval <id>`: it
// opens the authenticator from cfg (serving nothing, so it runs beside a
// live plugin), verifies the stored approval again and prints the result to
// stdout as indented JSON. It returns nil when the approval is valid,
// ErrApprovalInvalid (after printing) when it is not, and another error
// when it cannot tell: bad arguments, an unknown approval (wrapping
// authenticator.ErrNotFound), a store failure.
// Like the operator commands, it leaves a sandbox provider out (see
// withStores).
func VerifyApproval(ctx context.Context, cfg Config, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) != 1 || args[0] == "" {
		return fmt.Errorf("verify-approval: want exactly one approval id, got %d arguments (usage: biometric-passkey-plugin --config config.yaml verify-approval <id>)", len(args))
	}
	id := args[0]
	return withStores(ctx, cfg, "verify-approval", log, func(svc *authenticator.Service) error {
		v, err := svc.VerifyApproval(ctx, id)
		switch {
		case errors.Is(err, authenticator.ErrNotFound):
			return approvalNotFound{id: id, err: err}
		case err != nil:
			return fmt.Errorf("verify-approval %q: %w", id, err)
		}
		ap := v.Approval
		b, err := json.MarshalIndent(ApprovalReport{
			ApprovalID: ap.ID, User: ap.UserExternalID, Client: ap.ClientID, ACR: ap.ACR,
			Details: ap.AuthorizationDetails, Hash: ap.DetailsHash, CreatedAt: ap.CreatedAt,
			Valid: v.Valid, Problem: v.Problem,
		}, "", "  ")
		if err != nil {
			return fmt.Errorf("verify-approval: encode: %w", err)
		}
		if _, err := fmt.Fprintf(stdout, "%s\n", b); err != nil {
			return err
		}
		if !v.Valid {
			return fmt.Errorf("%w: approval %q: %s", ErrApprovalInvalid, id, v.Problem)
		}
		return nil
	})
}

// approvalNotFound says only what the operator needs; the cause stays
// reachable with errors.Is.
type approvalNotFound struct {
	id  string
	err error
}

func (e approvalNotFound) Error() string {
	return fmt.Sprintf("verify-approval: no approval with id %q in this store", e.id)
}

func (e approvalNotFound) Unwrap() error { return e.err }
