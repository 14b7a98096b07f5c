package components

import (
	"context"
	"html"
	"strings"
	"testing"

	"oncelink/i18n"
)

// TestDeliveryLeadsToItsRequest: a delivery of a notice about a request,
// in the settings, leads to that request's own address, which leads on to
// its row while it is kept (see handlers' TestNoticeOfAPurgedRequestSaysSo),
// as the notice's mail does, not to the first page of the requests. A
// request's notice names the link that what was sent became, too, as the
// outbox keeps it: its delivery, a mail's or a webhook's, still leads to
// the request, not to that link.
func TestDeliveryLeadsToItsRequest(t *testing.T) {
	want := RequestPath(7)
	if want != "/requests/7" {
		t.Fatalf("RequestPath(7) is %q, not the request's own address", want)
	}
	for _, link := range []int64{0, 12} {
		for _, list := range []string{"email-deliveries", "webhook-deliveries"} {
			var b strings.Builder
			ds := []DeliveryItem{{Type: "request.fulfilled", Status: "delivered", RequestID: 7, LinkID: link, Email: list == "email-deliveries"}}
			if err := deliveryList(ds, list).Render(i18n.With(context.Background(), "en"), &b); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), `href="`+html.EscapeString(want)+`"`) {
				t.Errorf("in %s, the delivery about request 7 (and link %d) does not lead to %s:\n%s", list, link, want, b.String())
			}
		}
	}
}
