package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// OutboxTimeout bounds the plugin call an OutboxCollector makes on each
// scrape, well inside a scrape's usual 10 s budget.
const OutboxTimeout = 2 * time.Second

// OutboxSource is where an OutboxCollector reads the webhook outbox's
// health: plugin.Admin's DeliveryStats.
type OutboxSource interface {
	DeliveryStats(ctx context.Context) (authenticator.DeliveryStats, error)
}

// OutboxCollector exports the webhook outbox's health (docs/events.md), read
// from the plugin on every scrape, so that an operator can alert on
// lifecycle events piling up or dying:
//
//	bp_webhook_deliveries_pending          gauge: deliveries not yet delivered nor given up on
//	bp_webhook_deliveries_dead             gauge: dead letters waiting for an operator
//	bp_webhook_oldest_pending_age_seconds  gauge: age of the oldest pending delivery, 0 when none
//	bp_webhook_stats_up                    gauge: 1 when the read worked, else 0
//
// A failed or slow read (OutboxTimeout) does not fail the scrape: it
// exports bp_webhook_stats_up 0 and none of the other three, and logs the
// error. No metric carries a label.
type OutboxCollector struct {
	src     OutboxSource
	log     *slog.Logger
	timeout time.Duration
	now     func() time.Time

	pending, dead, age, up *prometheus.Desc
}

var _ prometheus.Collector = (*OutboxCollector)(nil)

// NewOutboxCollector returns a collector reading src; the caller registers
// it (internal/app does, with the metrics registry). A read that fails is
// logged to log at warn level.
func NewOutboxCollector(src OutboxSource, log *slog.Logger) *OutboxCollector {
	return &OutboxCollector{
		src: src, log: log, timeout: OutboxTimeout, now: time.Now,
		pending: prometheus.NewDesc("bp_webhook_deliveries_pending",
			"Webhook deliveries of lifecycle events not yet delivered nor given up on: the outbox's backlog.", nil, nil),
		dead: prometheus.NewDesc("bp_webhook_deliveries_dead",
			"Dead-lettered webhook deliveries, waiting for an operator to redeliver them.", nil, nil),
		age: prometheus.NewDesc("bp_webhook_oldest_pending_age_seconds",
			"Seconds since the oldest pending webhook delivery was queued; 0 when none is pending.", nil, nil),
		up: prometheus.NewDesc("bp_webhook_stats_up",
			"1 if this scrape read the webhook outbox's stats from the plugin, 0 if that failed (the other bp_webhook_ metrics are then absent).", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *OutboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.dead
	ch <- c.age
	ch <- c.up
}

// Collect implements prometheus.Collector: one DeliveryStats call, bounded
// by the collector's timeout.
func (c *OutboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	st, err := c.src.DeliveryStats(ctx)
	if err != nil {
		c.log.Warn("metrics: webhook outbox stats unavailable", "err", err)
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	var age float64
	if !st.OldestPendingAt.IsZero() {
		age = max(c.now().Sub(st.OldestPendingAt).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(c.dead, prometheus.GaugeValue, float64(st.Dead))
	ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
}
