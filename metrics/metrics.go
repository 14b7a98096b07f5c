// Package metrics is oncelink's Prometheus instrumentation: a registry of
// its own, with the Go runtime and process collectors, what the adapters
// count (requests by route pattern, link events, event streams) and what
// the database reports (its pools, the SQLite writer's batches). It keeps
// the client library out of the core and the store, which report through
// plain funcs that cmd wires here.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"oncelink/live"
)

// Unrouted is the route of a request that no route pattern took: a 404 or
// 405, or a request refused before routing (another host, a body on a
// read, a cross-origin post).
const Unrouted = "unrouted"

// Event stream kinds, as oncelink_event_streams labels them.
const (
	DashboardStream = "dashboard"
	APIStream       = "api"
)

// durationBuckets are the request-duration histogram's upper bounds, in
// seconds: a page or an open takes a millisecond or two, a file upload
// seconds.
var durationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10}

// batchBuckets bound the write-batch histogram: powers of two up to the
// writer's largest batch, 64.
var batchBuckets = prometheus.ExponentialBuckets(1, 2, 7)

// linkEvents are what oncelink_link_events_total counts; the other events
// published (sessions changing, requests filled) are not link events. A
// refused open is one recorded in the link's audit trail: a wrong password,
// or an attempt after the link ended (of those, a trail records ten an
// hour at most).
var linkEvents = []live.What{live.Created, live.Viewed, live.Used, live.Revoked, live.Refused}

// Metrics holds oncelink's metrics. Make one with New; it is safe for
// concurrent use.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.HistogramVec
	events   map[live.What]prometheus.Counter
	streams  *prometheus.GaugeVec
	batches  prometheus.Histogram
}

// New returns oncelink's metrics on a registry of their own, so that what a
// library registers globally is not served with them.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "oncelink_http_request_duration_seconds",
			Help:    "HTTP requests answered, by method, route pattern and status (499: the client hung up), and how long they took.",
			Buckets: durationBuckets,
		}, []string{"method", "route", "code"}),
		events: map[live.What]prometheus.Counter{},
		streams: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "oncelink_event_streams",
			Help: "Event streams open: dashboards' live updates and the API's event streams.",
		}, []string{"stream"}),
		batches: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "oncelink_write_batch_size",
			Help:    "Writes committed together in one SQLite transaction by the writer (group commit).",
			Buckets: batchBuckets,
		}),
	}
	linkEventsTotal := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "oncelink_link_events_total",
		Help: "What happened to links: created, viewed (page views), used (opens), revoked, refused (opens refused for a wrong password or as too late).",
	}, []string{"what"})
	for _, w := range linkEvents {
		m.events[w] = linkEventsTotal.WithLabelValues(string(w))
	}
	for _, s := range []string{DashboardStream, APIStream} {
		m.streams.WithLabelValues(s)
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewBuildInfoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, linkEventsTotal, m.streams, m.batches,
	)
	return m
}

// Handler serves the metrics in Prometheus's exposition format. Serve it on
// an address of its own (--metrics-addr), not the public one.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Request counts a request answered with status after took. route is a
// route pattern (see Track), never a path, which may hold a token.
func (m *Metrics) Request(method, route string, status int, took time.Duration) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		method = "other" // a client picks the method: keep the label set small
	}
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Observe(took.Seconds())
}

// Event counts a link event; it suits core.Service.Published.
func (m *Metrics) Event(w live.What) {
	if c := m.events[w]; c != nil {
		c.Inc()
	}
}

// Stream counts an event stream of kind (DashboardStream or APIStream) as
// open until the func it returns is called.
func (m *Metrics) Stream(kind string) (closed func()) {
	g := m.streams.WithLabelValues(kind)
	g.Inc()
	return g.Dec
}

// WriteBatch records the size of a batch of writes committed together; it
// suits store.Options.WriteBatch.
func (m *Metrics) WriteBatch(n int) { m.batches.Observe(float64(n)) }

// Pools has the database's connection pools reported at every scrape, by
// name, as stats returns them (store.Store.PoolStats).
func (m *Metrics) Pools(stats func() map[string]sql.DBStats) {
	m.reg.MustRegister(poolCollector(stats))
}

// poolCollector reads the pools' statistics when scraped, so that they are
// as fresh as the scrape and cost nothing in between.
type poolCollector func() map[string]sql.DBStats

var (
	poolLabels   = []string{"pool"}
	poolMaxOpen  = prometheus.NewDesc("oncelink_db_max_open_connections", "Connections the pool may open.", poolLabels, nil)
	poolOpen     = prometheus.NewDesc("oncelink_db_open_connections", "Connections open, in use or idle.", poolLabels, nil)
	poolInUse    = prometheus.NewDesc("oncelink_db_in_use_connections", "Connections in use.", poolLabels, nil)
	poolIdle     = prometheus.NewDesc("oncelink_db_idle_connections", "Connections idle.", poolLabels, nil)
	poolWaits    = prometheus.NewDesc("oncelink_db_wait_count_total", "Times a query waited for a connection.", poolLabels, nil)
	poolWaitTime = prometheus.NewDesc("oncelink_db_wait_duration_seconds_total", "Time spent waiting for a connection.", poolLabels, nil)
)

func (poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolMaxOpen, poolOpen, poolInUse, poolIdle, poolWaits, poolWaitTime} {
		ch <- d
	}
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	for name, s := range c() {
		ch <- prometheus.MustNewConstMetric(poolMaxOpen, prometheus.GaugeValue, float64(s.MaxOpenConnections), name)
		ch <- prometheus.MustNewConstMetric(poolOpen, prometheus.GaugeValue, float64(s.OpenConnections), name)
		ch <- prometheus.MustNewConstMetric(poolInUse, prometheus.GaugeValue, float64(s.InUse), name)
		ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(s.Idle), name)
		ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(s.WaitCount), name)
		ch <- prometheus.MustNewConstMetric(poolWaitTime, prometheus.CounterValue, s.WaitDuration.Seconds(), name)
	}
}

// Route is where a request's route pattern is noted on its way in, for its
// count on the way out. Make one with Track.
type Route struct{ pattern string }

type routeKey struct{}

// Track returns r with a place for its route pattern, which Routed fills
// in. The pattern is noted from inside the ServeMux that routed r: a
// request that a mux mounted under another (the API's under /api/)
// carries that mux's pattern, which the outer one never sees.
func Track(r *http.Request) (*http.Request, *Route) {
	rt := &Route{}
	return r.WithContext(context.WithValue(r.Context(), routeKey{}, rt)), rt
}

// Pattern is the route pattern that took the request, once it has been
// answered; Unrouted if none did.
func (rt *Route) Pattern() string {
	if rt.pattern == "" {
		return Unrouted
	}
	return rt.pattern
}

// Routed notes the pattern r.Pattern that a ServeMux routed r with, as its
// route (see Track), then serves r with next. Wrap each route of a mux with
// it, but not a catch-all that answers 404 and 405.
func Routed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if rt, ok := r.Context().Value(routeKey{}).(*Route); ok {
			rt.pattern = r.Pattern
		}
		next(w, r)
	}
}
