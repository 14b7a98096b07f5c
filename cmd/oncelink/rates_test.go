package main

import (
	"strings"
	"testing"
	"time"

	"oncelink/core"
)

func TestRateFlags(t *testing.T) {
	env := map[string]string{"ONCELINK_RATE_SETUP": "2/30s", "ONCELINK_RATE_SIGNIN": "7/1m"}
	c, err := parseConfig([]string{"--rate-signin", "3/m", "--rate-open", "off"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := core.DefaultRates
	want.SignIn = core.Rate{N: 3, Per: time.Minute}
	want.Setup = core.Rate{N: 2, Per: 30 * time.Second}
	want.Open = core.Rate{Off: true}
	if c.Rates != want {
		t.Fatalf("rates %+v, want %+v", c.Rates, want)
	}
	if d, err := parseConfig(nil, func(string) string { return "" }); err != nil || d.Rates != core.DefaultRates {
		t.Fatalf("default rates %+v, %v", d.Rates, err)
	}
	for _, bad := range []string{"0/1m", "10", "10/0s", "lots"} {
		_, err := parseConfig([]string{"--rate-link-password", bad}, func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), "rate-link-password") {
			t.Errorf("--rate-link-password %q: %v", bad, err)
		}
	}
	_, err = parseConfig(nil, func(k string) string { return map[string]string{"ONCELINK_RATE_OPEN": "fast"}[k] })
	if err == nil || !strings.Contains(err.Error(), "ONCELINK_RATE_OPEN") {
		t.Errorf("ONCELINK_RATE_OPEN=fast: %v", err)
	}
}
