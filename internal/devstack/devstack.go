// Package devstack starts the whole embedded stack — real Ory Hydra (in-memory
// SQLite), the login-and-consent provider with the authenticator plugin, and
// the demo bank — as separate processes wired together, the way an operator
// would run them. The provider also serves the operator dashboard, for
// which Hydra stands in as the organisation's identity provider: Start
// registers the dashboard's client and creates three demo operators
// (DemoOperators) with one-time enrollment links. The identity-verification
// provider is the sandbox, whose capture pages the plugin serves on a port
// of their own (ADR 6), so enrollment's identity check, step-up and recovery
// all work. `make run`
// uses it with fixed ports; the browser tests use it with free ones, so they
// test exactly what users run.
package devstack

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	hydraapi "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"gopkg.in/yaml.v3"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/internal/app"
	"github.com/biometric-passkey/biometric-passkey/internal/hydraproc"
)

// Client ids the stack registers in Hydra.
const (
	BankClientID        = "bank"
	BankBackendClientID = "bank-backend"
	// DashboardClientID is the operator dashboard's client: Hydra is the
	// organisation's identity provider in the demo.
	DashboardClientID = "operator-dashboard"
	// OperatorEnrollerClientID is the backend client that creates the demo
	// operators' enrollment links (client credentials, passkey.enroll).
	OperatorEnrollerClientID = "operator-enroller"
)

// DemoOperators are the external user ids of the demo operators, by
// dashboard role (host.operator_roles gives each its role as a claim
// value, and adminui.role_map maps it to itself).
var DemoOperators = []DemoOperator{
	{Role: "support", ExternalUserID: "op-support"},
	{Role: "fraud", ExternalUserID: "op-fraud"},
	{Role: "admin", ExternalUserID: "op-admin"},
}

// DemoOperator is a demo operator; EnrollmentURL is its one-time
// enrollment link, set by Start.
type DemoOperator struct {
	Role           string
	ExternalUserID string
	EnrollmentURL  string
}

// demoEnrollmentTTL is how long the demo operators' enrollment links (and
// every other enrollment link of the stack) last: the longest allowed.
const demoEnrollmentTTL = authenticator.MaxEnrollmentTTL

// Options configures Start. Zero ports pick free ones.
type Options struct {
	BinDir        string // holds biometric-passkey-provider, biometric-passkey-plugin and bank
	HydraBin      string // empty: hydraproc.Binary()
	Dir           string // state: config, database, logs
	HydraPort     int    // public; the admin API gets the next free port unless HydraAdminPort is set
	HydraAdmin    int
	ProviderPort  int
	BankPort      int
	SandboxPort   int       // the sandbox's capture pages, served by the plugin
	DashboardPort int       // the operator dashboard, served by the provider
	MetricsPort   int       // the provider's Prometheus /metrics (host.metrics_listen)
	RedisAddr     string    // when set, challenges live in Redis instead of memory
	Logs          io.Writer // receives every process's output, prefixed; nil writes Dir/<name>.log
	// IDVProvider is authenticator.idv.provider: empty or app.IDVProviderSandbox
	// (what make run uses) serves the sandbox on SandboxPort;
	// app.IDVProviderNone turns identity verification off (step-up is then
	// unreachable and enrollment ends at biometric_pending).
	IDVProvider string
}

// Stack is a running stack.
type Stack struct {
	BankURL     string
	ProviderURL string
	Issuer      string
	SandboxURL  string // the sandbox IDV provider's public URL (served by the plugin), capture pages under it; empty without the sandbox
	// DashboardURL is the operator dashboard, served by the provider.
	DashboardURL string
	// MetricsURL is the provider's Prometheus /metrics.
	MetricsURL string
	// Operators are the demo operators with their enrollment links.
	Operators  []DemoOperator
	Hydra      *hydraproc.Hydra
	ConfigPath string

	procs           []*proc
	dashboardSecret string
}

type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	log  io.Closer
}

// Start brings the stack up and waits until every part is ready. On error,
// whatever was started is stopped.
func Start(ctx context.Context, o Options) (s *Stack, err error) {
	switch o.IDVProvider {
	case "":
		o.IDVProvider = app.IDVProviderSandbox
	case app.IDVProviderSandbox, app.IDVProviderNone:
	default:
		return nil, fmt.Errorf("devstack: IDVProvider must be %q or %q, got %q", app.IDVProviderSandbox, app.IDVProviderNone, o.IDVProvider)
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("devstack: state dir: %w", err)
	}
	ports := []*int{&o.HydraPort, &o.HydraAdmin, &o.ProviderPort, &o.BankPort, &o.DashboardPort, &o.MetricsPort}
	if o.IDVProvider == app.IDVProviderSandbox {
		ports = append(ports, &o.SandboxPort)
	}
	if err := freePorts(ports...); err != nil {
		return nil, err
	}
	s = &Stack{
		BankURL:      "http://localhost:" + strconv.Itoa(o.BankPort),
		ProviderURL:  "http://localhost:" + strconv.Itoa(o.ProviderPort),
		Issuer:       "http://localhost:" + strconv.Itoa(o.HydraPort),
		DashboardURL: "http://localhost:" + strconv.Itoa(o.DashboardPort),
		MetricsURL:   "http://localhost:" + strconv.Itoa(o.MetricsPort) + "/metrics",
	}
	if o.IDVProvider == app.IDVProviderSandbox {
		s.SandboxURL = "http://localhost:" + strconv.Itoa(o.SandboxPort) + "/sandbox/idv"
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Stop())
		}
	}()
	hydraOut, hydraLog, err := o.output("hydra")
	if err != nil {
		return s, err
	}
	// hydraproc's defaults include OAUTH2_ALLOWED_TOP_LEVEL_CLAIMS (acr, auth_time
	// and the approval claims)
	// (hydraproc.AllowedTopLevelClaimsEnv); it is named here again so the
	// stack keeps it even if those defaults change.
	s.Hydra, err = hydraproc.Start(ctx, hydraproc.Options{
		Bin: o.HydraBin, PublicPort: o.HydraPort, AdminPort: o.HydraAdmin, Issuer: s.Issuer,
		LoginURL: s.ProviderURL + "/login", ConsentURL: s.ProviderURL + "/consent", LogoutURL: s.ProviderURL + "/logout",
		PostLogoutRedirectURL: s.BankURL + "/", Stdout: hydraOut, Stderr: hydraOut,
		ExtraEnv: []string{hydraproc.AllowedTopLevelClaimsEnv},
	})
	if hydraLog != nil {
		s.procs = append(s.procs, &proc{name: "hydra-log", log: hydraLog})
	}
	if err != nil {
		return s, fmt.Errorf("devstack: start hydra: %w", err)
	}
	bankSecret, backendSecret, enrollerSecret := randomSecret(), randomSecret(), randomSecret()
	s.dashboardSecret = randomSecret()
	if err := s.createClients(ctx, bankSecret, backendSecret, enrollerSecret); err != nil {
		return s, err
	}
	if s.ConfigPath, err = o.writeProviderConfig(s, s.Hydra.AdminURL()); err != nil {
		return s, err
	}
	if err := s.start(o, "provider", nil, filepath.Join(o.BinDir, "biometric-passkey-provider"), "--config", s.ConfigPath); err != nil {
		return s, err
	}
	if err := s.waitReady(ctx, "provider", s.ProviderURL+"/readyz"); err != nil {
		return s, err
	}
	// The plugin serves the sandbox before the provider is ready; this only
	// proves it.
	if s.SandboxURL != "" {
		if err := s.waitReady(ctx, "sandbox (served by the plugin; see the provider log)", s.SandboxURL+"/static/sandbox.css"); err != nil {
			return s, err
		}
	}
	// Secrets go through the environment, not the command line, which any
	// local user can read in the process list (DESIGN.md §7.8).
	secrets := []string{"BANK_CLIENT_SECRET=" + bankSecret, "BANK_ENROLL_CLIENT_SECRET=" + backendSecret}
	if err := s.start(o, "bank", secrets, filepath.Join(o.BinDir, "bank"),
		"-listen", "127.0.0.1:"+strconv.Itoa(o.BankPort), "-public-url", s.BankURL, "-issuer", s.Issuer,
		"-client-id", BankClientID, "-enroll-client-id", BankBackendClientID, "-provider-url", s.ProviderURL,
		"-introspection-url", s.Hydra.AdminURL()+"/admin/oauth2/introspect"); err != nil {
		return s, err
	}
	if err := s.waitReady(ctx, "bank", s.BankURL+"/"); err != nil {
		return s, err
	}
	if err := s.createOperators(ctx, enrollerSecret); err != nil {
		return s, err
	}
	return s, nil
}

// createClients registers the bank's browser client (authorization code +
// PKCE) and its backend client (client credentials with the enrollment
// scope; its redirect URI is where enrollment may return the user).
func (s *Stack) createClients(ctx context.Context, bankSecret, backendSecret, enrollerSecret string) error {
	clients := []hydraapi.OAuth2Client{{
		ClientId: hydraapi.PtrString(BankClientID), ClientName: hydraapi.PtrString("Example Bank"),
		ClientSecret: hydraapi.PtrString(bankSecret), GrantTypes: []string{"authorization_code", "refresh_token"},
		ResponseTypes: []string{"code"}, Scope: hydraapi.PtrString("openid offline_access"),
		RedirectUris: []string{s.BankURL + "/callback"}, PostLogoutRedirectUris: []string{s.BankURL + "/"},
		TokenEndpointAuthMethod: hydraapi.PtrString("client_secret_basic"),
	}, {
		ClientId: hydraapi.PtrString(BankBackendClientID), ClientName: hydraapi.PtrString("Example Bank backend"),
		ClientSecret: hydraapi.PtrString(backendSecret), GrantTypes: []string{"client_credentials"},
		Scope: hydraapi.PtrString("passkey.enroll"), RedirectUris: []string{s.BankURL + "/enrolled"},
		TokenEndpointAuthMethod: hydraapi.PtrString("client_secret_basic"),
	}, s.dashboardClient(), enrollerClient(enrollerSecret)}
	for _, c := range clients {
		if _, err := s.Hydra.CreateClient(ctx, c); err != nil {
			return fmt.Errorf("devstack: %w", err)
		}
	}
	return nil
}

// dashboardClient is the operator dashboard's client: authorization code
// (the dashboard always sends PKCE S256), redirect <dashboard>/callback,
// first party (skip_consent, and host.first_party_clients).
func (s *Stack) dashboardClient() hydraapi.OAuth2Client {
	return hydraapi.OAuth2Client{
		ClientId: hydraapi.PtrString(DashboardClientID), ClientName: hydraapi.PtrString("Operator dashboard"),
		ClientSecret: hydraapi.PtrString(s.dashboardSecret), GrantTypes: []string{"authorization_code"},
		ResponseTypes: []string{"code"}, Scope: hydraapi.PtrString("openid"),
		RedirectUris: []string{s.DashboardURL + "/callback"}, PostLogoutRedirectUris: []string{s.DashboardURL + "/"},
		TokenEndpointAuthMethod: hydraapi.PtrString("client_secret_basic"), SkipConsent: hydraapi.PtrBool(true),
	}
}

// enrollerClient creates the demo operators' enrollment links.
func enrollerClient(secret string) hydraapi.OAuth2Client {
	return hydraapi.OAuth2Client{
		ClientId: hydraapi.PtrString(OperatorEnrollerClientID), ClientName: hydraapi.PtrString("Demo operator enrollment"),
		ClientSecret: hydraapi.PtrString(secret), GrantTypes: []string{"client_credentials"},
		Scope: hydraapi.PtrString("passkey.enroll"), TokenEndpointAuthMethod: hydraapi.PtrString("client_secret_basic"),
	}
}

// createOperators asks the provider's enrollment API for a one-time
// enrollment link for each demo operator, with a client-credentials token
// of the enroller client, and keeps them in s.Operators.
func (s *Stack) createOperators(ctx context.Context, enrollerSecret string) error {
	cc := clientcredentials.Config{ClientID: OperatorEnrollerClientID, ClientSecret: enrollerSecret,
		TokenURL: s.Issuer + "/oauth2/token", Scopes: []string{"passkey.enroll"}, AuthStyle: oauth2.AuthStyleInHeader}
	client := cc.Client(context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Timeout: 10 * time.Second}))
	s.Operators = nil
	for _, op := range DemoOperators {
		body, err := json.Marshal(map[string]string{"external_user_id": op.ExternalUserID, "username": op.ExternalUserID,
			"display_name": "Demo " + op.Role + " operator"})
		if err != nil {
			return fmt.Errorf("devstack: %w", err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.ProviderURL+"/api/v1/enrollments", bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("devstack: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("devstack: enroll demo operator %s: %w", op.ExternalUserID, err)
		}
		var out struct {
			EnrollmentURL string `json:"enrollment_url"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || err != nil || out.EnrollmentURL == "" {
			return fmt.Errorf("devstack: enroll demo operator %s: status %d (%v; see the provider log)", op.ExternalUserID, resp.StatusCode, err)
		}
		op.EnrollmentURL = out.EnrollmentURL
		s.Operators = append(s.Operators, op)
	}
	return nil
}

// writeProviderConfig writes the provider's configuration: the plugin
// binary pinned by its SHA-256, SQLite in the state dir, challenges in
// memory (or Redis), synced passkeys allowed so the demo works with any
// laptop's passkey manager, and the sandbox identity-verification provider
// served by the plugin, with a reference key and webhook secret generated
// for this run; the operator dashboard enabled against Hydra, with the demo
// operators' roles (host.operator_roles) for its client only, and
// enrollment links that last a day.
func (o Options) writeProviderConfig(s *Stack, hydraAdminURL string) (string, error) {
	pluginPath := filepath.Join(o.BinDir, "biometric-passkey-plugin")
	sum, err := fileSHA256(pluginPath)
	if err != nil {
		return "", fmt.Errorf("devstack: plugin binary: %w (run make build)", err)
	}
	cfg := o.providerConfig(s, hydraAdminURL, pluginPath, sum)
	if err := cfg.Validate(); err != nil {
		return "", fmt.Errorf("devstack: generated config: %w", err)
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("devstack: encode config: %w", err)
	}
	path := filepath.Join(o.Dir, "provider.yaml")
	header := "# Written by `make run` (internal/devstack) for this run; see examples/config.yaml for every key.\n"
	if err := os.WriteFile(path, append([]byte(header), b...), 0o600); err != nil {
		return "", fmt.Errorf("devstack: write config: %w", err)
	}
	return path, nil
}

// providerConfig is the configuration writeProviderConfig writes.
func (o Options) providerConfig(s *Stack, hydraAdminURL, pluginPath, pluginSHA256 string) app.Config {
	cfg := app.Defaults()
	cfg.Log.Format = "text"
	cfg.Host.Listen = "127.0.0.1:" + strconv.Itoa(o.ProviderPort)
	cfg.Host.PublicURL = s.ProviderURL
	cfg.Host.HydraAdminURL = hydraAdminURL
	cfg.Host.MetricsListen = "127.0.0.1:" + strconv.Itoa(o.MetricsPort)
	cfg.Host.FirstPartyClients = []string{BankClientID, DashboardClientID}
	cfg.Host.OperatorClients = []string{DashboardClientID}
	cfg.Host.OperatorRoles = map[string][]string{}
	cfg.AdminUI = app.AdminUIConfig{Enabled: true, Listen: "127.0.0.1:" + strconv.Itoa(o.DashboardPort), PublicURL: s.DashboardURL,
		Issuer: s.Issuer, ClientID: DashboardClientID, ClientSecret: app.Secret(s.dashboardSecret), RoleClaim: cfg.Host.OperatorRolesClaim,
		RoleMap: map[string]string{}, SessionKey: app.Secret(randomKey()), SessionTTL: 8 * time.Hour}
	for _, op := range DemoOperators {
		cfg.Host.OperatorRoles[op.ExternalUserID] = []string{op.Role}
		cfg.AdminUI.RoleMap[op.Role] = op.Role
	}
	cfg.Plugin.Path, cfg.Plugin.SHA256 = pluginPath, pluginSHA256
	a := &cfg.Authenticator
	a.RPDisplayName = "Example Bank"
	a.EnrollmentTTL = demoEnrollmentTTL
	a.RPOrigins = []string{s.ProviderURL}
	a.Policy.AllowSynced = true
	a.Store.DSN = filepath.Join(o.Dir, "passkey.db")
	if o.RedisAddr != "" {
		a.Ephemeral.Driver, a.Ephemeral.Redis.Addrs = "redis", []string{o.RedisAddr}
	}
	if o.IDVProvider == app.IDVProviderSandbox {
		a.IDV.Provider = app.IDVProviderSandbox
		a.IDV.ReferenceKey = app.Secret(randomKey())
		a.IDV.Sandbox.Listen = "127.0.0.1:" + strconv.Itoa(o.SandboxPort)
		a.IDV.Sandbox.PublicURL = s.SandboxURL
		a.IDV.Sandbox.WebhookSecret = app.Secret(randomSecret())
	}
	return cfg
}

// output returns where a process's output goes, and a closer for a log file.
func (o Options) output(name string) (io.Writer, io.Closer, error) {
	if o.Logs != nil {
		return &prefixWriter{w: o.Logs, prefix: name + " | "}, nil, nil
	}
	f, err := os.Create(filepath.Join(o.Dir, name+".log"))
	if err != nil {
		return nil, nil, fmt.Errorf("devstack: log file: %w", err)
	}
	return f, f, nil
}

func (s *Stack) start(o Options, name string, env []string, path string, args ...string) error {
	out, closer, err := o.output(name)
	if err != nil {
		return err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Stop signals the whole group, plugin included
	if err := cmd.Start(); err != nil {
		if closer != nil {
			_ = closer.Close()
		}
		return fmt.Errorf("devstack: start %s: %w (run make build)", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{}), log: closer}
	go func() { _ = cmd.Wait(); close(p.done) }()
	s.procs = append(s.procs, p)
	return nil
}

// waitReady polls url until it answers 200, the process exits, or 30 s pass.
func (s *Stack) waitReady(ctx context.Context, name, url string) error {
	p := s.procs[len(s.procs)-1]
	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("devstack: %s: %w", name, err)
		}
		if resp, err := client.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("devstack: %s exited before it was ready (see its log)", name)
		case <-ctx.Done():
			return fmt.Errorf("devstack: waiting for %s: %w", name, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("devstack: %s not ready at %s after 30s (see its log)", name, url)
		}
	}
}

// Stop ends the processes in reverse order (SIGTERM, then SIGKILL to the
// whole process group after 10 s) and Hydra last.
func (s *Stack) Stop() error {
	var errs []error
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i]
		if p.cmd != nil {
			_ = p.cmd.Process.Signal(syscall.SIGTERM) // the provider then stops its plugin itself
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
				<-p.done
				errs = append(errs, fmt.Errorf("devstack: %s did not stop on SIGTERM", p.name))
			}
		}
		if p.log != nil {
			_ = p.log.Close()
		}
	}
	s.procs = nil
	if s.Hydra != nil {
		errs = append(errs, s.Hydra.Stop())
		s.Hydra = nil
	}
	return errors.Join(errs...)
}

// freePorts replaces zero ports with free loopback ports, holding every
// probe open until all are chosen so they differ.
func freePorts(ports ...*int) error {
	var held []net.Listener
	defer func() {
		for _, l := range held {
			_ = l.Close()
		}
	}()
	for _, p := range ports {
		if *p != 0 {
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("devstack: free port: %w", err)
		}
		held = append(held, l)
		*p = l.Addr().(*net.TCPAddr).Port
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// randomKey returns base64 of 32 random bytes: an authenticator.idv
// reference key.
func randomKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.StdEncoding.EncodeToString(b)
}

func randomSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// prefixWriter prefixes each line, so interleaved process logs stay legible.
type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		if _, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i]); err != nil {
			return 0, err
		}
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}
