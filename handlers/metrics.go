package handlers

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"oncelink/live"
)

// metrics counts what the server does, for Prometheus. Requests are counted
// by method and status, never by path, which holds tokens; link events by
// what happened, from the one place that tells the dashboards (publish).
type metrics struct {
	mu       sync.Mutex
	requests map[[2]string]*requestStats // by method and status code
	events   map[live.What]*atomic.Int64
	streams  atomic.Int64
}

// durationBuckets are the request-duration histogram's upper bounds, in
// seconds.
var durationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

type requestStats struct {
	count   int64
	sum     float64
	buckets []int64 // cumulative, one per durationBuckets
}

func newMetrics() *metrics {
	m := &metrics{requests: map[[2]string]*requestStats{}, events: map[live.What]*atomic.Int64{}}
	for _, w := range []live.What{live.Created, live.Viewed, live.Used, live.Revoked} {
		m.events[w] = new(atomic.Int64)
	}
	return m
}

func (m *metrics) request(method string, status int, took time.Duration) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		method = "other" // a client picks the method: keep the label set small
	}
	key := [2]string{method, fmt.Sprint(status)}
	secs := took.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.requests[key]
	if st == nil {
		st = &requestStats{buckets: make([]int64, len(durationBuckets))}
		m.requests[key] = st
	}
	st.count++
	st.sum += secs
	for i, le := range durationBuckets {
		if secs <= le {
			st.buckets[i]++
		}
	}
}

func (m *metrics) event(w live.What) {
	if c := m.events[w]; c != nil {
		c.Add(1)
	}
}

// Metrics serves the counters in Prometheus's text format. Serve it on an
// address of its own (--metrics-addr), not the public one.
func (h *Handler) Metrics() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := h.metrics
		var b strings.Builder
		b.WriteString("# HELP oncelink_http_request_duration_seconds HTTP requests answered, by method and status, and how long they took.\n")
		b.WriteString("# TYPE oncelink_http_request_duration_seconds histogram\n")
		m.mu.Lock()
		keys := make([][2]string, 0, len(m.requests))
		for k := range m.requests {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
		for _, k := range keys {
			st := m.requests[k]
			labels := fmt.Sprintf(`method=%q,code=%q`, k[0], k[1])
			for i, le := range durationBuckets {
				fmt.Fprintf(&b, "oncelink_http_request_duration_seconds_bucket{%s,le=\"%g\"} %d\n", labels, le, st.buckets[i])
			}
			fmt.Fprintf(&b, "oncelink_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %d\n", labels, st.count)
			fmt.Fprintf(&b, "oncelink_http_request_duration_seconds_sum{%s} %g\n", labels, st.sum)
			fmt.Fprintf(&b, "oncelink_http_request_duration_seconds_count{%s} %d\n", labels, st.count)
		}
		m.mu.Unlock()
		b.WriteString("# HELP oncelink_link_events_total What happened to links: created, viewed (page views), used (opens), revoked.\n")
		b.WriteString("# TYPE oncelink_link_events_total counter\n")
		for _, w := range []live.What{live.Created, live.Viewed, live.Used, live.Revoked} {
			fmt.Fprintf(&b, "oncelink_link_events_total{what=%q} %d\n", w, m.events[w].Load())
		}
		b.WriteString("# HELP oncelink_event_streams Dashboards connected for live updates.\n")
		b.WriteString("# TYPE oncelink_event_streams gauge\n")
		fmt.Fprintf(&b, "oncelink_event_streams %d\n", m.streams.Load())
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Write([]byte(b.String()))
	})
}
