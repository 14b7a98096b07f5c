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
// as the notice's mail does, not to the first page of the requests.
func TestDeliveryLeadsToItsRequest(t *testing.T) {
	var b strings.Builder
	ds := []DeliveryItem{{Type: "request.fulfilled", Status: "delivered", RequestID: 7, Email: true}}
	if err := deliveryList(ds, "email-deliveries").Render(i18n.With(context.Background(), "en"), &b); err != nil {
		t.Fatal(err)
	}
	want := RequestPath(7)
	if want != "/requests/7" {
		t.Fatalf("RequestPath(7) is %q, not the request's own address", want)
	}
	if !strings.Contains(b.String(), `href="`+html.EscapeString(want)+`"`) {
		t.Errorf("the delivery does not lead to %s:\n%s", want, b.String())
	}
}
