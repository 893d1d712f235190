package plugin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/plugin/internal/convert"
)

// defaultStartTimeout bounds a plugin's start when LaunchConfig.StartTimeout
// is zero. A plugin may run its schema migrations before it serves.
const defaultStartTimeout = 30 * time.Second

// LaunchConfig says how a host starts the plugin process.
type LaunchConfig struct {
	// Path is the plugin binary. Without a slash it is looked up in PATH.
	Path string
	// Args are the arguments after the program name.
	Args []string
	// Env is added to the host's environment, which the plugin inherits;
	// where a variable is set in both, Env wins.
	Env []string
	// SHA256 optionally pins the binary: the hex SHA-256 of the file at
	// Path. When set, go-plugin checks the file before every start (also
	// every relaunch) and a mismatch refuses to start the plugin
	// (ErrChecksumMismatch). Production should always pin (DESIGN.md §7.9).
	SHA256 string
	// Logger receives go-plugin's messages and the plugin's own log lines
	// (see NewLogger) at their level. Nil means slog.Default().
	Logger *slog.Logger
	// StartTimeout bounds each start of the plugin; zero means 30s. A
	// deadline on the context given to Launch, or on the call that
	// relaunches the plugin, shortens it.
	StartTimeout time.Duration
}

// ErrInvalidConfig is wrapped by every LaunchConfig validation error.
var ErrInvalidConfig = errors.New("invalid plugin launch config")

// ErrChecksumMismatch is wrapped by the error of a start refused because the
// binary's SHA-256 is not LaunchConfig.SHA256. The message names both hashes.
var ErrChecksumMismatch = errors.New("plugin binary SHA-256 does not match the pinned value")

// ErrClosed is wrapped by the errors of calls made after Host.Close.
var ErrClosed = errors.New("plugin host is closed")

// validate checks cfg, reporting every problem at once, and returns the
// decoded SHA-256 pin (nil when unpinned).
func (cfg LaunchConfig) validate() ([]byte, error) {
	var errs []error
	if cfg.Path == "" {
		errs = append(errs, fmt.Errorf("%w: Path: must name the plugin binary", ErrInvalidConfig))
	}
	var sum []byte
	if cfg.SHA256 != "" {
		b, err := hex.DecodeString(cfg.SHA256)
		if err != nil || len(b) != sha256.Size {
			errs = append(errs, fmt.Errorf("%w: SHA256: want %d hex digits, got %q", ErrInvalidConfig, 2*sha256.Size, cfg.SHA256))
		}
		sum = b
	}
	if cfg.StartTimeout < 0 {
		errs = append(errs, fmt.Errorf("%w: StartTimeout: must not be negative, got %v", ErrInvalidConfig, cfg.StartTimeout))
	}
	return sum, errors.Join(errs...)
}

// Host is the host side of the plugin: it runs the plugin process and
// implements Services by calling it over gRPC. It is safe for concurrent use.
//
// go-plugin does not restart a plugin that died. Host does: a call in flight
// when the process dies fails at once with authenticator.ErrUnavailable
// (retryable, never retried for the caller: a ceremony step is not
// idempotent), the dead client is killed, and the next call starts a new
// process. Concurrent callers share one relaunch. Every error a Host returns
// is an *authenticator.Error.
type Host struct {
	cfg  LaunchConfig // validated
	sum  []byte       // the SHA-256 pin, nil when unpinned
	log  *slog.Logger
	hlog hclog.Logger

	mu      sync.Mutex
	cur     *instance // nil once the plugin died or the host closed, until the next call
	gen     int       // plugin processes started so far
	closed  bool
	killing sync.WaitGroup // retired instances being killed outside mu
}

var _ Services = (*Host)(nil)

// instance is one running plugin process and its client.
type instance struct {
	client *goplugin.Client
	svc    Services
	gen    int
}

// Launch validates cfg and starts the plugin, with AutoMTLS, gRPC only, the
// versioned plugin sets and, when cfg.SHA256 is set, the SHA-256 pin. The
// returned Host owns the process: Close it.
func Launch(ctx context.Context, cfg LaunchConfig) (*Host, error) {
	sum, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = defaultStartTimeout
	}
	cfg.Args, cfg.Env = append([]string(nil), cfg.Args...), append([]string(nil), cfg.Env...)
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	h := &Host{cfg: cfg, sum: sum, log: log, hlog: hostLogger(log)}
	inst, err := h.start(ctx)
	if err != nil {
		return nil, err
	}
	h.cur = inst
	return h, nil
}

// start starts a plugin process. The caller holds h.mu or owns h alone.
func (h *Host) start(ctx context.Context) (*instance, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start plugin %s: %w", h.cfg.Path, err)
	}
	timeout := h.cfg.StartTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	cmd := exec.Command(h.cfg.Path, h.cfg.Args...)
	cmd.Env = append(os.Environ(), h.cfg.Env...)
	cc := &goplugin.ClientConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: pluginSets(&GRPCPlugin{}),
		Cmd:              cmd,
		SkipHostEnv:      true, // cmd.Env has it, before Env so that Env wins
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     timeout,
		Logger:           h.hlog,
		GRPCDialOptions:  dialOptions(),
	}
	if h.sum != nil {
		cc.SecureConfig = &goplugin.SecureConfig{Checksum: h.sum, Hash: sha256.New()}
	}
	c := goplugin.NewClient(cc)
	svc, err := dispense(c)
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		c.Kill()
		if errors.Is(err, goplugin.ErrChecksumsDoNotMatch) {
			return nil, h.mismatch(cmd.Path)
		}
		return nil, fmt.Errorf("start plugin %s: %w", h.cfg.Path, err)
	}
	h.gen++
	inst := &instance{client: c, svc: svc, gen: h.gen}
	h.log.Info("plugin started", "path", h.cfg.Path, "pid", inst.pid(), "protocol_version", c.NegotiatedVersion(), "generation", inst.gen)
	return inst, nil
}

// dispense connects to a started plugin and returns its Services client.
func dispense(c *goplugin.Client) (Services, error) {
	rpc, err := c.Client()
	if err != nil {
		return nil, err
	}
	raw, err := rpc.Dispense(pluginName)
	if err != nil {
		return nil, err
	}
	svc, ok := raw.(Services)
	if !ok {
		return nil, fmt.Errorf("plugin %q dispensed %T, want plugin.Services", pluginName, raw)
	}
	return svc, nil
}

// mismatch is the error of a start refused by the SHA-256 pin. go-plugin
// does not say what it found, so the file is hashed again for the message.
func (h *Host) mismatch(path string) error {
	actual, err := fileSHA256(path)
	if err != nil {
		actual = fmt.Sprintf("unknown (%v)", err)
	}
	return fmt.Errorf("%w: refusing to start %s: expected SHA-256 %s, actual %s",
		ErrChecksumMismatch, path, hex.EncodeToString(h.sum), actual)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	hash := sha256.New()
	if _, err := io.Copy(hash, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(hash.Sum(nil)), nil
}

func (i *instance) pid() int {
	if rc := i.client.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

// acquire returns the running plugin, starting a new one first when the
// last one died. Holding mu across the start makes concurrent callers share
// one relaunch.
func (h *Host) acquire(ctx context.Context) (*instance, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, authenticator.Errorf(authenticator.CodeUnavailable, "%w", ErrClosed)
	}
	if h.cur != nil && h.cur.client.Exited() {
		h.log.Warn("plugin exited; relaunching it", "pid", h.cur.pid(), "generation", h.cur.gen)
		h.cur.client.Kill()
		h.cur = nil
	}
	if h.cur == nil {
		inst, err := h.start(ctx)
		if err != nil {
			return nil, authenticator.Errorf(authenticator.CodeUnavailable, "relaunch plugin: %w", err)
		}
		h.cur = inst
	}
	return h.cur, nil
}

// retire takes a dead instance out of service and kills its client, once,
// however many calls saw it die.
func (h *Host) retire(inst *instance) {
	h.mu.Lock()
	current := h.cur == inst
	if current {
		h.cur = nil
		h.killing.Add(1)
	}
	h.mu.Unlock()
	if !current {
		return
	}
	defer h.killing.Done()
	h.log.Warn("plugin connection lost; the next call relaunches it", "pid", inst.pid(), "generation", inst.gen)
	inst.client.Kill()
}

// call runs f against the running plugin. If the plugin turns out to be
// dead, the instance is retired and the error is authenticator.ErrUnavailable.
func call[T any](ctx context.Context, h *Host, f func(Services) (T, error)) (T, error) {
	inst, err := h.acquire(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	v, err := f(inst.svc)
	if err != nil && (errors.Is(err, convert.ErrConnection) || inst.client.Exited()) {
		h.retire(inst)
		if !errors.Is(err, authenticator.ErrUnavailable) {
			err = authenticator.Errorf(authenticator.CodeUnavailable, "plugin exited: %w", err)
		}
	}
	return v, err
}

// ProtocolVersion returns the protocol version negotiated with the running
// plugin, or 0 when none is running (after Close, or between a crash and the
// next call).
func (h *Host) ProtocolVersion() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur == nil {
		return 0
	}
	return h.cur.client.NegotiatedVersion()
}

// Close kills the plugin process and waits until it is gone. Calls after
// Close fail with ErrClosed (as authenticator.ErrUnavailable). Close is
// idempotent.
func (h *Host) Close() {
	h.mu.Lock()
	inst := h.cur
	h.cur, h.closed = nil, true
	h.mu.Unlock()
	if inst != nil {
		inst.client.Kill()
	}
	h.killing.Wait()
}

// Capabilities implements Authenticator.
func (h *Host) Capabilities(ctx context.Context) (authenticator.Capabilities, error) {
	return call(ctx, h, func(s Services) (authenticator.Capabilities, error) { return s.Capabilities(ctx) })
}

// CreateEnrollment implements Authenticator.
func (h *Host) CreateEnrollment(ctx context.Context, req authenticator.CreateEnrollmentRequest) (authenticator.Enrollment, error) {
	return call(ctx, h, func(s Services) (authenticator.Enrollment, error) { return s.CreateEnrollment(ctx, req) })
}

// BeginRegistration implements Authenticator.
func (h *Host) BeginRegistration(ctx context.Context, req authenticator.BeginRegistrationRequest) (authenticator.Ceremony, error) {
	return call(ctx, h, func(s Services) (authenticator.Ceremony, error) { return s.BeginRegistration(ctx, req) })
}

// FinishRegistration implements Authenticator.
func (h *Host) FinishRegistration(ctx context.Context, req authenticator.FinishRequest) (authenticator.Registration, error) {
	return call(ctx, h, func(s Services) (authenticator.Registration, error) { return s.FinishRegistration(ctx, req) })
}

// DecideLogin implements Authenticator.
func (h *Host) DecideLogin(ctx context.Context, req authenticator.LoginRequest) (authenticator.LoginDecision, error) {
	return call(ctx, h, func(s Services) (authenticator.LoginDecision, error) { return s.DecideLogin(ctx, req) })
}

// BeginAuthentication implements Authenticator.
func (h *Host) BeginAuthentication(ctx context.Context, req authenticator.BeginAuthenticationRequest) (authenticator.Ceremony, error) {
	return call(ctx, h, func(s Services) (authenticator.Ceremony, error) { return s.BeginAuthentication(ctx, req) })
}

// FinishAuthentication implements Authenticator.
func (h *Host) FinishAuthentication(ctx context.Context, req authenticator.FinishRequest) (authenticator.AuthenticationResult, error) {
	return call(ctx, h, func(s Services) (authenticator.AuthenticationResult, error) { return s.FinishAuthentication(ctx, req) })
}

// StartIdentityCheck implements Authenticator.
func (h *Host) StartIdentityCheck(ctx context.Context, req authenticator.StartIdentityCheckRequest) (idvbridge.Check, error) {
	return call(ctx, h, func(s Services) (idvbridge.Check, error) { return s.StartIdentityCheck(ctx, req) })
}

// ApplyIDVWebhook implements Authenticator.
func (h *Host) ApplyIDVWebhook(ctx context.Context, header http.Header, body []byte) (authenticator.IDVCheck, error) {
	return call(ctx, h, func(s Services) (authenticator.IDVCheck, error) { return s.ApplyIDVWebhook(ctx, header, body) })
}

// RefreshIdentityCheck implements Authenticator.
func (h *Host) RefreshIdentityCheck(ctx context.Context, provider, runID string) (authenticator.IDVCheck, error) {
	return call(ctx, h, func(s Services) (authenticator.IDVCheck, error) { return s.RefreshIdentityCheck(ctx, provider, runID) })
}

// IdentityCheckStatus implements Authenticator.
func (h *Host) IdentityCheckStatus(ctx context.Context, provider, runID, externalUserID string) (authenticator.IDVCheck, error) {
	return call(ctx, h, func(s Services) (authenticator.IDVCheck, error) {
		return s.IdentityCheckStatus(ctx, provider, runID, externalUserID)
	})
}

// ContinueIdentityCheck implements Authenticator.
func (h *Host) ContinueIdentityCheck(ctx context.Context, req authenticator.ContinueRequest) (authenticator.Progress, error) {
	return call(ctx, h, func(s Services) (authenticator.Progress, error) { return s.ContinueIdentityCheck(ctx, req) })
}

// ResumeEnrollment implements Authenticator.
func (h *Host) ResumeEnrollment(ctx context.Context, req authenticator.ResumeEnrollmentRequest) (authenticator.PendingCheck, error) {
	return call(ctx, h, func(s Services) (authenticator.PendingCheck, error) { return s.ResumeEnrollment(ctx, req) })
}

// BeginRecovery implements Authenticator.
func (h *Host) BeginRecovery(ctx context.Context, req authenticator.BeginRecoveryRequest) (authenticator.PendingCheck, error) {
	return call(ctx, h, func(s Services) (authenticator.PendingCheck, error) { return s.BeginRecovery(ctx, req) })
}

// VerifyApproval implements Authenticator.
func (h *Host) VerifyApproval(ctx context.Context, id string) (authenticator.ApprovalVerification, error) {
	return call(ctx, h, func(s Services) (authenticator.ApprovalVerification, error) { return s.VerifyApproval(ctx, id) })
}

// ListUsers implements Admin.
func (h *Host) ListUsers(ctx context.Context, q authenticator.UserQuery) ([]authenticator.User, error) {
	return call(ctx, h, func(s Services) ([]authenticator.User, error) { return s.ListUsers(ctx, q) })
}

// CountUsersByStatus implements Admin.
func (h *Host) CountUsersByStatus(ctx context.Context) (map[authenticator.UserStatus]int, error) {
	return call(ctx, h, func(s Services) (map[authenticator.UserStatus]int, error) { return s.CountUsersByStatus(ctx) })
}

// GetUser implements Admin.
func (h *Host) GetUser(ctx context.Context, externalID string) (authenticator.UserDetail, error) {
	return call(ctx, h, func(s Services) (authenticator.UserDetail, error) { return s.GetUser(ctx, externalID) })
}

// RevokeCredential implements Admin.
func (h *Host) RevokeCredential(ctx context.Context, req authenticator.RevokeCredentialRequest) (authenticator.Credential, error) {
	return call(ctx, h, func(s Services) (authenticator.Credential, error) { return s.RevokeCredential(ctx, req) })
}

// ReadUser implements Admin.
func (h *Host) ReadUser(ctx context.Context, req authenticator.ReadUserRequest) (authenticator.UserDetail, error) {
	return call(ctx, h, func(s Services) (authenticator.UserDetail, error) { return s.ReadUser(ctx, req) })
}

// SuspendCredential implements Admin.
func (h *Host) SuspendCredential(ctx context.Context, req authenticator.CredentialActionRequest) (authenticator.Credential, error) {
	return call(ctx, h, func(s Services) (authenticator.Credential, error) { return s.SuspendCredential(ctx, req) })
}

// UnsuspendCredential implements Admin.
func (h *Host) UnsuspendCredential(ctx context.Context, req authenticator.CredentialActionRequest) (authenticator.Credential, error) {
	return call(ctx, h, func(s Services) (authenticator.Credential, error) { return s.UnsuspendCredential(ctx, req) })
}

// RenameCredential implements Admin.
func (h *Host) RenameCredential(ctx context.Context, req authenticator.RenameCredentialRequest) (authenticator.Credential, error) {
	return call(ctx, h, func(s Services) (authenticator.Credential, error) { return s.RenameCredential(ctx, req) })
}

// SuspendUser implements Admin.
func (h *Host) SuspendUser(ctx context.Context, req authenticator.UserActionRequest) (authenticator.User, error) {
	return call(ctx, h, func(s Services) (authenticator.User, error) { return s.SuspendUser(ctx, req) })
}

// UnsuspendUser implements Admin.
func (h *Host) UnsuspendUser(ctx context.Context, req authenticator.UserActionRequest) (authenticator.User, error) {
	return call(ctx, h, func(s Services) (authenticator.User, error) { return s.UnsuspendUser(ctx, req) })
}

// RequireReverification implements Admin.
func (h *Host) RequireReverification(ctx context.Context, req authenticator.UserActionRequest) (authenticator.User, error) {
	return call(ctx, h, func(s Services) (authenticator.User, error) { return s.RequireReverification(ctx, req) })
}

// VerifyAudit implements Admin.
func (h *Host) VerifyAudit(ctx context.Context, anchors ...authenticator.AuditAnchor) (authenticator.AuditVerification, error) {
	return call(ctx, h, func(s Services) (authenticator.AuditVerification, error) { return s.VerifyAudit(ctx, anchors...) })
}

// ListAudit implements Admin.
func (h *Host) ListAudit(ctx context.Context, after int64, limit int) ([]authenticator.AuditRecord, error) {
	return call(ctx, h, func(s Services) ([]authenticator.AuditRecord, error) { return s.ListAudit(ctx, after, limit) })
}

// ActivityByDay implements Admin.
func (h *Host) ActivityByDay(ctx context.Context, days int) (authenticator.Activity, error) {
	return call(ctx, h, func(s Services) (authenticator.Activity, error) { return s.ActivityByDay(ctx, days) })
}

// RecordOperatorAction implements Admin.
func (h *Host) RecordOperatorAction(ctx context.Context, req authenticator.OperatorActionRequest) (authenticator.AuditRecord, error) {
	return call(ctx, h, func(s Services) (authenticator.AuditRecord, error) { return s.RecordOperatorAction(ctx, req) })
}

// ListDeadLetters implements Admin.
func (h *Host) ListDeadLetters(ctx context.Context, after int64, limit int) ([]authenticator.Delivery, error) {
	return call(ctx, h, func(s Services) ([]authenticator.Delivery, error) { return s.ListDeadLetters(ctx, after, limit) })
}

// RedeliverEvent implements Admin.
func (h *Host) RedeliverEvent(ctx context.Context, req authenticator.RedeliverRequest) (authenticator.Delivery, error) {
	return call(ctx, h, func(s Services) (authenticator.Delivery, error) { return s.RedeliverEvent(ctx, req) })
}

// EraseUser implements Admin.
func (h *Host) EraseUser(ctx context.Context, req authenticator.UserActionRequest) (authenticator.Erasure, error) {
	return call(ctx, h, func(s Services) (authenticator.Erasure, error) { return s.EraseUser(ctx, req) })
}

// DeliveryStats implements Admin.
func (h *Host) DeliveryStats(ctx context.Context) (authenticator.DeliveryStats, error) {
	return call(ctx, h, func(s Services) (authenticator.DeliveryStats, error) { return s.DeliveryStats(ctx) })
}
