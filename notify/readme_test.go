package notify_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"oncelink/components"
)

// The README says where a request's notice mail leads as the mail leads
// there: the request's own address.
func TestReadmeSaysWhereARequestsMailLeads(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	said := regexp.MustCompile("for a request, to\\s+its own row in your requests, `([^`]*)`").FindSubmatch(readme)
	if said == nil {
		t.Fatal("the README no longer says where a request's mail leads")
	}
	if want := strings.Replace(components.RequestPath(7), "7", "ID", 1); string(said[1]) != want {
		t.Errorf("the README says a request's mail leads to %s; it leads to %s", said[1], want)
	}
}
