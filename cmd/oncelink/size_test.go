package main

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
	}{
		{"25MiB", 25 << 20},
		{"1MiB", 1 << 20},
		{"500KiB", 500 << 10},
		{"2GiB", 2 << 30},
		{"2 gib", 2 << 30},
		{"1048576", 1 << 20},
		{"4096B", 4096},
		{"1024GiB", 1 << 40},
	} {
		got, err := parseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "MiB", "25MB", "2GB", "1.5MiB", "-1MiB", "25 MiB extra", "0", "1023", "1025GiB", "99999999999999999999"} {
		if n, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, n)
		}
	}
}

func TestMaxUploadFlag(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := parseConfig(nil, env(nil))
	if err != nil || c.MaxUpload != 25<<20 {
		t.Fatalf("default: %d, %v", c.MaxUpload, err)
	}
	c, err = parseConfig([]string{"--max-upload", "1MiB"}, env(map[string]string{"ONCELINK_MAX_UPLOAD": "5MiB"}))
	if err != nil || c.MaxUpload != 1<<20 {
		t.Fatalf("flag over environment: %d, %v", c.MaxUpload, err)
	}
	c, err = parseConfig(nil, env(map[string]string{"ONCELINK_MAX_UPLOAD": "5MiB"}))
	if err != nil || c.MaxUpload != 5<<20 {
		t.Fatalf("environment: %d, %v", c.MaxUpload, err)
	}
	c, err = parseConfig([]string{"--max-e2e-upload", "2MiB"}, env(map[string]string{"ONCELINK_MAX_UPLOAD": "5MiB"}))
	if err != nil || c.MaxE2EUpload != 2<<20 || c.MaxUpload != 5<<20 {
		t.Fatalf("--max-e2e-upload: %d, %v", c.MaxE2EUpload, err)
	}
	if c, err = parseConfig(nil, env(map[string]string{"ONCELINK_MAX_E2E_UPLOAD": "3MiB"})); err != nil || c.MaxE2EUpload != 3<<20 {
		t.Fatalf("ONCELINK_MAX_E2E_UPLOAD: %d, %v", c.MaxE2EUpload, err)
	}
	_, err = parseConfig([]string{"--max-upload", "25MB"}, env(nil))
	if err == nil || !strings.Contains(err.Error(), "MiB") {
		t.Fatalf("25MB: %v", err)
	}
}

// TestAccountStorageFlag: --account-storage takes a size as --max-upload
// does, 1 GiB unless given, and a bound under the largest file a link
// takes stops the server before it starts, saying which flag it is under.
func TestAccountStorageFlag(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := parseConfig(nil, env(nil))
	if err != nil || c.AccountStorage != 1<<30 {
		t.Fatalf("default: %d, %v", c.AccountStorage, err)
	}
	c, err = parseConfig([]string{"--account-storage", "25MiB"}, env(nil))
	if err != nil || c.AccountStorage != 25<<20 {
		t.Fatalf("--account-storage 25MiB, as large as --max-upload: %d, %v", c.AccountStorage, err)
	}
	if c, err = parseConfig(nil, env(map[string]string{"ONCELINK_ACCOUNT_STORAGE": "2GiB"})); err != nil || c.AccountStorage != 2<<30 {
		t.Fatalf("ONCELINK_ACCOUNT_STORAGE: %d, %v", c.AccountStorage, err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--account-storage", "10MiB"}, "--account-storage 10 MiB is less than --max-upload 25 MiB"},
		{[]string{"--max-upload", "2GiB"}, "--account-storage 1 GiB is less than --max-upload 2 GiB"},
		{[]string{"--account-storage", "30MiB", "--max-e2e-upload", "40MiB"}, "--account-storage 30 MiB is less than --max-e2e-upload 40 MiB"},
		{[]string{"--account-storage", "0"}, `--account-storage: a size must be from 1KiB to 1024GiB, not "0"`},
		{[]string{"--account-storage", "off"}, `--account-storage: "off" is not a size`},
	} {
		if _, err := parseConfig(tt.args, env(nil)); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.args, err, tt.want)
		}
	}
}

// TestSizeFlagWritesAsThePagesDo: the help text's default reads like the
// upload form's limit, in every unit.
func TestSizeFlagWritesAsThePagesDo(t *testing.T) {
	for n, want := range map[int64]string{2 << 30: "2 GiB", 25 << 20: "25 MiB", 1500 << 10: "1500 KiB", 1000: "1000 bytes"} {
		if got := (sizeFlag{&n}).String(); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
}

// FuzzParseSize checks that parseSize never panics, keeps within its
// bounds, and reads back what the flag writes.
func FuzzParseSize(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err != nil {
			return
		}
		if n < minSizeFlag || n > maxSizeFlag {
			t.Fatalf("parseSize(%q) = %d, out of bounds", s, n)
		}
		written := sizeFlag{&n}.String()
		if again, err := parseSize(written); err != nil || again != n {
			t.Fatalf("parseSize(%q) = %d, but %q reads back as %d, %v", s, n, written, again, err)
		}
	})
}
