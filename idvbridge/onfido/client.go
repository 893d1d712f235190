package onfido

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

const (
	// maxResponseBytes bounds what is read of an answer (a workflow run
	// with its output, or an error).
	maxResponseBytes = 4 << 20
	// retryBase and retryCap shape the backoff: before retry n (from 0) the
	// wait is uniform in [0, min(retryCap, retryBase·2ⁿ)) ("full jitter").
	retryBase = 250 * time.Millisecond
	retryCap  = 8 * time.Second
	// maxRetryAfter is the longest Retry-After honoured; a longer one ends
	// the request with ErrUnavailable at once rather than hold the caller.
	maxRetryAfter = 30 * time.Second
)

// request is one API call. route is the path with ids left out, for logs
// and errors (ids may carry a customer user id).
type request struct {
	method string
	path   string // escaped, relative to the base URL, e.g. /workflow_runs/<id>
	route  string // e.g. /workflow_runs/{id}
	body   any    // marshalled as JSON when non-nil
}

// do sends r, retrying 429 and 5xx answers (and, for GET and DELETE,
// transport failures) with exponential backoff and full jitter, honouring
// Retry-After; it never retries another 4xx. A 2xx answer is decoded into
// out (when non-nil). Failures wrap an idvbridge sentinel:
//
//   - 404, 410: ErrNotFound
//   - 429, 5xx after the retries, transport failures, timeouts, an
//     undecodable 2xx answer: ErrUnavailable
//   - any other status: ErrRejected
//
// with the documented error body as an *idvbridge.APIError.
//
// Specification: error shape {"error":{"type","message","fields"}}
// (onfido-openapi-spec responses/default_error.yaml). Retry-After: RFC 9110
// §10.2.3 (Onfido's rate limits and their headers are not in the spec).
func (p *Provider) do(ctx context.Context, r request, out any) error {
	var payload []byte
	if r.body != nil {
		var err error
		if payload, err = json.Marshal(r.body); err != nil {
			return fmt.Errorf("onfido: %s %s: encode: %w", r.method, r.route, err)
		}
	}
	idempotent := r.method == http.MethodGet || r.method == http.MethodDelete
	for attempt := 0; ; attempt++ {
		status, header, body, err := p.once(ctx, r, payload)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return fmt.Errorf("onfido: %s %s: %w: %w", r.method, r.route, idvbridge.ErrUnavailable, ctx.Err())
			}
			if !idempotent || attempt >= p.cfg.MaxRetries {
				return fmt.Errorf("onfido: %s %s: %w: %w", r.method, r.route, idvbridge.ErrUnavailable, err)
			}
			wait = p.backoff(attempt)
			p.log.WarnContext(ctx, "onfido: retrying after a transport failure",
				"method", r.method, "route", r.route, "attempt", attempt+1, "wait", wait, "error", err)

		case status >= 200 && status < 300:
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(body, out); err != nil {
				return fmt.Errorf("onfido: %s %s: %w: undecodable answer: %w", r.method, r.route, idvbridge.ErrUnavailable, err)
			}
			return nil

		default:
			apiErr := parseAPIError(status, body)
			retryable := status == http.StatusTooManyRequests || status >= 500
			if !retryable || attempt >= p.cfg.MaxRetries {
				return fmt.Errorf("onfido: %s %s: %w: %w", r.method, r.route, sentinelFor(status), apiErr)
			}
			wait = p.backoff(attempt)
			if ra, ok := p.retryAfter(header); ok {
				if ra > maxRetryAfter {
					return fmt.Errorf("onfido: %s %s: %w: Retry-After %v exceeds %v: %w",
						r.method, r.route, idvbridge.ErrUnavailable, ra, maxRetryAfter, apiErr)
				}
				wait = ra
			}
			p.log.WarnContext(ctx, "onfido: retrying",
				"method", r.method, "route", r.route, "status", status, "attempt", attempt+1, "wait", wait)
		}
		if deadline, ok := ctx.Deadline(); ok && wait > time.Until(deadline) { // a context's deadline is wall-clock time
			return fmt.Errorf("onfido: %s %s: %w: the next retry would pass the deadline", r.method, r.route, idvbridge.ErrUnavailable)
		}
		if err := p.cfg.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("onfido: %s %s: %w: %w", r.method, r.route, idvbridge.ErrUnavailable, err)
		}
	}
}

// once makes one attempt, bounded by the per-attempt timeout, and reads
// the (bounded) answer.
func (p *Provider) once(ctx context.Context, r request, payload []byte) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, p.cfg.BaseURL+r.path, body)
	if err != nil {
		return 0, nil, nil, err
	}
	// Specification: security scheme Token, header Authorization
	// (openapi.yaml); value "Token token=<API_TOKEN>".
	req.Header.Set("Authorization", "Token token="+p.cfg.APIToken)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := p.cfg.Now()
	resp, err := p.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, nil, scrub(err, p.cfg.APIToken)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read answer: %w", err)
	}
	if len(b) > maxResponseBytes {
		return 0, nil, nil, fmt.Errorf("answer exceeds %d bytes", maxResponseBytes)
	}
	p.log.DebugContext(ctx, "onfido: request",
		"method", r.method, "route", r.route, "status", resp.StatusCode, "duration", p.cfg.Now().Sub(start))
	return resp.StatusCode, resp.Header, b, nil
}

// backoff is the full-jitter wait before retry n (from 0).
func (p *Provider) backoff(n int) time.Duration {
	ceiling := retryCap
	if n < 16 {
		ceiling = min(retryCap, retryBase<<n)
	}
	return time.Duration(p.cfg.RandN(int64(ceiling)))
}

// retryAfter parses Retry-After: delay-seconds or an HTTP-date (RFC 9110
// §10.2.3).
func (p *Provider) retryAfter(h http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		if s > int64(maxRetryAfter/time.Second)+1 {
			return maxRetryAfter + time.Second, true
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(p.cfg.Now())), true
	}
	return 0, false
}

func sentinelFor(status int) error {
	switch {
	case status == http.StatusNotFound || status == http.StatusGone:
		return idvbridge.ErrNotFound
	case status == http.StatusTooManyRequests || status >= 500:
		return idvbridge.ErrUnavailable
	default:
		return idvbridge.ErrRejected
	}
}

// parseAPIError reads the documented error body; an answer without one
// still gives an APIError with the status.
func parseAPIError(status int, body []byte) *idvbridge.APIError {
	e := &idvbridge.APIError{HTTPStatus: status}
	var wire struct {
		Error *struct {
			Type    string          `json:"type"`
			Message string          `json:"message"`
			Fields  json.RawMessage `json:"fields"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &wire) != nil || wire.Error == nil {
		e.Message = http.StatusText(status)
		return e
	}
	e.Type, e.Message = wire.Error.Type, wire.Error.Message
	var fields map[string]any
	if len(wire.Error.Fields) > 0 && json.Unmarshal(wire.Error.Fields, &fields) == nil && len(fields) > 0 {
		e.Fields = map[string][]string{}
		flattenFields(e.Fields, "", fields)
	}
	return e
}

// flattenFields turns the free-form fields object (additionalProperties:
// true) into field → messages; nested objects become dotted names.
func flattenFields(dst map[string][]string, prefix string, src map[string]any) {
	keys := make([]string, 0, len(src))
	for k := range src {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		switch v := src[k].(type) {
		case string:
			dst[name] = append(dst[name], v)
		case []any:
			for _, item := range v {
				if s, ok := item.(string); ok {
					dst[name] = append(dst[name], s)
				} else if m, ok := item.(map[string]any); ok {
					flattenFields(dst, name, m)
				} else {
					dst[name] = append(dst[name], fmt.Sprint(item))
				}
			}
		case map[string]any:
			flattenFields(dst, name, v)
		default:
			dst[name] = append(dst[name], fmt.Sprint(v))
		}
	}
}

// scrub removes the API token from a transport error's text, in case a
// proxy or a custom transport put the request's headers in it.
func scrub(err error, secret string) error {
	if secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, "[redacted]"))
}
