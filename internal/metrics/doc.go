// Package metrics holds the login-and-consent provider's Prometheus
// collectors (DESIGN.md §8) and the decorator that measures its calls to the
// authenticator plugin. Every collector is registered on a registry the
// caller injects: nothing here touches prometheus.DefaultRegisterer, so
// tests and processes each own theirs.
//
// The metrics created by New:
//
//	bp_http_requests_total{handler,method,code}        counter: provider responses
//	bp_http_request_duration_seconds{handler,method}   histogram: time to respond
//	bp_plugin_calls_total{method,code}                 counter: calls to the authenticator
//	bp_plugin_call_duration_seconds{method}            histogram: time per call
//	bp_logins_total{result,acr,error}                  counter: logins accepted (acr) or rejected (error)
//	go_*, process_*                                    the Go runtime and the process
//
// and by NewOutboxCollector, from the plugin's webhook outbox (Admin
// DeliveryStats, called on each scrape with a 2 s timeout):
//
//	bp_webhook_deliveries_pending                      gauge: deliveries not yet delivered nor given up on
//	bp_webhook_deliveries_dead                         gauge: dead letters waiting for an operator
//	bp_webhook_oldest_pending_age_seconds              gauge: age of the oldest pending delivery, 0 when none
//	bp_webhook_stats_up                                gauge: 1 when that call worked; 0, and no other bp_webhook_*, when not
//
// handler is the route that served the request (integration/hydra's route
// patterns such as "/api/v1/approvals/{id}", or "other"), never the raw
// URL path, which may carry ids and tokens and is unbounded. method is an
// HTTP method from a fixed list (else "other") or a plugin.Services method
// name; code is the HTTP status or the authenticator error code
// (authenticator.CodeOf; "ok" on success, "panic" when the call panicked).
// No label ever carries a user id, credential id, secret, token or email.
//
// Only internal/app imports this package: acr, authenticator, plugin and
// integration/hydra stay free of Prometheus (deps_test.go); the provider
// hands integration/hydra plain functions (hydra.Config.ObserveRequest,
// ObserveLogin).
package metrics
