package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Notices registers the notice metrics: deliveries attempted, by target
// (webhook, email) and the delivery's status after the attempt, and the
// outbox's depth, read from depth at each scrape. It returns the func that
// counts an attempt, for notify.Options.Attempted.
func (m *Metrics) Notices(depth func(ctx context.Context) (int64, error)) func(target, outcome string) {
	attempts := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "oncelink_notice_deliveries_total",
		Help: "Attempts to deliver a notice, by target (webhook, email) and outcome (delivered, pending: to be retried, failed: given up).",
	}, []string{"target", "outcome"})
	outbox := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "oncelink_notice_outbox_depth",
		Help: "Notices waiting in the outbox to be delivered or retried.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := depth(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	// Every series is served from the start, at 0, so that a dashboard's
	// rate() and an alert see the first failure as an increase.
	for _, target := range []string{"webhook", "email"} {
		for _, outcome := range []string{"delivered", "pending", "failed"} {
			attempts.WithLabelValues(target, outcome)
		}
	}
	m.reg.MustRegister(attempts, outbox)
	return func(target, outcome string) { attempts.WithLabelValues(target, outcome).Inc() }
}
