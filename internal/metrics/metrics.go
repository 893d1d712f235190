package metrics

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Label values that stand for "anything else", so that no label takes a
// value a client chose.
const (
	// Other is the handler label of a request no route matched and the
	// method label of a non-standard HTTP method.
	Other = "other"
	// CodeOK is the code label of a plugin call that returned no error.
	CodeOK = "ok"
	// CodePanic is the code label of a plugin call that panicked.
	CodePanic = "panic"
)

// Metrics is the provider's set of collectors, registered on one registry.
// Its methods are safe for concurrent use.
type Metrics struct {
	requests    *prometheus.CounterVec
	requestTime *prometheus.HistogramVec
	calls       *prometheus.CounterVec
	callTime    *prometheus.HistogramVec
	logins      *prometheus.CounterVec
	now         func() time.Time
}

// New creates the provider's collectors, the Go runtime collector and the
// process collector, and registers them all on reg. It fails when reg
// already holds a collector of the same name (New called twice on one
// registry).
func New(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("metrics: a registry is required")
	}
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bp_http_requests_total",
			Help: "HTTP responses of the login provider, by route (handler), method and status code.",
		}, []string{"handler", "method", "code"}),
		requestTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bp_http_request_duration_seconds",
			Help:    "Time the login provider took to respond, by route (handler) and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"handler", "method"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bp_plugin_calls_total",
			Help: "Calls to the authenticator plugin, by method and authenticator error code (ok on success).",
		}, []string{"method", "code"}),
		callTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bp_plugin_call_duration_seconds",
			Help:    "Time a call to the authenticator plugin took, as the provider sees it, by method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bp_logins_total",
			Help: "Login requests answered to Hydra: accepted with the acr granted, or rejected with the OAuth error.",
		}, []string{"result", "acr", "error"}),
		now: time.Now,
	}
	for _, c := range []prometheus.Collector{
		m.requests, m.requestTime, m.calls, m.callTime, m.logins,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ObserveRequest counts one HTTP response. route must be a route pattern or
// Other, never a raw path; method is the request's method, which is
// recorded only when it is a standard one (else Other), because a client
// can send any token there. Its signature is hydra.Config.ObserveRequest's.
func (m *Metrics) ObserveRequest(route, method string, status int, elapsed time.Duration) {
	method = methodLabel(method)
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.requestTime.WithLabelValues(route, method).Observe(elapsed.Seconds())
}

// ObserveLogin counts one login answered to Hydra (hydra.Config.ObserveLogin).
// The acr comes from the service's configured ladder and the error from the
// provider's fixed set of OAuth errors, so both are bounded; a value that is
// not a plain token (at most 128 bytes of printable ASCII) is counted as
// Other all the same.
func (m *Metrics) ObserveLogin(result, acr, errorCode string) {
	m.logins.WithLabelValues(tokenLabel(result), tokenLabel(acr), tokenLabel(errorCode)).Inc()
}

// tokenLabel keeps v when it is empty or a plain token, else Other.
func tokenLabel(v string) string {
	if len(v) > 128 {
		return Other
	}
	for i := range len(v) {
		if v[i] <= ' ' || v[i] > '~' {
			return Other
		}
	}
	return v
}

// methodLabel keeps the HTTP methods of RFC 9110 §9 and PATCH; anything
// else is Other.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return Other
}

// Handler serves the exposition of g (the registry New registered on) for
// scrapes: the operator's /metrics. A collector that fails is logged to log
// at warn level, and the scrape answers 500.
func Handler(g prometheus.Gatherer, log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)})
}
