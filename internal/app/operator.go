package app

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// Synopses of the operator commands.
const (
	userUsage       = "usage: biometric-passkey-plugin --config config.yaml user show|suspend|unsuspend|reverify <external-user-id> --operator SUB [--reason TEXT] | user erase <external-user-id> --operator SUB --reason TEXT"
	credentialUsage = "usage: biometric-passkey-plugin --config config.yaml credential rename <credential-id> <name> --operator SUB | credential suspend|unsuspend|revoke <credential-id> --operator SUB [--reason TEXT]"
)

// UserCommand runs the user command on the configured store: an operator's
// read or action on one user, audited with the operator's sub (DESIGN.md
// §7.7), printed as JSON:
//
//	user show <id> --operator SUB                       the user, passkeys and recent events (ReadUser)
//	user suspend <id> --operator SUB [--reason TEXT]    SuspendUser
//	user unsuspend <id> --operator SUB [--reason TEXT]  UnsuspendUser
//	user reverify <id> --operator SUB [--reason TEXT]   RequireReverification
//	user erase <id> --operator SUB --reason TEXT        EraseUser (final; prints what was deleted)
//
// Flags may come before or after the id. show needs --operator too: every
// read of a user's record is audited with who read it. erase needs
// --reason: it cannot be undone, and the audit record says why. erase asks
// the identity-verification provider to delete the user's references first;
// the sandbox provider lives in the running service's memory, out of this
// command's reach, so a user with sandbox references is refused here
// (conflict) and is erased from the dashboard instead.
func UserCommand(ctx context.Context, cfg Config, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 {
		return fmt.Errorf("user: want a subcommand, show, suspend, unsuspend, reverify or erase (%s)", userUsage)
	}
	sub := args[0]
	var act func(*authenticator.Service, authenticator.UserActionRequest) (any, error)
	switch sub {
	case "show":
		act = func(svc *authenticator.Service, r authenticator.UserActionRequest) (any, error) {
			d, err := svc.ReadUser(ctx, authenticator.ReadUserRequest{ExternalID: r.ExternalID, Operator: r.Operator})
			return userDetailJSON(d), err
		}
	case "suspend", "unsuspend", "reverify":
		act = func(svc *authenticator.Service, r authenticator.UserActionRequest) (any, error) {
			do := svc.SuspendUser
			switch sub {
			case "unsuspend":
				do = svc.UnsuspendUser
			case "reverify":
				do = svc.RequireReverification
			}
			u, err := do(ctx, r)
			return newUserJSON(u), err
		}
	case "erase":
		act = func(svc *authenticator.Service, r authenticator.UserActionRequest) (any, error) {
			e, err := svc.EraseUser(ctx, r)
			return newErasureJSON(e), err
		}
	default:
		return fmt.Errorf("user: unknown subcommand %q (%s)", sub, userUsage)
	}
	op, pos, err := parseOperatorFlags("user "+sub, args[1:], sub != "show", userUsage)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("user %s: want exactly one external user id, got %d arguments (%s)", sub, len(pos), userUsage)
	}
	if sub == "erase" && strings.TrimSpace(op.reason) == "" {
		return fmt.Errorf("user erase: --reason is required: an erasure cannot be undone, and the audit log records why (%s)", userUsage)
	}
	req := authenticator.UserActionRequest{ExternalID: pos[0], Operator: op.operator, Reason: op.reason}
	return withService(ctx, cfg, "user "+sub, stdout, log, func(svc *authenticator.Service) (any, error) {
		out, err := act(svc, req)
		if err != nil {
			return nil, fmt.Errorf("user %s %s: %w", sub, strconv.Quote(req.ExternalID), err)
		}
		return out, nil
	})
}

// CredentialCommand runs the credential command: an operator's action on
// one passkey, named by its id in base64url (as `user show` prints it),
// audited with the operator's sub and printed as JSON:
//
//	credential rename <id> <name> --operator SUB            RenameCredential
//	credential suspend <id> --operator SUB [--reason TEXT]  SuspendCredential
//	credential unsuspend <id> --operator SUB [--reason …]   UnsuspendCredential (also clears a flagged one after review)
//	credential revoke <id> --operator SUB [--reason TEXT]   RevokeCredential (final)
func CredentialCommand(ctx context.Context, cfg Config, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 {
		return fmt.Errorf("credential: want a subcommand, rename, suspend, unsuspend or revoke (%s)", credentialUsage)
	}
	sub := args[0]
	want := 1
	switch sub {
	case "rename":
		want = 2
	case "suspend", "unsuspend", "revoke":
	default:
		return fmt.Errorf("credential: unknown subcommand %q (%s)", sub, credentialUsage)
	}
	op, pos, err := parseOperatorFlags("credential "+sub, args[1:], sub != "rename", credentialUsage)
	if err != nil {
		return err
	}
	if len(pos) != want {
		return fmt.Errorf("credential %s: want %d arguments, got %d (%s)", sub, want, len(pos), credentialUsage)
	}
	id, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(pos[0], "="))
	if err != nil || len(id) == 0 {
		return fmt.Errorf("credential %s: %q is not a credential id in base64url", sub, pos[0])
	}
	return withService(ctx, cfg, "credential "+sub, stdout, log, func(svc *authenticator.Service) (any, error) {
		var (
			c   authenticator.Credential
			err error
		)
		req := authenticator.CredentialActionRequest{CredentialID: id, Operator: op.operator, Reason: op.reason}
		switch sub {
		case "rename":
			c, err = svc.RenameCredential(ctx, authenticator.RenameCredentialRequest{CredentialID: id, Name: pos[1], Operator: op.operator})
		case "suspend":
			c, err = svc.SuspendCredential(ctx, req)
		case "unsuspend":
			c, err = svc.UnsuspendCredential(ctx, req)
		case "revoke":
			c, err = svc.RevokeCredential(ctx, authenticator.RevokeCredentialRequest{CredentialID: id, Operator: op.operator, Reason: op.reason})
		}
		if err != nil {
			return nil, fmt.Errorf("credential %s %s: %w", sub, pos[0], err)
		}
		return newCredentialJSON(c), nil
	})
}

// operatorFlags are the flags of the operator commands.
type operatorFlags struct {
	operator, reason string
}

// parseOperatorFlags parses --operator (required) and, when withReason,
// --reason, anywhere among args, and returns the other arguments in order.
// It does not use package flag, which stops at the first argument that is
// not a flag: the flags may follow the ids here, and a credential id in
// base64url may itself begin with "-". So only an argument that looks like
// a flag name (-name or --name, with an optional =value) is taken as one;
// after "--" every argument is positional.
func parseOperatorFlags(cmd string, args []string, withReason bool, usage string) (operatorFlags, []string, error) {
	var (
		f   operatorFlags
		pos []string
	)
	known := map[string]*string{"operator": &f.operator}
	if withReason {
		known["reason"] = &f.reason
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		m := flagArg.FindStringSubmatch(a)
		if m == nil {
			pos = append(pos, a)
			continue
		}
		dst, ok := known[m[1]]
		switch {
		case !ok:
			return f, nil, fmt.Errorf("%s: flag provided but not defined: %s (%s)", cmd, a, usage)
		case m[2] != "":
			*dst = m[2][1:]
		case i+1 < len(args):
			i++
			*dst = args[i]
		default:
			return f, nil, fmt.Errorf("%s: flag needs an argument: %s (%s)", cmd, a, usage)
		}
	}
	if strings.TrimSpace(f.operator) == "" {
		return f, nil, fmt.Errorf("%s: --operator is required: the audit log records who acted (%s)", cmd, usage)
	}
	return f, pos, nil
}

// flagArg matches a flag: -name or --name, then =value or nothing.
var flagArg = regexp.MustCompile(`^--?([a-z][a-z-]*)(=.*)?$`)

// withService opens the configured stores (see withStores), runs fn and
// prints its result as indented JSON.
func withService(ctx context.Context, cfg Config, cmd string, stdout io.Writer, log *slog.Logger, fn func(*authenticator.Service) (any, error)) error {
	return withStores(ctx, cfg, cmd, log, func(svc *authenticator.Service) error {
		out, err := fn(svc)
		if err != nil {
			return err
		}
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return fmt.Errorf("%s: encode: %w", cmd, err)
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	})
}

// withStores opens the configured stores for an operator command that runs
// beside a live plugin, runs fn and closes them (a failure to close is
// logged). It needs no identity-verification provider, so a sandbox in cfg
// is left out: its state lives in the running plugin, and a second, empty
// one here would only log its warnings.
func withStores(ctx context.Context, cfg Config, cmd string, log *slog.Logger, fn func(*authenticator.Service) error) error {
	ac := cfg.Authenticator
	if ac.IDV.Provider == IDVProviderSandbox {
		ac.IDV.Provider = IDVProviderNone
	}
	svc, closeStores, err := OpenAuthenticator(ctx, ac, log)
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	defer func() {
		if err := closeStores(); err != nil {
			log.Error("close stores", "cmd", cmd, "err", err)
		}
	}()
	return fn(svc)
}

// UserJSON is a user as the operator commands print it.
type UserJSON struct {
	ExternalID  string    `json:"external_id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func newUserJSON(u authenticator.User) UserJSON {
	return UserJSON{ExternalID: u.ExternalID, Username: u.Username, DisplayName: u.DisplayName, Status: string(u.Status),
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// ErasureJSON is what `user erase` prints: whom it erased, the pseudonym
// the audit log keeps for them, and how many records it deleted.
type ErasureJSON struct {
	ExternalID   string    `json:"external_id"`
	AuditSubject string    `json:"audit_subject"`
	Credentials  int       `json:"credentials"`
	References   int       `json:"references"`
	Checks       int       `json:"checks"`
	Approvals    int       `json:"approvals"`
	Events       int       `json:"events"`
	At           time.Time `json:"at"`
}

func newErasureJSON(e authenticator.Erasure) ErasureJSON {
	return ErasureJSON{ExternalID: e.ExternalID, AuditSubject: e.AuditSubject, Credentials: e.Credentials,
		References: e.References, Checks: e.Checks, Approvals: e.Approvals, Events: e.Events, At: e.At}
}

// CredentialJSON is a passkey as the operator commands print it: no
// public key, and its id in base64url as the credential command takes it.
type CredentialJSON struct {
	ID           string     `json:"id"`
	User         string     `json:"user"`
	Name         string     `json:"name"`
	Status       string     `json:"status"`
	StatusReason string     `json:"status_reason,omitempty"`
	AAGUID       string     `json:"aaguid"`
	DeviceBound  bool       `json:"device_bound"`
	Transports   []string   `json:"transports"`
	SignCount    uint32     `json:"sign_count"`
	CreatedAt    time.Time  `json:"created_at"`
	LastUsedAt   *time.Time `json:"last_used_at,omitempty"`
}

func newCredentialJSON(c authenticator.Credential) CredentialJSON {
	out := CredentialJSON{ID: base64.RawURLEncoding.EncodeToString(c.ID), User: c.UserExternalID, Name: c.Name,
		Status: string(c.Status), StatusReason: c.StatusReason, AAGUID: hex.EncodeToString(c.AAGUID),
		DeviceBound: c.DeviceBound(), Transports: c.Transports, SignCount: c.SignCount, CreatedAt: c.CreatedAt}
	if out.Transports == nil {
		out.Transports = []string{}
	}
	if !c.LastUsedAt.IsZero() {
		out.LastUsedAt = &c.LastUsedAt
	}
	return out
}

// EventJSON is a lifecycle event as `user show` prints it.
type EventJSON struct {
	ID           int64             `json:"id"`
	Type         string            `json:"type"`
	CredentialID string            `json:"credential_id,omitempty"`
	Actor        string            `json:"actor"`
	Detail       map[string]string `json:"detail,omitempty"`
	At           time.Time         `json:"at"`
}

// UserDetailJSON is what `user show` prints.
type UserDetailJSON struct {
	User        UserJSON         `json:"user"`
	Credentials []CredentialJSON `json:"credentials"`
	Events      []EventJSON      `json:"events"` // newest first
}

func userDetailJSON(d authenticator.UserDetail) UserDetailJSON {
	out := UserDetailJSON{User: newUserJSON(d.User), Credentials: []CredentialJSON{}, Events: []EventJSON{}}
	for _, c := range d.Credentials {
		out.Credentials = append(out.Credentials, newCredentialJSON(c))
	}
	for _, e := range d.Events {
		ej := EventJSON{ID: e.ID, Type: string(e.Type), Actor: e.Actor, Detail: e.Detail, At: e.At}
		if len(e.CredentialID) > 0 {
			ej.CredentialID = base64.RawURLEncoding.EncodeToString(e.CredentialID)
		}
		out.Events = append(out.Events, ej)
	}
	return out
}
