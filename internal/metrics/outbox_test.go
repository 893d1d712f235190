package metrics

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// outboxSource is a fake plugin.Admin's DeliveryStats.
type outboxSource func(context.Context) (authenticator.DeliveryStats, error)

func (f outboxSource) DeliveryStats(ctx context.Context) (authenticator.DeliveryStats, error) {
	return f(ctx)
}

const outboxHelp = `# HELP bp_webhook_deliveries_dead Dead-lettered webhook deliveries, waiting for an operator to redeliver them.
# TYPE bp_webhook_deliveries_dead gauge
# HELP bp_webhook_deliveries_pending Webhook deliveries of lifecycle events not yet delivered nor given up on: the outbox's backlog.
# TYPE bp_webhook_deliveries_pending gauge
# HELP bp_webhook_oldest_pending_age_seconds Seconds since the oldest pending webhook delivery was queued; 0 when none is pending.
# TYPE bp_webhook_oldest_pending_age_seconds gauge
# HELP bp_webhook_stats_up 1 if this scrape read the webhook outbox's stats from the plugin, 0 if that failed (the other bp_webhook_ metrics are then absent).
# TYPE bp_webhook_stats_up gauge
`

func TestOutboxCollector(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		stats authenticator.DeliveryStats
		err   error
		want  string // the exposition's samples, after outboxHelp
	}{
		"a backlog": {
			stats: authenticator.DeliveryStats{Pending: 42, Dead: 3, OldestPendingAt: now.Add(-90 * time.Second)},
			want: "bp_webhook_deliveries_dead 3\nbp_webhook_deliveries_pending 42\n" +
				"bp_webhook_oldest_pending_age_seconds 90\nbp_webhook_stats_up 1\n",
		},
		"nothing pending": {
			stats: authenticator.DeliveryStats{Dead: 1},
			want: "bp_webhook_deliveries_dead 1\nbp_webhook_deliveries_pending 0\n" +
				"bp_webhook_oldest_pending_age_seconds 0\nbp_webhook_stats_up 1\n",
		},
		"a pending delivery from the future (clock skew)": {
			stats: authenticator.DeliveryStats{Pending: 1, OldestPendingAt: now.Add(time.Minute)},
			want: "bp_webhook_deliveries_dead 0\nbp_webhook_deliveries_pending 1\n" +
				"bp_webhook_oldest_pending_age_seconds 0\nbp_webhook_stats_up 1\n",
		},
		"the plugin fails": {
			err:  authenticator.Errorf(authenticator.CodeUnavailable, "plugin: connection lost"),
			want: "bp_webhook_stats_up 0\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var log bytes.Buffer
			c := NewOutboxCollector(outboxSource(func(context.Context) (authenticator.DeliveryStats, error) {
				return tc.stats, tc.err
			}), slog.New(slog.NewTextHandler(&log, nil)))
			c.now = func() time.Time { return now }
			if err := testutil.CollectAndCompare(c, strings.NewReader(outboxHelp+tc.want)); err != nil {
				t.Error(err)
			}
			if gotLog := strings.Contains(log.String(), "connection lost"); gotLog != (tc.err != nil) {
				t.Errorf("log: got %q, want the error logged only when the read failed", log.String())
			}
		})
	}
}

// TestOutboxCollectorTimesOut: a plugin that does not answer within the
// collector's timeout makes the scrape report bp_webhook_stats_up 0, in
// time, instead of hanging it.
func TestOutboxCollectorTimesOut(t *testing.T) {
	t.Parallel()
	c := NewOutboxCollector(outboxSource(func(ctx context.Context) (authenticator.DeliveryStats, error) {
		<-ctx.Done()
		return authenticator.DeliveryStats{}, ctx.Err()
	}), slog.New(slog.DiscardHandler))
	if c.timeout != OutboxTimeout {
		t.Errorf("timeout: got %v, want OutboxTimeout (%v)", c.timeout, OutboxTimeout)
	}
	c.timeout = 20 * time.Millisecond
	start := time.Now()
	if err := testutil.CollectAndCompare(c, strings.NewReader(outboxHelp+"bp_webhook_stats_up 0\n")); err != nil {
		t.Error(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("scrape took %v, want about the 20ms timeout", took)
	}
}

// TestOutboxCollectorOnARegistry: registered next to New's collectors, it
// passes the registry's consistency checks and its metrics reach a scrape
// over HTTP, which answers 200 even when the read fails.
func TestOutboxCollectorOnARegistry(t *testing.T) {
	t.Parallel()
	for name, err := range map[string]error{"ok": nil, "failing": errors.New("store down")} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, reg := newMetrics(t)
			c := NewOutboxCollector(outboxSource(func(context.Context) (authenticator.DeliveryStats, error) {
				return authenticator.DeliveryStats{Pending: 5}, err
			}), slog.New(slog.DiscardHandler))
			if err := reg.Register(c); err != nil {
				t.Fatal(err)
			}
			var already prometheus.AlreadyRegisteredError
			if err := reg.Register(NewOutboxCollector(c.src, c.log)); !errors.As(err, &already) {
				t.Errorf("a second outbox collector: got %v, want prometheus.AlreadyRegisteredError", err)
			}
			text := scrape(t, reg)
			want, absent := "bp_webhook_deliveries_pending 5", "bp_webhook_stats_up 0"
			if err != nil {
				want, absent = "bp_webhook_stats_up 0", "bp_webhook_deliveries_pending"
			}
			if !strings.Contains(text, "\n"+want+"\n") || strings.Contains(text, "\n"+absent) {
				t.Errorf("the exposition: got\n%s\nwant %q and no %q", text, want, absent)
			}
		})
	}
}
