package core

import "testing"

func TestServesHost(t *testing.T) {
	for _, tc := range []struct {
		base string
		yes  []string
		no   []string
	}{
		{"https://share.example.com",
			[]string{"share.example.com", "SHARE.Example.com:443", "share.example.com.", "share.example.com:8443"},
			[]string{"", "localhost", "127.0.0.1:443", "[::1]", "evil.example", "share.example.com.evil.example", "sub.share.example.com"}},
		{"http://127.0.0.1:8080",
			[]string{"127.0.0.1:8080", "127.0.0.1", "localhost:8080", "LOCALHOST", "[::1]:8080", "127.1.2.3:9000"},
			[]string{"", "rebind.example:8080", "127.0.0.1.nip.io:8080", "0.0.0.0:8080", "192.168.1.5:8080", "localhost.example"}},
		{"http://[::1]:8080/",
			[]string{"[::1]:8080", "localhost:8080", "127.0.0.1:8080"},
			[]string{"[::2]:8080", "example.com"}},
	} {
		s := New(Config{BaseURL: tc.base}, nil, nil, nil)
		for _, h := range tc.yes {
			if !s.ServesHost(h) {
				t.Errorf("base %s: host %q refused", tc.base, h)
			}
		}
		for _, h := range tc.no {
			if s.ServesHost(h) {
				t.Errorf("base %s: host %q served", tc.base, h)
			}
		}
	}
}

// TestSecureContext: pages over HTTPS, or from the local machine under any
// of its names, are in a secure context; over plain HTTP elsewhere they
// are not.
func TestSecureContext(t *testing.T) {
	for base, secure := range map[string]bool{
		"https://oncelink.example": true, "HTTPS://oncelink.example": true, "http://localhost:8080": true,
		"http://LOCALHOST.:8080/": true, "http://app.localhost": true, "http://127.0.0.1:8080": true,
		"http://[::1]:8080": true, "http://127.8.9.10": true,
		"http://oncelink.lan:8080": false, "http://192.168.1.20": false, "http://[fd00::1]": false,
		"http://localhost.example": false,
	} {
		if got := New(Config{BaseURL: base}, nil, nil, nil).SecureContext(); got != secure {
			t.Errorf("SecureContext of %q = %v, want %v", base, got, secure)
		}
	}
}
