package hydra

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	hydraapi "github.com/ory/hydra-client-go/v2"

	"github.com/biometric-passkey/biometric-passkey/plugin"
)

// Server is the login-and-consent provider. It keeps no state of its own:
// every request is Hydra admin calls plus plugin calls, so any number of
// replicas can serve the same Hydra.
type Server struct {
	cfg        Config
	basePath   string // PublicURL's path, "" at the root
	secure     bool   // PublicURL is https: cookies get the Secure flag
	auth       plugin.Authenticator
	hydra      *hydraapi.APIClient
	log        *slog.Logger
	pages      map[string]*template.Template
	firstParty map[string]bool
	handler    http.Handler
}

// New validates a copy of cfg, reporting every problem at once, and returns
// a Server that calls auth for every ceremony and decision.
func New(cfg Config, auth plugin.Authenticator) (*Server, error) {
	cfg, public, err := cfg.normalize()
	if auth == nil {
		err = errors.Join(err, fmt.Errorf("%w: authenticator: required", ErrInvalidConfig))
	}
	if err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}

	hc := hydraapi.NewConfiguration()
	hc.Servers = hydraapi.ServerConfigurations{{URL: cfg.HydraAdminURL}}
	hc.HTTPClient = cfg.HTTPClient
	hc.UserAgent = "biometric-passkey-hydra-login"

	s := &Server{
		cfg:        cfg,
		basePath:   public.Path,
		secure:     public.Scheme == "https",
		auth:       auth,
		hydra:      hydraapi.NewAPIClient(hc),
		log:        cfg.Logger,
		pages:      pages,
		firstParty: make(map[string]bool, len(cfg.FirstPartyClients)),
	}
	for _, id := range cfg.FirstPartyClients {
		s.firstParty[id] = true
	}
	s.handler = s.withCommonHeaders(s.routes())
	return s, nil
}

// Handler returns the provider's HTTP handler; doc.go maps its routes.
func (s *Server) Handler() http.Handler { return s.handler }

// Route paths, relative to PublicURL.
const (
	pathLogin           = "/login"
	pathEnroll          = "/enroll"
	pathConsent         = "/consent"
	pathLogout          = "/logout"
	pathVerify          = "/verify"
	pathRecover         = "/recover"
	pathContinue        = "/api/v1/identity-check/continue"
	pathRecoveryBegin   = "/api/v1/recovery/begin"
	pathApprovals       = "/api/v1/approvals/"
	pathLoginBegin      = "/api/v1/login/begin"
	pathLoginFinish     = "/api/v1/login/finish"
	pathEnrollBegin     = "/api/v1/enroll/begin"
	pathEnrollFinish    = "/api/v1/enroll/finish"
	pathEnrollments     = "/api/v1/enrollments"
	pathIDVWebhooks     = "/idv/webhooks"
	pathOpenAPI         = "/api/openapi.yaml"
	pathHealthz         = "/healthz"
	pathReadyz          = "/readyz"
	pathStatic          = "/static/"
	pathAPIPrefix       = "/api/"
	cspHeader           = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
	staticCacheControl  = "public, max-age=3600"
	noStoreCacheControl = "no-store"
	yamlContentType     = "application/yaml"
	jsonContentType     = "application/json"
	htmlContentType     = "text/html; charset=utf-8"
)

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET "+pathLogin, s.page(s.login))
	mux.Handle("GET "+pathEnroll, s.page(s.enrollPage))
	mux.Handle("GET "+pathConsent, s.page(s.consent))
	mux.Handle("POST "+pathConsent, s.page(s.consentSubmit))
	mux.Handle("GET "+pathLogout, s.page(s.logout))
	mux.Handle("GET "+pathVerify, s.page(s.verifyPage))
	mux.Handle("POST "+pathVerify, s.page(s.verifySubmit))
	mux.Handle("GET "+pathRecover, s.page(s.recoverPage))

	mux.Handle(pathLoginBegin, s.api(http.MethodPost, s.loginBegin))
	mux.Handle(pathLoginFinish, s.api(http.MethodPost, s.loginFinish))
	mux.Handle(pathEnrollBegin, s.api(http.MethodPost, s.enrollBegin))
	mux.Handle(pathEnrollFinish, s.api(http.MethodPost, s.enrollFinish))
	mux.Handle(pathEnrollments, s.api(http.MethodPost, s.createEnrollment))
	mux.Handle(pathContinue, s.api(http.MethodPost, s.identityCheckContinue))
	mux.Handle(pathRecoveryBegin, s.api(http.MethodPost, s.recoveryBegin))
	mux.Handle(pathApprovals+"{id}", s.api(http.MethodGet, s.approval))
	mux.HandleFunc(pathAPIPrefix, func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, &httpError{status: http.StatusNotFound, code: codeNotFound, message: "no such API endpoint"})
	})
	mux.HandleFunc("GET "+pathOpenAPI, serveOpenAPI)

	mux.Handle(pathIDVWebhooks, s.api(http.MethodPost, s.idvWebhook))

	mux.HandleFunc("GET "+pathHealthz, s.healthz)
	mux.HandleFunc("GET "+pathReadyz, s.readyz)

	static, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.StripPrefix(pathStatic, http.FileServerFS(static))
	mux.Handle("GET "+pathStatic, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // files only, no listings
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", staticCacheControl)
		files.ServeHTTP(w, r)
	}))

	mux.Handle("/", s.page(func(http.ResponseWriter, *http.Request) error {
		return &httpError{status: http.StatusNotFound, code: codeNotFound, message: "There is no page at this address."}
	}))
	return mux
}

// withCommonHeaders sets the security headers every response carries, logs
// each request (path only: queries carry challenges and tokens) and hands
// it to Config.ObserveRequest (route only).
func (s *Server) withCommonHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.cfg.Now()
		h := w.Header()
		h.Set("Content-Security-Policy", cspHeader)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", noStoreCacheControl)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		elapsed := s.cfg.Now().Sub(start)
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "http request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.Duration("duration", elapsed))
		if s.cfg.ObserveRequest != nil {
			s.cfg.ObserveRequest(routeOf(r.Pattern), r.Method, sw.status, elapsed)
		}
	})
}

// RouteOther is the route Config.ObserveRequest reports for a request no
// route served: an unknown page or API path, or a method a route does not
// take.
const RouteOther = "other"

// routeOf turns the ServeMux pattern that served a request (set on the
// request by the mux, "" when none matched) into its route: the path part
// without the method, and RouteOther for the catch-alls that only answer
// 404.
func routeOf(pattern string) string {
	if _, path, ok := strings.Cut(pattern, " "); ok {
		pattern = path
	}
	switch pattern {
	case "", "/", pathAPIPrefix:
		return RouteOther
	}
	return pattern
}

// statusWriter remembers the status code for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// publicURL returns the absolute URL of path under PublicURL.
func (s *Server) publicURL(path string) string { return s.cfg.PublicURL + path }
