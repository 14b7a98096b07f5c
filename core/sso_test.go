package core

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestUsernameCandidates(t *testing.T) {
	long := strings.Repeat("a", 80)
	for _, tc := range []struct {
		id   Identity
		want string
	}{
		{Identity{PreferredUsername: "Jane.Doe", Email: "x@example.com"}, "Jane.Doe"},
		{Identity{PreferredUsername: "jane@example.com"}, "jane@example.com"},
		{Identity{PreferredUsername: "  ", Email: "jane.doe@example.com"}, "jane.doe"},
		{Identity{Name: "Jane van Doe"}, "Jane.van.Doe"},
		{Identity{PreferredUsername: "jane\u200bdoe", Email: "jd@example.com"}, "janedoe"},
		{Identity{PreferredUsername: "p\u0430ypal", Email: "pp@example.com"}, "pp"}, // Cyrillic а
		{Identity{PreferredUsername: "сор", Email: "cop@example.com"}, "cop"},       // Cyrillic, passing for cop
		{Identity{PreferredUsername: "ﬁ①"}, "user"},
		{Identity{PreferredUsername: long}, strings.Repeat("a", MaxUsernameLen-usernameRoom)},
		{Identity{PreferredUsername: "Zoë"}, "Zoë"},
		{Identity{PreferredUsername: "ｚｏｅ"}, "zoe"},  // full-width, kept as typed elsewhere
		{Identity{PreferredUsername: "Zoë"}, "Zoë"}, // decomposed, kept composed
		{Identity{}, "user"},
	} {
		names := usernameCandidates(tc.id)
		if names[0] != tc.want {
			t.Errorf("%+v: first name %q, want %q", tc.id, names[0], tc.want)
		}
		if len(names) != 21 || names[1] != tc.want+"2" || names[19] != tc.want+"20" ||
			!strings.HasPrefix(names[20], tc.want+"-") {
			t.Errorf("%+v: candidates %q", tc.id, names)
		}
		for _, n := range names {
			if shown, err := checkUsername(n); err != nil || shown != n || utf8.RuneCountInString(n) > MaxUsernameLen {
				t.Errorf("%+v: candidate %q refused: %v", tc.id, n, err)
			}
		}
	}
}

func TestSSODomainAllowed(t *testing.T) {
	s := New(Config{SSOAllowedDomains: []string{"example.com", "corp.example"}}, nil, nil, nil)
	for email, want := range map[string]*Error{
		"a@example.com":        nil,
		"a@Corp.Example":       nil,
		"a@example.com.":       nil,
		"a@sub.example.com":    ErrSSODomain,
		"a@example.com.evil":   ErrSSODomain,
		"example.com":          ErrSSODomain,
		"a@example.com@x.test": ErrSSODomain,
		"":                     ErrSSODomain,
	} {
		err := s.ssoDomainAllowed(Identity{Email: email, EmailVerified: true})
		if (want == nil && err != nil) || (want != nil && err != want) {
			t.Errorf("%q: %v, want %v", email, err, want)
		}
	}
	if err := s.ssoDomainAllowed(Identity{Email: "a@example.com"}); err != ErrSSOEmailUnverified {
		t.Errorf("unverified: %v", err)
	}
	if err := New(Config{}, nil, nil, nil).ssoDomainAllowed(Identity{}); err != nil {
		t.Errorf("no domains set: %v", err)
	}
}

func TestSSODeniedQuotesOnlyACode(t *testing.T) {
	if e := ssoDenied("access_denied"); !strings.Contains(e.Msg, "access_denied") {
		t.Errorf("%q", e.Msg)
	}
	for _, bad := range []string{"<b>no</b>", "Access Denied", strings.Repeat("a", 41)} {
		if e := ssoDenied(bad); strings.Contains(e.Msg, bad) {
			t.Errorf("%q quoted: %q", bad, e.Msg)
		}
	}
}
