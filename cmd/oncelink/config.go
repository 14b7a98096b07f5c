package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"oncelink/core"
)

// config is everything the server is told by flags and the environment.
type config struct {
	Addr          string
	DB            string
	BaseURL       string
	MinTTL        time.Duration
	MaxTTL        time.Duration
	GrantTTL      time.Duration
	Retention     time.Duration
	SweepInterval time.Duration
	TrustProxy    bool
	RateLimits    bool
	Rates         core.Rates
	SQLiteSync    string
	LogFormat     string
	MetricsAddr   string
	MaxUpload     int64
}

// durationFlag reads core.ParseDuration's form ("90s", "7d").
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

func (f durationFlag) Set(s string) error {
	d, err := core.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 90s, 15m, 2h or 7d", s)
	}
	*f.d = d
	return nil
}

// newFlagSet makes a flag set that reports its errors to stderr; parseFlags
// fills it from the environment and the command line.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags applies the environment twins, then args.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "ONCELINK_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" && envErr == nil {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = fmt.Errorf("%s: %w", name, err)
			}
		}
	})
	if envErr != nil {
		return envErr
	}
	return fs.Parse(args)
}

func dbFlag(fs *flag.FlagSet, dst *string) {
	fs.StringVar(dst, "db", "oncelink.db", "SQLite file, or a postgres:// URL")
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	c := config{
		MinTTL: time.Minute, MaxTTL: 30 * 24 * time.Hour, GrantTTL: 10 * time.Minute,
		Retention: 30 * 24 * time.Hour, SweepInterval: 30 * time.Second,
		MaxUpload: core.DefaultMaxUpload,
	}
	fs := newFlagSet("oncelink serve", stderr)
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	dbFlag(fs, &c.DB)
	fs.StringVar(&c.BaseURL, "base-url", "", "public URL that links start with (default http://ADDR)")
	fs.Var(durationFlag{&c.MinTTL}, "min-ttl", "shortest time to live a link may have")
	fs.Var(durationFlag{&c.MaxTTL}, "max-ttl", "longest time to live a link may have")
	fs.Var(durationFlag{&c.GrantTTL}, "grant-ttl", "how long the browser that opened a link may reload it")
	fs.Var(durationFlag{&c.Retention}, "retention", "how long a dead link's metadata and audit trail are kept")
	fs.Var(durationFlag{&c.SweepInterval}, "sweep-interval", "how often dead links' content is deleted")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", false, "take client addresses from X-Forwarded-For (only behind a reverse proxy)")
	fs.BoolVar(&c.RateLimits, "rate-limits", true, "enforce the --rate-* limits on sign-ins, set-up, opens and link passwords")
	rateFlags(fs, &c.Rates)
	fs.StringVar(&c.SQLiteSync, "sqlite-sync", "normal", "SQLite synchronous setting: normal or full (see README)")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", "", "address to serve Prometheus metrics on, at /metrics (off when empty; keep it private)")
	fs.Var(sizeFlag{&c.MaxUpload}, "max-upload", "largest file a link may share, such as 25MiB or 500KiB")
	if err := parseFlags(fs, args, getenv); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
		// A server listening on every address (":8080", "0.0.0.0:8080")
		// cannot put that in its links: they would point nowhere.
		if host, port, err := net.SplitHostPort(c.Addr); err == nil && (host == "" || net.ParseIP(host).IsUnspecified()) {
			c.BaseURL = "http://localhost:" + port
		}
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return c, fmt.Errorf("--base-url %q must be an http:// or https:// URL", c.BaseURL)
	}
	switch {
	case c.MinTTL <= 0 || c.MaxTTL < c.MinTTL:
		return c, errors.New("--min-ttl must be positive and at most --max-ttl")
	case c.GrantTTL <= 0 || c.Retention <= 0 || c.SweepInterval <= 0:
		return c, errors.New("--grant-ttl, --retention and --sweep-interval must be positive")
	case c.LogFormat != "text" && c.LogFormat != "json":
		return c, errors.New("--log-format must be text or json")
	}
	return c, nil
}
