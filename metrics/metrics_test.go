package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The Grafana dashboard in deploy/ asks only for metrics that are served.
func TestDashboardNamesServedMetrics(t *testing.T) {
	m := New()
	m.Pools(func() map[string]sql.DBStats { return map[string]sql.DBStats{"writer": {}} })
	m.Request(http.MethodGet, "GET /healthz", http.StatusOK, time.Millisecond)
	m.WriteBatch(1)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	dashboard, err := os.ReadFile("../deploy/grafana-oncelink.json")
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`\b(?:oncelink|go|process)_[a-z_]+`).FindAllString(string(dashboard), -1)
	if len(names) == 0 {
		t.Fatal("the dashboard names no metric")
	}
	for _, name := range names {
		family := name
		for _, suffix := range []string{"_bucket", "_count", "_sum"} {
			if f := strings.TrimSuffix(name, suffix); f != name && families[f] != nil {
				family = f
			}
		}
		if families[family] == nil {
			t.Errorf("the dashboard asks for %s, which is not served", name)
		}
	}
}

// The notice metrics are served before the first notice is sent, every
// target and outcome at 0, as the README lists them.
func TestNoticeDeliveriesServedFromTheStart(t *testing.T) {
	m := New()
	m.Notices(func(context.Context) (int64, error) { return 0, nil })
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, target := range []string{"webhook", "email"} {
		for _, outcome := range []string{"delivered", "pending", "failed"} {
			want := `oncelink_notice_deliveries_total{outcome="` + outcome + `",target="` + target + `"} 0`
			if !strings.Contains(rec.Body.String(), want) {
				t.Errorf("no %s in:\n%s", want, rec.Body)
			}
		}
	}
	if !strings.Contains(rec.Body.String(), "oncelink_notice_outbox_depth 0") {
		t.Errorf("no outbox depth in:\n%s", rec.Body)
	}
}
