package core

import (
	"bytes"
	"log/slog"
	"testing"

	"oncelink/token"
)

// TestSubscribeBoundsStreams: an account's streams are bounded in all and
// from one address (an IPv6 one by its /64); a place comes back once, when
// its stream is cancelled, however often; other accounts are not counted.
func TestSubscribeBoundsStreams(t *testing.T) {
	s := New(Config{BaseURL: "https://share.example", Streams: StreamLimits{PerAccount: 3, PerAddress: 2}},
		nil, bytes.Repeat([]byte{7}, token.KeyLen), slog.New(slog.DiscardHandler))
	home, office := Client{IP: "2001:db8::1"}, Client{IP: "192.0.2.1"}
	subscribe := func(what string, account int64, c Client, wantVariant string) func() {
		t.Helper()
		_, cancel, err := s.Subscribe(account, c)
		switch e, _ := AsError(err); {
		case wantVariant == "" && err != nil:
			t.Fatalf("%s: %v", what, err)
		case wantVariant == "":
			return cancel
		case e == nil || e.Kind != Limited || e.Code != "too_many_streams" || e.MsgID != "error.too_many_streams."+wantVariant || e.RetryAfter <= 0:
			t.Fatalf("%s: %#v, want too_many_streams (%s)", what, err, wantVariant)
		}
		return nil
	}
	first := subscribe("first from home", 1, home, "")
	subscribe("second from home, another address in its /64", 1, Client{IP: "2001:db8::2"}, "")
	subscribe("third from home", 1, home, "address")
	subscribe("from the office", 1, office, "")
	subscribe("past the account's bound", 1, office, "account")
	subscribe("another account", 2, home, "")

	first()
	first()
	subscribe("from home, after one closed", 1, home, "")
	subscribe("past the account's bound again", 1, office, "account")
}
