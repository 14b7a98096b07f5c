package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The API's requests are counted by the API's own route patterns, which the
// server's mux, which mounts it under /api/, never sees; its streams are
// counted apart from the dashboards'.
func TestMetricsNameTheAPIsRoutes(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	l := ada.create(nil)
	if res := s.client("").postJSON(openPath(l.URL), nil); res.StatusCode != http.StatusOK {
		t.Fatalf("open: %d", res.StatusCode)
	}
	// Past the test clients, which send only what the document describes.
	res, err := http.Get(s.URL + "/api/v1/nothing")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	st := ada.stream(t.Context())
	defer st.close()

	rec := httptest.NewRecorder()
	s.metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	text := rec.Body.String()
	var families map[string]*dto.MetricFamily
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err = p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("metrics do not parse: %v", err)
	}
	counts := map[string]uint64{}
	for _, m := range families["oncelink_http_request_duration_seconds"].GetMetric() {
		key := ""
		for _, l := range m.GetLabel() {
			key += l.GetName() + "=" + l.GetValue() + " "
		}
		counts[strings.TrimSpace(key)] += m.GetHistogram().GetSampleCount()
	}
	for _, want := range []string{
		"code=201 method=POST route=POST /api/v1/links",
		"code=200 method=POST route=POST /api/v1/open/{token}",
		"code=404 method=GET route=unrouted",
	} {
		if counts[want] != 1 {
			t.Errorf("no request counted as %q in %v", want, counts)
		}
	}
	streams := map[string]float64{}
	for _, m := range families["oncelink_event_streams"].GetMetric() {
		streams[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
	}
	if streams["api"] != 1 || streams["dashboard"] != 0 {
		t.Errorf("open streams: %v, want one API stream", streams)
	}
	if tok := l.URL[strings.LastIndex(l.URL, "/")+1:]; strings.Contains(text, tok) || strings.Contains(text, `route="/api/"`) ||
		strings.Contains(text, "nothing") {
		t.Error("the metrics name a path")
	}
}
