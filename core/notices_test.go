package core

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestPublicAddress(t *testing.T) {
	for _, tc := range []struct {
		ip     string
		public bool
	}{
		{"93.184.215.14", true}, {"8.8.8.8", true}, {"2606:4700::1111", true}, {"::ffff:93.184.215.14", true},
		{"127.0.0.1", false}, {"127.8.9.10", false}, {"10.0.0.1", false}, {"172.16.0.1", false}, {"172.31.255.255", false},
		{"192.168.1.1", false}, {"169.254.169.254", false}, {"0.0.0.0", false}, {"100.64.0.1", false},
		{"224.0.0.1", false}, {"255.255.255.255", false}, {"192.0.2.1", false}, {"198.18.0.1", false},
		{"::1", false}, {"::", false}, {"fc00::1", false}, {"fd12:3456::1", false}, {"fe80::1", false}, {"ff02::1", false},
		{"::ffff:10.0.0.1", false}, {"::ffff:127.0.0.1", false}, {"::ffff:169.254.169.254", false}, {"2001:db8::1", false},
		// Through NAT64, the IPv4 address it reaches decides.
		{"64:ff9b::7f00:1", false}, {"64:ff9b::10.1.2.3", false}, {"64:ff9b::169.254.169.254", false}, {"64:ff9b::93.184.215.14", true},
		{"64:ff9b:1::93.184.215.14", false},
		{"::127.0.0.1", false}, {"::93.184.215.14", false}, {"::ffff:0:7f00:1", false}, {"::ffff:0:93.184.215.14", false},
		// The rest of the special-purpose ranges that reach no one on the
		// public internet: 6to4's relay anycast, the IETF protocol
		// assignments (Teredo, benchmarking, ORCHID), the newer
		// documentation range, segment routing's SIDs, and the deprecated
		// site-local range, which a network may still route inside.
		{"192.88.99.1", false}, {"2001::1", false}, {"2001:0:4136:e378::1", false}, {"2001:2::1", false},
		{"2001:10::1", false}, {"3fff::1", false}, {"5f00::1", false}, {"fec0::1", false}, {"feff::1", false},
		{"2001:200::1", true}, {"2a00:1450::1", true},
	} {
		if got := PublicAddress(netip.MustParseAddr(tc.ip)); got != tc.public {
			t.Errorf("PublicAddress(%s) = %v, want %v", tc.ip, got, tc.public)
		}
	}
}

// TestConfirmationOfAnotherAccount: a live confirmation link opened signed
// in as another account says so, and changes nothing: it still confirms
// the address for the account that set it. A dead one is gone for anyone.
func TestConfirmationOfAnotherAccount(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) {
		s, st, ada := newServiceOn(t, dsn)
		ctx := context.Background()
		bob, err := st.CreateAccount(ctx, "bob", "x", false)
		if err != nil {
			t.Fatal(err)
		}
		tok := strings.Repeat("c", 43)
		hash := sha256.Sum256([]byte(tok))
		if err := st.SetPendingAddress(ctx, ada.ID, "ada@example.org", hash[:], s.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PendingNoticeAddress(ctx, bob.ID, tok); !errors.Is(err, ErrConfirmOtherAccount) {
			t.Errorf("bob's page of ada's link: %v", err)
		}
		if _, err := s.ConfirmNoticeAddress(ctx, bob.ID, tok); !errors.Is(err, ErrConfirmOtherAccount) {
			t.Errorf("bob confirms ada's link: %v", err)
		}
		if a, err := st.NoticeAddress(ctx, bob.ID); err == nil && a.Address != "" {
			t.Errorf("bob's notice address is %q", a.Address)
		}
		if address, err := s.PendingNoticeAddress(ctx, ada.ID, tok); err != nil || address != "ada@example.org" {
			t.Fatalf("ada's page of ada's link: %q, %v", address, err)
		}
		if address, err := s.ConfirmNoticeAddress(ctx, ada.ID, tok); err != nil || address != "ada@example.org" {
			t.Fatalf("ada confirms ada's link: %q, %v", address, err)
		}
		// Used: gone for both.
		for _, who := range []int64{ada.ID, bob.ID} {
			if _, err := s.PendingNoticeAddress(ctx, who, tok); !errors.Is(err, ErrConfirmGone) {
				t.Errorf("account %d, the page of a used link: %v", who, err)
			}
			if _, err := s.ConfirmNoticeAddress(ctx, who, tok); !errors.Is(err, ErrConfirmGone) {
				t.Errorf("account %d confirms a used link: %v", who, err)
			}
		}
	})
}
