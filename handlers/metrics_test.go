package handlers

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"oncelink/assets"
)

// scrape reads the server's metrics as Prometheus does, and returns them
// parsed and as text.
func (s *testServer) scrape() (map[string]*dto.MetricFamily, string) {
	s.t.Helper()
	rec := httptest.NewRecorder()
	s.metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		s.t.Fatalf("metrics: %d\n%s", rec.Code, rec.Body)
	}
	text, _ := io.ReadAll(rec.Body)
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		s.t.Fatalf("metrics do not parse: %v\n%s", err, text)
	}
	return families, string(text)
}

// sample is the value of the metric in f whose labels include labels: a
// histogram's count, a counter's or a gauge's value; -1 when there is none.
func sample(f *dto.MetricFamily, labels map[string]string) float64 {
	if f == nil {
		return -1
	}
metrics:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue metrics
			}
		}
		switch {
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		}
	}
	return -1
}

func TestMetrics(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	link := owner.createLink(url.Values{"max_uses": {"2"}})
	path := strings.TrimPrefix(link, s.URL)
	recipient := s.client()
	recipient.get(path)
	recipient.post(path, nil)
	s.client().get("/l/forged")
	s.client().get("/no/such/page")
	s.client().get(assets.Path("app.css"))
	stream := owner.stream()
	defer stream.res.Body.Close()

	families, text := s.scrape()
	for _, name := range []string{
		"oncelink_http_request_duration_seconds", "oncelink_link_events_total", "oncelink_event_streams",
		"oncelink_db_open_connections", "oncelink_db_in_use_connections", "oncelink_db_idle_connections",
		"oncelink_db_max_open_connections", "oncelink_db_wait_count_total", "oncelink_db_wait_duration_seconds_total",
		"oncelink_write_batch_size", "go_goroutines", "go_memstats_heap_alloc_bytes", "go_gc_duration_seconds", "go_build_info",
		"process_resident_memory_bytes",
	} {
		if families[name] == nil {
			t.Errorf("no %s", name)
		}
	}
	requests := families["oncelink_http_request_duration_seconds"]
	for _, c := range []struct {
		method, route, code string
		want                float64
	}{
		{"POST", "POST /links", "201", 1},
		{"GET", "GET /l/{token}", "200", 1},
		{"POST", "POST /l/{token}", "303", 1},
		{"GET", "GET /l/{token}", "404", 1},
		{"GET", "unrouted", "404", 1},
		{"GET", "/static/", "200", 1},
	} {
		if got := sample(requests, map[string]string{"method": c.method, "route": c.route, "code": c.code}); got != c.want {
			t.Errorf("requests %s %q %s: %v, want %v", c.method, c.route, c.code, got, c.want)
		}
	}
	for what, want := range map[string]float64{"created": 1, "viewed": 1, "used": 1, "revoked": 0} {
		if got := sample(families["oncelink_link_events_total"], map[string]string{"what": what}); got != want {
			t.Errorf("link events %s: %v, want %v", what, got, want)
		}
	}
	for kind, want := range map[string]float64{"dashboard": 1, "api": 0} {
		if got := sample(families["oncelink_event_streams"], map[string]string{"stream": kind}); got != want {
			t.Errorf("%s streams: %v, want %v", kind, got, want)
		}
	}
	if got := sample(families["oncelink_db_max_open_connections"], map[string]string{"pool": "writer"}); got != 1 {
		t.Errorf("the writer pool's connections: %v, want 1", got)
	}
	if got := sample(families["oncelink_write_batch_size"], nil); got < 1 {
		t.Errorf("write batches: %v", got)
	}

	// Routes are patterns: no token, link id or path of a request.
	tok := path[strings.LastIndex(path, "/")+1:]
	if strings.Contains(text, tok) || strings.Contains(text, "forged") || strings.Contains(text, "/no/such") ||
		strings.Contains(text, assets.Path("app.css")) {
		t.Error("the metrics name a path")
	}
	if rest := strings.ReplaceAll(text, "/l/{token}", ""); strings.Contains(rest, "/l/") {
		t.Error("the metrics name a link's path")
	}
	if regexp.MustCompile(`/links/\d`).MatchString(text) {
		t.Error("the metrics name a link's id")
	}
}

// TestMetricsCountRefusedOpens: a wrong password and an attempt after the
// link ended count as refused link events, with no token, id or path in
// the metrics; a password left out, which the trail does not record,
// does not count.
func TestMetricsCountRefusedOpens(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	link := owner.createLink(url.Values{"password": {"open sesame"}})
	id := itoa(linkOf(t, s, link).ID)
	try := func(password string, want int) {
		t.Helper()
		if res := s.client().post(link, url.Values{"password": {password}}); res.StatusCode != want {
			t.Fatalf("an open with %q: %d, want %d", password, res.StatusCode, want)
		}
	}
	try("", http.StatusForbidden)
	try("not it", http.StatusForbidden)
	try("open sesame", http.StatusOK)
	try("open sesame", http.StatusGone)

	families, text := s.scrape()
	for what, want := range map[string]float64{"created": 1, "used": 1, "refused": 2} {
		if got := sample(families["oncelink_link_events_total"], map[string]string{"what": what}); got != want {
			t.Errorf("link events %s: %v, want %v", what, got, want)
		}
	}
	// Its labels are the five kinds alone.
	for _, m := range families["oncelink_link_events_total"].Metric {
		for _, l := range m.Label {
			if l.GetName() != "what" || !slices.Contains([]string{"created", "viewed", "used", "revoked", "refused"}, l.GetValue()) {
				t.Errorf("a link event labelled %s=%q", l.GetName(), l.GetValue())
			}
		}
	}
	tok := link[strings.LastIndex(link, "/")+1:]
	for _, secret := range []string{tok, "/links/" + id} {
		if strings.Contains(text, secret) {
			t.Errorf("the metrics name %q", secret)
		}
	}
}

// TestMetricsStreamsClose counts a dashboard's stream while it is open
// and not after.
func TestMetricsStreamsClose(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	stream := owner.stream()
	families, _ := s.scrape()
	if got := sample(families["oncelink_event_streams"], map[string]string{"stream": "dashboard"}); got != 1 {
		t.Fatalf("open streams: %v, want 1", got)
	}
	stream.res.Body.Close()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		families, _ = s.scrape()
		if sample(families["oncelink_event_streams"], map[string]string{"stream": "dashboard"}) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a closed stream is still counted")
		}
	}
}
