package hydraproc

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	hydra "github.com/ory/hydra-client-go/v2"
)

// ModulePath is the module path of this project; [RepoRoot] looks for the
// go.mod that declares it.
const ModulePath = "github.com/biometric-passkey/biometric-passkey"

// AllowedTopLevelClaimsEnv is Hydra's oauth2.allowed_top_level_claims as an
// environment setting (a comma-separated list). Start sets it by default:
// the login provider puts acr and auth_time into every access token's
// session data at consent, and with this setting Hydra lifts both to the
// top level of JWT access tokens (RFC 9068, RFC 9470), besides keeping them
// under ext, which is where introspection returns them.
const AllowedTopLevelClaimsEnv = "OAUTH2_ALLOWED_TOP_LEVEL_CLAIMS=acr,auth_time,authorization_details,authorization_details_hash,approval_id"

// EnvBin is the environment variable that overrides where [Binary] looks
// for the Hydra binary.
const EnvBin = "HYDRA_BIN"

const (
	defaultHost         = "127.0.0.1"
	defaultStartTimeout = 20 * time.Second
	defaultStopGrace    = 5 * time.Second
	readyPollInterval   = 100 * time.Millisecond
	tailSize            = 16 << 10
	startAttempts       = 3
)

// errAddrInUse marks a start that failed because a listener address was
// taken; Start retries those when it picked the ports itself.
var errAddrInUse = errors.New("address already in use")

// TTLs are Hydra's token and request lifespans. A zero field keeps Hydra's
// default.
type TTLs struct {
	AccessToken         time.Duration // TTL_ACCESS_TOKEN (default 1h)
	RefreshToken        time.Duration // TTL_REFRESH_TOKEN (default 720h)
	IDToken             time.Duration // TTL_ID_TOKEN (default 1h)
	AuthCode            time.Duration // TTL_AUTH_CODE (default 10m)
	LoginConsentRequest time.Duration // TTL_LOGIN_CONSENT_REQUEST (default 30m)
}

// Options configure a Hydra process. The zero value is valid: Hydra on free
// loopback ports with its own fallback login and consent pages.
type Options struct {
	// Bin is the Hydra binary; empty means [Binary].
	Bin string

	// PublicHost and AdminHost are the listen addresses (default 127.0.0.1).
	PublicHost string
	AdminHost  string
	// PublicPort and AdminPort are the listen ports; 0 picks a free port.
	PublicPort int
	AdminPort  int

	// Issuer is URLS_SELF_ISSUER; empty means the public URL,
	// http://127.0.0.1:<public port>. `make run` sets http://localhost:4444.
	Issuer string

	// LoginURL, ConsentURL, LogoutURL, ErrorURL and PostLogoutRedirectURL are
	// the login provider's pages (URLS_LOGIN, URLS_CONSENT, URLS_LOGOUT,
	// URLS_ERROR, URLS_POST_LOGOUT_REDIRECT); empty keeps Hydra's fallbacks.
	LoginURL              string
	ConsentURL            string
	LogoutURL             string
	ErrorURL              string
	PostLogoutRedirectURL string

	// SecretsSystem is SECRETS_SYSTEM (at least 16 characters); empty means
	// a random secret for this process.
	SecretsSystem string

	// TTL sets token and request lifespans.
	TTL TTLs

	// StartTimeout bounds the wait for readiness (default 20 s).
	StartTimeout time.Duration
	// StopGrace is how long Stop waits after SIGTERM before SIGKILL
	// (default 5 s).
	StopGrace time.Duration

	// Stdout and Stderr, when set, receive Hydra's output as it runs.
	Stdout io.Writer
	Stderr io.Writer

	// ExtraEnv is appended to Hydra's environment ("KEY=value"); a key
	// given here wins over the one Start sets.
	ExtraEnv []string
}

// Hydra is a running Hydra process.
type Hydra struct {
	cmd       *exec.Cmd
	publicURL string
	adminURL  string
	issuer    string
	grace     time.Duration
	tail      *tailBuffer
	admin     *hydra.APIClient

	exited  chan struct{} // closed when the process has exited
	waitErr error         // set before exited is closed

	stopOnce sync.Once
	stopErr  error
}

// RepoRoot returns the directory of the go.mod whose module is
// [ModulePath], walking up from the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("hydraproc: repo root: %w", err)
	}
	for start := dir; ; {
		if isOurModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("hydraproc: no go.mod of module %s above %s: %w", ModulePath, start, fs.ErrNotExist)
		}
		dir = parent
	}
}

func isOurModule(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "module"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			return strings.Trim(strings.TrimSpace(rest), `"`) == ModulePath
		}
	}
	return false
}

// Binary returns the path of the Hydra binary: $HYDRA_BIN if set, else
// <repo root>/.bin/hydra. The error wraps fs.ErrNotExist and says how to
// build it when the binary is missing.
func Binary() (string, error) {
	if p := os.Getenv(EnvBin); p != "" {
		if err := checkExecutable(p); err != nil {
			return "", fmt.Errorf("hydraproc: %s=%s: %w", EnvBin, p, err)
		}
		return p, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, ".bin", "hydra")
	if err := checkExecutable(p); err != nil {
		return "", fmt.Errorf("hydraproc: %w (build it with `make hydra` or set %s)", err, EnvBin)
	}
	return p, nil
}

func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}

// Start runs `hydra serve all --dev --sqa-opt-out` with an in-memory
// database and returns once its admin API reports ready. ctx bounds the
// start only; the process runs until [Hydra.Stop].
func Start(ctx context.Context, opts Options) (*Hydra, error) {
	if opts.Bin == "" {
		bin, err := Binary()
		if err != nil {
			return nil, err
		}
		opts.Bin = bin
	}
	if opts.SecretsSystem == "" {
		var b [24]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("hydraproc: secret: %w", err)
		}
		opts.SecretsSystem = hex.EncodeToString(b[:])
	}
	if len(opts.SecretsSystem) < 16 {
		return nil, fmt.Errorf("hydraproc: SecretsSystem has %d characters, want at least 16", len(opts.SecretsSystem))
	}
	autoPorts := opts.PublicPort == 0 || opts.AdminPort == 0
	for attempt := 1; ; attempt++ {
		h, err := start(ctx, opts)
		if err == nil {
			return h, nil
		}
		if !autoPorts || attempt == startAttempts || !errors.Is(err, errAddrInUse) || ctx.Err() != nil {
			return nil, err
		}
	}
}

func start(ctx context.Context, opts Options) (*Hydra, error) {
	publicHost := cmp.Or(opts.PublicHost, defaultHost)
	adminHost := cmp.Or(opts.AdminHost, defaultHost)
	publicPort, adminPort, err := pickPorts(publicHost, opts.PublicPort, adminHost, opts.AdminPort)
	if err != nil {
		return nil, err
	}
	h := &Hydra{
		publicURL: "http://" + net.JoinHostPort(dialHost(publicHost), strconv.Itoa(publicPort)),
		adminURL:  "http://" + net.JoinHostPort(dialHost(adminHost), strconv.Itoa(adminPort)),
		grace:     cmp.Or(opts.StopGrace, defaultStopGrace),
		tail:      &tailBuffer{max: tailSize},
		exited:    make(chan struct{}),
	}
	h.issuer = cmp.Or(opts.Issuer, h.publicURL)

	env := []string{
		"DSN=memory",
		"LOG_LEVEL=warn",
		"OAUTH2_EXPOSE_INTERNAL_ERRORS=true",
		AllowedTopLevelClaimsEnv,
		"SECRETS_SYSTEM=" + opts.SecretsSystem,
		"URLS_SELF_ISSUER=" + h.issuer,
		"SERVE_PUBLIC_HOST=" + publicHost,
		"SERVE_PUBLIC_PORT=" + strconv.Itoa(publicPort),
		"SERVE_ADMIN_HOST=" + adminHost,
		"SERVE_ADMIN_PORT=" + strconv.Itoa(adminPort),
	}
	for _, kv := range []struct{ key, val string }{
		{"URLS_LOGIN", opts.LoginURL},
		{"URLS_CONSENT", opts.ConsentURL},
		{"URLS_LOGOUT", opts.LogoutURL},
		{"URLS_ERROR", opts.ErrorURL},
		{"URLS_POST_LOGOUT_REDIRECT", opts.PostLogoutRedirectURL},
		{"TTL_ACCESS_TOKEN", duration(opts.TTL.AccessToken)},
		{"TTL_REFRESH_TOKEN", duration(opts.TTL.RefreshToken)},
		{"TTL_ID_TOKEN", duration(opts.TTL.IDToken)},
		{"TTL_AUTH_CODE", duration(opts.TTL.AuthCode)},
		{"TTL_LOGIN_CONSENT_REQUEST", duration(opts.TTL.LoginConsentRequest)},
	} {
		if kv.val != "" {
			env = append(env, kv.key+"="+kv.val)
		}
	}
	// Only a few variables are inherited: Hydra reads its whole
	// configuration from the environment, and a stray DSN or SERVE_* from
	// the developer's shell must not change what the tests run against.
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "TZ"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, opts.ExtraEnv...) // exec keeps the last value of a duplicate key

	cmd := exec.Command(opts.Bin, "serve", "all", "--dev", "--sqa-opt-out")
	cmd.Env = env
	cmd.Stdout = teeTo(h.tail, opts.Stdout)
	cmd.Stderr = teeTo(h.tail, opts.Stderr)
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("hydraproc: start %s: %w", opts.Bin, err)
	}
	h.cmd = cmd
	go func() {
		h.waitErr = cmd.Wait()
		close(h.exited)
	}()

	cfg := hydra.NewConfiguration()
	cfg.Servers = hydra.ServerConfigurations{{URL: h.adminURL}}
	cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	h.admin = hydra.NewAPIClient(cfg)

	if err := h.waitReady(ctx, cmp.Or(opts.StartTimeout, defaultStartTimeout)); err != nil {
		h.kill()
		return nil, err
	}
	return h, nil
}

// waitReady polls GET {admin}/health/ready until it answers 200.
func (h *Hydra) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(readyPollInterval)
	defer tick.Stop()
	client := &http.Client{Timeout: time.Second}
	var last string
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.adminURL+"/health/ready", nil)
		if err != nil {
			return fmt.Errorf("hydraproc: readiness request: %w", err)
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-h.exited:
			err := fmt.Errorf("hydraproc: hydra exited before it was ready (%v)%s", h.waitErr, h.tailForError())
			if strings.Contains(h.tail.String(), "address already in use") {
				err = fmt.Errorf("%w: %w", errAddrInUse, err)
			}
			return err
		case <-ctx.Done():
			return fmt.Errorf("hydraproc: waiting for hydra to be ready: %w%s", ctx.Err(), h.tailForError())
		case <-deadline.C:
			return fmt.Errorf("hydraproc: hydra not ready after %v (last answer from %s/health/ready: %s)%s",
				timeout, h.adminURL, last, h.tailForError())
		case <-tick.C:
		}
	}
}

func (h *Hydra) tailForError() string {
	t := strings.TrimSpace(h.tail.String())
	if t == "" {
		return "; hydra wrote nothing"
	}
	return "\n--- hydra output (tail) ---\n" + t
}

// kill ends a process that never became ready.
func (h *Hydra) kill() {
	h.stopOnce.Do(func() {
		_ = h.cmd.Process.Kill()
		<-h.exited
	})
}

// Stop ends Hydra: SIGTERM, then SIGKILL if it has not exited after the
// grace period. It waits for the process and is safe to call more than
// once. It reports an error if Hydra had already exited on its own (it
// crashed while in use) or had to be killed.
func (h *Hydra) Stop() error {
	h.stopOnce.Do(func() {
		select {
		case <-h.exited:
			h.stopErr = fmt.Errorf("hydraproc: hydra had exited before Stop (%v)%s", h.waitErr, h.tailForError())
			return
		default:
		}
		if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			_ = h.cmd.Process.Kill()
		}
		timer := time.NewTimer(h.grace)
		defer timer.Stop()
		select {
		case <-h.exited:
		case <-timer.C:
			_ = h.cmd.Process.Kill()
			<-h.exited
			h.stopErr = fmt.Errorf("hydraproc: hydra did not exit within %v of SIGTERM; killed", h.grace)
		}
	})
	return h.stopErr
}

// Exited is closed when the Hydra process has exited, for whatever reason.
func (h *Hydra) Exited() <-chan struct{} { return h.exited }

// PID returns the process id of Hydra.
func (h *Hydra) PID() int { return h.cmd.Process.Pid }

// PublicURL returns the base URL of the public API (OAuth2 and OIDC
// endpoints), e.g. http://127.0.0.1:41233, without a trailing slash.
func (h *Hydra) PublicURL() string { return h.publicURL }

// AdminURL returns the base URL of the admin API without the /admin prefix
// that every admin route has; /health/ready lives directly under it.
func (h *Hydra) AdminURL() string { return h.adminURL }

// Issuer returns the issuer Hydra puts in tokens and discovery.
func (h *Hydra) Issuer() string { return h.issuer }

// Admin returns a hydra-client-go client for the admin API.
func (h *Hydra) Admin() *hydra.APIClient { return h.admin }

// Output returns the last 16 KiB of what Hydra wrote to stdout and stderr.
func (h *Hydra) Output() string { return h.tail.String() }

// CreateClient registers an OAuth2 client through the admin API and returns
// it as Hydra stored it, including a generated client_secret when none was
// given.
func (h *Hydra) CreateClient(ctx context.Context, c hydra.OAuth2Client) (hydra.OAuth2Client, error) {
	got, resp, err := h.admin.OAuth2API.CreateOAuth2Client(ctx).OAuth2Client(c).Execute()
	if err != nil {
		return hydra.OAuth2Client{}, APIError("create oauth2 client", resp, err)
	}
	return *got, nil
}

// APIError wraps an error from hydra-client-go with the HTTP status and
// the body Hydra answered, which the client's own error leaves out.
func APIError(op string, resp *http.Response, err error) error {
	detail := ""
	var apiErr *hydra.GenericOpenAPIError
	if errors.As(err, &apiErr) && len(apiErr.Body()) > 0 {
		detail = ": " + strings.TrimSpace(string(apiErr.Body()))
	}
	if resp != nil {
		return fmt.Errorf("hydraproc: %s: HTTP %d%s: %w", op, resp.StatusCode, detail, err)
	}
	return fmt.Errorf("hydraproc: %s%s: %w", op, detail, err)
}

// pickPorts returns the given ports, replacing 0 with free ports on the
// given hosts. Both probe listeners stay open until both ports are known,
// so the two ports differ.
func pickPorts(publicHost string, publicPort int, adminHost string, adminPort int) (int, int, error) {
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	pick := func(host string, port int) (int, error) {
		if port != 0 {
			return port, nil
		}
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return 0, fmt.Errorf("hydraproc: pick a free port on %s: %w", host, err)
		}
		closers = append(closers, l)
		addr, ok := l.Addr().(*net.TCPAddr)
		if !ok {
			return 0, fmt.Errorf("hydraproc: pick a free port on %s: listener address %v is not TCP", host, l.Addr())
		}
		return addr.Port, nil
	}
	pub, err := pick(publicHost, publicPort)
	if err != nil {
		return 0, 0, err
	}
	adm, err := pick(adminHost, adminPort)
	if err != nil {
		return 0, 0, err
	}
	return pub, adm, nil
}

// dialHost turns a listen host into one a client can dial.
func dialHost(host string) string {
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if ip.To4() != nil {
			return "127.0.0.1"
		}
		return "::1"
	}
	if host == "" {
		return defaultHost
	}
	return host
}

// duration formats d the way Hydra's config schema wants it
// (^(\d+(ns|us|ms|s|m|h))+$); zero means "not set".
func duration(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	case d%time.Millisecond == 0:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	default:
		return strconv.FormatInt(d.Nanoseconds(), 10) + "ns"
	}
}

func teeTo(tail *tailBuffer, w io.Writer) io.Writer {
	if w == nil {
		return tail
	}
	return io.MultiWriter(tail, lenient{w})
}

// lenient hides the caller's write errors: a failing log writer must not
// break the pipe Hydra writes to.
type lenient struct{ w io.Writer }

func (l lenient) Write(p []byte) (int, error) {
	_, _ = l.w.Write(p)
	return len(p), nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
