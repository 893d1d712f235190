package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/biometric-passkey/biometric-passkey/adminui"
	"github.com/biometric-passkey/biometric-passkey/integration/hydra"
	"github.com/biometric-passkey/biometric-passkey/internal/metrics"
	"github.com/biometric-passkey/biometric-passkey/plugin"
)

// Provider is a running login-and-consent provider with its authenticator.
type Provider struct {
	svc      plugin.Services
	srv      *http.Server
	ln       net.Listener
	dash     *http.Server // the operator dashboard; nil unless adminui.enabled
	dashLn   net.Listener
	metrics  *http.Server // Prometheus /metrics; nil unless host.metrics_listen
	metricLn net.Listener
	closers  []func() error
	done     chan error
	shutdown time.Duration
}

// StartProvider launches the authenticator (the plugin binary, or in-process
// when cfg.Plugin.Path is empty) and serves the provider on cfg.Host.Listen.
// configPath is handed to the plugin so both read the same file. With
// cfg.Host.MetricsListen set it also serves Prometheus metrics there, from
// a registry of this provider's own.
func StartProvider(ctx context.Context, cfg Config, configPath string, log *slog.Logger) (*Provider, error) {
	p := &Provider{done: make(chan error, 3), shutdown: cfg.Host.ShutdownTimeout}
	var (
		reg *prometheus.Registry
		m   *metrics.Metrics
	)
	if cfg.Host.MetricsListen != "" {
		reg = prometheus.NewRegistry()
		var err error
		if m, err = metrics.New(reg); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	if cfg.Plugin.Path == "" {
		log.Warn("authenticator runs in-process: no plugin isolation (development only)")
		// This process holds the authenticator, so it also serves the
		// sandbox's capture pages when that is the provider.
		a, err := StartAuthenticator(ctx, cfg, log)
		if err != nil {
			return nil, err
		}
		p.svc, p.closers = a.Service, append(p.closers, a.Close)
	} else {
		var args []string
		if configPath != "" {
			abs, err := filepath.Abs(configPath)
			if err != nil {
				return nil, fmt.Errorf("config path: %w", err)
			}
			args = []string{"--config", abs}
		}
		host, err := plugin.Launch(ctx, plugin.LaunchConfig{
			Path: cfg.Plugin.Path, Args: args, SHA256: cfg.Plugin.SHA256, Logger: log, StartTimeout: cfg.Plugin.StartTimeout,
		})
		if err != nil {
			return nil, fmt.Errorf("start plugin: %w", err)
		}
		p.svc, p.closers = host, append(p.closers, func() error { host.Close(); return nil })
	}
	var (
		observe      func(route, method string, status int, elapsed time.Duration)
		observeLogin func(result, acr, errorCode string)
	)
	if m != nil {
		p.svc, observe, observeLogin = m.Services(p.svc), m.ObserveRequest, m.ObserveLogin
		// The webhook outbox lives in the plugin's store: each scrape asks
		// the plugin (through the measured p.svc) for its health.
		if err := reg.Register(metrics.NewOutboxCollector(p.svc, log)); err != nil {
			return nil, errors.Join(fmt.Errorf("metrics: %w", err), p.closeAll())
		}
	}
	srv, err := hydra.New(hydra.Config{
		PublicURL: cfg.Host.PublicURL, HydraAdminURL: cfg.Host.HydraAdminURL, FirstPartyClients: cfg.Host.FirstPartyClients,
		EnrollmentScope: cfg.Host.EnrollmentScope, ApprovalScope: cfg.Host.ApprovalScope,
		OperatorClients: cfg.Host.OperatorClients, OperatorRoles: cfg.Host.OperatorRoles, OperatorRolesClaim: cfg.Host.OperatorRolesClaim,
		Sandbox: cfg.Authenticator.IDV.Provider == IDVProviderSandbox, RememberFor: cfg.Authenticator.SessionTTL, Logger: log,
		ObserveRequest: observe, ObserveLogin: observeLogin,
	}, p.svc)
	if err != nil {
		return nil, errors.Join(err, p.closeAll())
	}
	sandbox := cfg.Authenticator.IDV.Provider == IDVProviderSandbox
	if cfg.AdminUI.Enabled {
		if err := p.startDashboard(cfg, hydraSessions{srv}, sandbox, log); err != nil {
			return nil, errors.Join(err, p.closeAll())
		}
	}
	if reg != nil {
		if err := p.startMetrics(cfg.Host.MetricsListen, reg, log); err != nil {
			return nil, errors.Join(err, p.closeDashboard(), p.closeAll())
		}
	}
	if p.ln, err = net.Listen("tcp", cfg.Host.Listen); err != nil {
		return nil, errors.Join(fmt.Errorf("host.listen: %w", err), p.closeMetrics(), p.closeDashboard(), p.closeAll())
	}
	p.srv = &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() { p.done <- p.srv.Serve(p.ln) }()
	log.Info("provider listening", "addr", p.ln.Addr().String(), "public_url", cfg.Host.PublicURL)
	return p, nil
}

// startDashboard serves the operator dashboard on adminui.listen. Its end
// is reported on Done like the provider's.
func (p *Provider) startDashboard(cfg Config, sessions adminui.Sessions, sandbox bool, log *slog.Logger) error {
	c := cfg.AdminUI
	dc, err := c.dashboardConfig(sandbox, log)
	if err != nil {
		return err
	}
	dc.Sessions, dc.Settings = sessions, settings(cfg)
	dash, err := adminui.New(dc, p.Admin())
	if err != nil {
		return err
	}
	if p.dashLn, err = net.Listen("tcp", c.Listen); err != nil {
		return fmt.Errorf("adminui.listen: %w", err)
	}
	p.dash = &http.Server{Handler: dash.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	p.serveBeside("adminui", p.dash, p.dashLn)
	log.Info("operator dashboard listening", "addr", p.dashLn.Addr().String(), "public_url", c.PublicURL, "issuer", c.Issuer)
	return nil
}

// startMetrics serves reg's exposition at /metrics (and nothing else) on
// addr, a listener of its own: never the public one. Its end is reported on
// Done like the provider's.
func (p *Provider) startMetrics(addr string, reg *prometheus.Registry, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("host.metrics_listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler(reg, log))
	p.metricLn = ln
	p.metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	p.serveBeside("metrics", p.metrics, ln)
	log.Info("metrics listening", "addr", ln.Addr().String(), "path", "/metrics")
	return nil
}

// serveBeside serves srv on ln beside the provider's own listener; an end
// other than Close is reported on Done, prefixed with name.
func (p *Provider) serveBeside(name string, srv *http.Server, ln net.Listener) {
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			p.done <- fmt.Errorf("%s: %w", name, err)
		}
	}()
}

// MetricsAddr is the address serving /metrics; nil when host.metrics_listen
// is empty.
func (p *Provider) MetricsAddr() net.Addr {
	if p.metricLn == nil {
		return nil
	}
	return p.metricLn.Addr()
}

func (p *Provider) closeMetrics() error {
	if p.metrics == nil {
		return nil
	}
	return p.metrics.Close()
}

// DashboardAddr is the operator dashboard's address; nil when it is off.
func (p *Provider) DashboardAddr() net.Addr {
	if p.dashLn == nil {
		return nil
	}
	return p.dashLn.Addr()
}

func (p *Provider) closeDashboard() error {
	if p.dash == nil {
		return nil
	}
	return p.dash.Close()
}

// Admin is the operator service of the running authenticator.
func (p *Provider) Admin() plugin.Admin { return p.svc }

// Addr is the address the provider listens on.
func (p *Provider) Addr() net.Addr { return p.ln.Addr() }

// Done reports the server's end (an error other than http.ErrServerClosed
// means it failed).
func (p *Provider) Done() <-chan error { return p.done }

// Close drains requests for up to host.shutdown_timeout (the dashboard's,
// the provider's, then the metrics listener's), then stops the
// authenticator.
func (p *Provider) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), p.shutdown)
	defer cancel()
	var dash, met error
	if p.dash != nil {
		dash = p.dash.Shutdown(ctx)
	}
	err := p.srv.Shutdown(ctx) // the provider first, so its last requests are still counted
	if p.metrics != nil {
		met = p.metrics.Shutdown(ctx)
	}
	return errors.Join(err, dash, met, p.closeAll())
}

func (p *Provider) closeAll() error {
	var errs []error
	for _, c := range p.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// hydraSessions gives the dashboard the users' sessions at Hydra.
type hydraSessions struct{ srv *hydra.Server }

func (h hydraSessions) ConsentSessions(ctx context.Context, subject string) ([]adminui.ClientSession, error) {
	got, err := h.srv.ConsentSessions(ctx, subject)
	out := make([]adminui.ClientSession, 0, len(got))
	for _, c := range got {
		out = append(out, adminui.ClientSession(c))
	}
	return out, err
}

func (h hydraSessions) RevokeSessions(ctx context.Context, subject string) error {
	return h.srv.RevokeSessions(ctx, subject)
}
