package handlers

import (
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestMetricsCountRequestsAndLinkEvents(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	link := owner.createLink(url.Values{"max_uses": {"2"}})
	recipient := s.client()
	recipient.get(link)
	recipient.post(link, nil)
	s.client().get("/l/forged")

	rec := httptest.NewRecorder()
	s.h.Metrics().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	text := string(body)
	for _, want := range []string{
		`oncelink_link_events_total{what="created"} 1`,
		`oncelink_link_events_total{what="viewed"} 1`,
		`oncelink_link_events_total{what="used"} 1`,
		`oncelink_link_events_total{what="revoked"} 0`,
		`oncelink_http_request_duration_seconds_count{method="POST",code="201"} 1`,
		`oncelink_http_request_duration_seconds_count{method="GET",code="404"} 1`,
		`oncelink_event_streams 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if tok := link[strings.LastIndex(link, "/")+1:]; strings.Contains(text, tok) || strings.Contains(text, "/l/") {
		t.Error("the metrics name a path")
	}
}
