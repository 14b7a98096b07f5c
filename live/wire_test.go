package live

import (
	"encoding/json"
	"testing"
	"time"
)

// TestWireCarriesEvents sends events through their notification form and
// back: what a subscriber on another instance reads is what was published.
func TestWireCarriesEvents(t *testing.T) {
	for _, e := range []Event{
		{Owner: 7, Link: 12, What: Created, Expires: time.UnixMilli(1_800_000_000_000)},
		{Owner: 7, Request: 3, What: RequestChanged},
		{Owner: 7, Request: 4, What: RequestCreated},
		{Owner: 7, What: SessionsChanged},
		{Owner: 7, What: SessionRenewed, Session: "old-session-id", Renewed: "new-session-id"},
	} {
		b, err := json.Marshal(toWire(e))
		if err != nil {
			t.Fatal(err)
		}
		var w wireEvent
		if err := json.Unmarshal(b, &w); err != nil {
			t.Fatal(err)
		}
		if got := w.event(); got != e {
			t.Errorf("%s through the wire: %+v, want %+v", b, got, e)
		}
	}
}
