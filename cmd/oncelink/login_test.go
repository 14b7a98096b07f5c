package main

import "testing"

// Plain http to another machine gets a warning at login; https, and any
// address of this machine, do not.
func TestOverTheNetwork(t *testing.T) {
	for base, want := range map[string]bool{
		"http://share.example.com":   true,
		"http://192.0.2.2:8080":      true,
		"http://[2001:db8::1]:8080":  true,
		"https://share.example.com":  false,
		"http://localhost:8080":      false,
		"http://dev.localhost":       false,
		"http://127.0.0.1:8080":      false,
		"http://127.8.0.1":           false,
		"http://[::1]:8080":          false,
		"HTTP://share.example.com":   true,
		"http://LOCALHOST:8080":      false,
		"https://127.0.0.1:8443/sub": false,
	} {
		if got := overTheNetwork(base); got != want {
			t.Errorf("overTheNetwork(%q) = %v, want %v", base, got, want)
		}
	}
}
