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
