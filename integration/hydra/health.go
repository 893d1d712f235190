package hydra

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// readyTimeout bounds each readiness probe's dependency checks.
const readyTimeout = 3 * time.Second

type healthResponse struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// healthz is GET /healthz: the process is alive.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, healthResponse{Status: "ok"})
}

// readyz is GET /readyz: 200 only when the authenticator plugin answers
// Capabilities and Hydra's admin API answers /health/ready; otherwise 503
// with the failing dependencies named (details go to the log).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	var reasons []string
	if _, err := s.auth.Capabilities(ctx); err != nil {
		reasons = append(reasons, "authenticator plugin is not ready")
		s.log.LogAttrs(ctx, slog.LevelWarn, "readiness: authenticator", slog.String("error", err.Error()))
	}
	if err := s.hydraReady(ctx); err != nil {
		reasons = append(reasons, "hydra admin API is not ready")
		s.log.LogAttrs(ctx, slog.LevelWarn, "readiness: hydra", slog.String("error", err.Error()))
	}
	if len(reasons) > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		s.writeJSON(w, r, http.StatusServiceUnavailable, healthResponse{Status: "unavailable", Reason: strings.Join(reasons, "; ")})
		return
	}
	s.writeJSON(w, r, http.StatusOK, healthResponse{Status: "ready"})
}
