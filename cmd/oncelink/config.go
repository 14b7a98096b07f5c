package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"oncelink/client"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/notify"
	"oncelink/token"
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
	// AccountStorage bounds what an account's links keep; see
	// core.Config.AccountStorage.
	AccountStorage int64
	MaxE2EUpload   int64
	// SMTPURL and MailFrom turn email notices on.
	SMTPURL             string
	MailFrom            string
	WebhookAllowPrivate bool

	// baseFromAddr says that no --base-url was given: BaseURL is the
	// address the server listens on (see listenBase).
	baseFromAddr bool

	// PasswordSignIn lets accounts sign in with a password on the web.
	PasswordSignIn bool
	// OIDC is single sign-on, on when OIDC.Issuer is set.
	OIDC oidcConfig
}

// oidcConfig is the OpenID provider that single sign-on uses.
type oidcConfig struct {
	Issuer         string
	ClientID       string
	ClientSecret   string
	AllowedDomains string
	NoSignup       bool
}

// domains is AllowedDomains as a list, in lower case.
func (o oidcConfig) domains() []string {
	ds := commaList(o.AllowedDomains)
	for i, d := range ds {
		ds[i] = strings.ToLower(d)
	}
	return ds
}

// commaList reads a flag's comma-separated list as people type it: the
// spaces around each item are not part of it, and an empty item, as after
// a trailing comma, is no item. A list of none is for the caller to refuse.
func commaList(s string) []string {
	var items []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// durationFlag reads core.ParseDuration's form ("90s", "7d").
type durationFlag struct{ d *time.Duration }

// String writes the duration in the form Set reads, as the flag's default
// in the help text: 30d rather than 720h0m0s.
func (f durationFlag) String() string {
	switch d := f.d; {
	case d == nil:
		return ""
	case *d > 0 && *d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", *d/(24*time.Hour))
	case *d > 0 && *d%time.Hour == 0:
		return fmt.Sprintf("%dh", *d/time.Hour)
	case *d > 0 && *d%time.Minute == 0:
		return fmt.Sprintf("%dm", *d/time.Minute)
	default:
		return d.String()
	}
}

func (f durationFlag) Set(s string) error {
	d, err := core.ParseDuration(s)
	if err != nil {
		return &badValue{"cli.flag_error.duration"}
	}
	*f.d = d
	return nil
}

// wholeFlag reads a whole number as the web form and the API do (see
// core.FormWhole): in digits, where the flag package's would take 010 for
// 8, 0x10 for 16 and 1_0 for 10.
type wholeFlag struct{ n *int }

func (f wholeFlag) String() string {
	if f.n == nil {
		return ""
	}
	return strconv.Itoa(*f.n)
}

func (f wholeFlag) Set(s string) error {
	n, ok := core.FormWhole(s)
	if !ok {
		return &badValue{"cli.flag_error.number"}
	}
	*f.n = n
	return nil
}

// newFlagSet makes a flag set that prints nothing: parseFlags returns its
// errors, and help prints its flags.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// twin is the environment variable that stands for a flag: --base-url is
// ONCELINK_BASE_URL.
func twin(flag string) string {
	return "ONCELINK_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// fromEnv is how a message names flag when its value came from its
// environment twin: ONCELINK_LOG_FORMAT (--log-format), which the operator
// can find in the environment, and still the flag its help explains.
func fromEnv(flag string) string {
	return twin(flag) + " (--" + flag + ")"
}

// nameSources is err with each flag its message names (--log-format,
// --password-signin=false) that took its value from the environment, one
// of env, named as fromEnv names it: the checks of a value speak of flags,
// where it may have come from the environment. A message that names a
// flag's twin too is left to say both as it does. It is still err to
// errors.Is and errors.As; quoted values are left as they are.
func nameSources(err error, env []string) error {
	if err == nil || len(env) == 0 {
		return err
	}
	msg := err.Error()
	var b strings.Builder
	quoted := false
	for i := 0; i < len(msg); i++ {
		switch c := msg[i]; {
		case c == '\\' && quoted && i+1 < len(msg):
			b.WriteString(msg[i : i+2])
			i++
			continue
		case c == '"':
			quoted = !quoted
		case !quoted && strings.HasPrefix(msg[i:], "--") && (i == 0 || !isFlagByte(msg[i-1])):
			end := i + 2
			for end < len(msg) && isFlagByte(msg[end]) {
				end++
			}
			name := msg[i+2 : end]
			// A message that names the twin itself already says where
			// the value may come from ("name it with --db or ONCELINK_DB").
			if !slices.Contains(env, name) || namesVariable(msg, twin(name)) {
				break
			}
			value := ""
			if end < len(msg) && msg[end] == '=' {
				v := end + 1
				for v < len(msg) && !strings.ContainsRune(" ,;:)", rune(msg[v])) {
					v++
				}
				value, end = msg[end:v], v
			}
			b.WriteString(twin(name) + value + " (--" + name + value + ")")
			i = end - 1
			continue
		}
		b.WriteByte(msg[i])
	}
	if b.String() == msg {
		return err
	}
	return &said{err: err, msg: b.String()}
}

// namesVariable reports whether msg names the environment variable v, as
// a whole name: ONCELINK_RATE_SIGNIN_ACCOUNT does not name
// ONCELINK_RATE_SIGNIN.
func namesVariable(msg, v string) bool {
	for i := strings.Index(msg, v); i >= 0; {
		end := i + len(v)
		if end == len(msg) || !(msg[end] == '_' || msg[end] >= 'A' && msg[end] <= 'Z' || msg[end] >= '0' && msg[end] <= '9') {
			return true
		}
		next := strings.Index(msg[end:], v)
		if next < 0 {
			break
		}
		i = end + next
	}
	return false
}

// isFlagByte says whether c may be part of a flag's name.
func isFlagByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
}

// everyFlag gives every flag an environment twin, as serve's flags have.
func everyFlag(string) bool { return true }

// onlyDB gives --db alone an environment twin: an ONCELINK_ADMIN left in
// the environment must not make every added account an admin.
func onlyDB(flag string) bool { return flag == "db" }

// parseFlags applies the environment twins of the flags that twins names,
// then args, and returns the arguments that are not flags. Flags may come
// before, between or after those arguments, as -name or --name, with their
// value after "=" or as the next argument; "--" ends the flags. Every
// flag takes one value, so a flag given twice is refused rather than the
// last one taken unsaid; its environment twin gives way to it as to any
// flag. env is the flags whose values came from the environment (see
// nameSources). Its errors are in l's language; flag.ErrHelp means that
// args ask for help.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string, twins func(flag string) bool, l *i18n.Localizer) (others, env []string, err error) {
	fs.VisitAll(func(f *flag.Flag) {
		if twins == nil || !twins(f.Name) || err != nil {
			return
		}
		if v := getenv(twin(f.Name)); v != "" {
			env = append(env, f.Name)
			err = setFlag(fs, f, fromEnv(f.Name), v, l)
		}
	})
	if err != nil {
		return nil, nil, err
	}
	given := map[string]bool{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(others, args[i+1:]...), withoutGiven(env, given), nil
		case len(a) < 2 || a[0] != '-' || tokenShaped(a):
			// A link's token starts with "-" once in 64: it is no flag.
			others = append(others, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a[1:], "-"), "=")
		if name == "h" || name == "help" {
			return nil, nil, flag.ErrHelp
		}
		f := fs.Lookup(name)
		if f == nil {
			return nil, nil, unknownFlag(fs, a, name, hasValue, l)
		}
		if given[f.Name] {
			return nil, nil, errors.New(l.T("cli.flag_error.repeated", "Flag", flagWord(name)))
		}
		given[f.Name] = true
		switch {
		case hasValue:
		case isBoolFlag(f):
			value = "true"
		case i+1 < len(args):
			i++
			value = args[i] // even if it starts with "-"
		default:
			return nil, nil, errors.New(l.T("cli.flag_error.needs_value", "Flag", flagWord(name)))
		}
		if value == "" && !isBoolFlag(f) {
			// An empty variable in a script: taken for the default, it
			// would share standard input for an empty --file.
			return nil, nil, errors.New(l.T("cli.flag_error.needs_value", "Flag", flagWord(name)))
		}
		if err := setFlag(fs, f, flagWord(name), value, l); err != nil {
			return nil, nil, err
		}
	}
	return others, withoutGiven(env, given), nil
}

// tokenShaped reports whether s is a link's token alone, as open takes it,
// with its key after "#" or without.
func tokenShaped(s string) bool {
	tok, key, hasKey := strings.Cut(s, "#")
	return token.Shaped(tok) && (!hasKey || key != "" && !strings.ContainsFunc(key, func(r rune) bool {
		return !('A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '_')
	}))
}

// unknownFlag is the error of arg, which starts with "-" but names none of
// fs's flags: name is what it names, before any "=". The argument is not
// repeated: what follows "=" may be a password or a key (--key=ol_...),
// and so may a whole argument that starts with "-" (a password, "-hunter2",
// or "-jsno", which is also a near miss of --json). A near miss of one of
// fs's flags names that flag alone; a name given with "=" that could be a
// flag's (see flagShaped) and no longer than fs's longest by more than a
// typo's two letters, which a pass phrase of words and dashes would be, is
// named (--key); any other gets the advice to put "--" before it.
func unknownFlag(fs *flag.FlagSet, arg, name string, hasValue bool, l *i18n.Localizer) error {
	if !flagShaped(name) {
		return errors.New(l.T("cli.flag_error.unknown_hidden"))
	}
	if near := nearestFlag(fs, name); near != "" {
		return errors.New(l.T("cli.flag_error.unknown_near", "Flag", flagWord(near)))
	}
	if hasValue && len(name) <= longestFlag(fs)+2 {
		dashes := arg[:len(arg)-len(strings.TrimLeft(arg, "-"))]
		return errors.New(l.T("cli.flag_error.unknown", "Flag", l.Quote(dashes+name)))
	}
	return errors.New(l.T("cli.flag_error.unknown_hidden"))
}

// flagShaped reports whether name could be a flag's name: lower-case
// letters, digits and hyphens, a letter first, as all of oncelink's are.
func flagShaped(name string) bool {
	if name == "" || len(name) > 32 || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// nearestFlag is the name of the flag of fs that name is a near miss of:
// the start of one, or two edits away at most. A flag that name starts is
// preferred, as -pa is the start of --password-stdin rather than two edits
// from -o; then the fewest edits away, the first by name of equals. It is
// "" when name is near none.
func nearestFlag(fs *flag.FlagSet, name string) string {
	nearest, fewest, started := "", 0, false
	fs.VisitAll(func(f *flag.Flag) {
		d, starts := editDistance(name, f.Name), strings.HasPrefix(f.Name, name)
		if !starts && d > 2 {
			return
		}
		if nearest == "" || (starts && !started) || (starts == started && d < fewest) {
			nearest, fewest, started = f.Name, d, starts
		}
	})
	return nearest
}

// longestFlag is the length of the longest name of fs's flags.
func longestFlag(fs *flag.FlagSet) int {
	n := 0
	fs.VisitAll(func(f *flag.Flag) { n = max(n, len(f.Name)) })
	return n
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// withoutGiven is env without the flags given on the command line, which
// outweigh their twins.
func withoutGiven(env []string, given map[string]bool) []string {
	return slices.DeleteFunc(env, func(name string) bool { return given[name] })
}

// setFlag gives f value, which came from where (a flag or an environment
// variable), and says in l's language why when it cannot. Only oncelink's
// own kinds of flag, which name their message, and the flag package's
// numbers and booleans refuse values; a rate's message names its bounds.
func setFlag(fs *flag.FlagSet, f *flag.Flag, where, value string, l *i18n.Localizer) error {
	err := fs.Set(f.Name, value)
	if err == nil {
		return nil
	}
	id := "cli.flag_error.number"
	var bad *badValue
	switch {
	case errors.As(err, &bad):
		id = bad.id
	case isBoolFlag(f):
		id = "cli.flag_error.bool"
	}
	return errors.New(l.T(id, "Flag", where, "Value", l.Quote(value), "Max", core.MaxRateN))
}

// badValue is the refusal of a value by one of oncelink's own kinds of
// flag: the id of the message that says why.
type badValue struct{ id string }

func (e *badValue) Error() string { return e.id }

// isBoolFlag reports whether f takes no value: --admin, not --admin true.
func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func dbFlag(fs *flag.FlagSet, dst *string) {
	fs.StringVar(dst, "db", "oncelink.db", "cli.flag.db")
}

// configFlags sets c to the defaults and declares serve's flags on fs.
func configFlags(fs *flag.FlagSet, c *config) {
	*c = config{
		MinTTL: time.Minute, MaxTTL: 30 * 24 * time.Hour, GrantTTL: 10 * time.Minute,
		Retention: 30 * 24 * time.Hour, SweepInterval: 30 * time.Second,
		MaxUpload: core.DefaultMaxUpload, MaxE2EUpload: core.DefaultMaxUpload, AccountStorage: core.DefaultAccountStorage,
	}
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "cli.flag.addr")
	dbFlag(fs, &c.DB)
	fs.StringVar(&c.BaseURL, "base-url", "", "cli.flag.base_url")
	fs.Var(durationFlag{&c.MinTTL}, "min-ttl", "cli.flag.min_ttl")
	fs.Var(durationFlag{&c.MaxTTL}, "max-ttl", "cli.flag.max_ttl")
	fs.Var(durationFlag{&c.GrantTTL}, "grant-ttl", "cli.flag.grant_ttl")
	fs.Var(durationFlag{&c.Retention}, "retention", "cli.flag.retention")
	fs.Var(durationFlag{&c.SweepInterval}, "sweep-interval", "cli.flag.sweep_interval")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", false, "cli.flag.trust_proxy")
	fs.BoolVar(&c.RateLimits, "rate-limits", true, "cli.flag.rate_limits")
	rateFlags(fs, &c.Rates)
	fs.StringVar(&c.SQLiteSync, "sqlite-sync", "normal", "cli.flag.sqlite_sync")
	fs.StringVar(&c.LogFormat, "log-format", "text", "cli.flag.log_format")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", "", "cli.flag.metrics_addr")
	fs.Var(sizeFlag{&c.MaxUpload}, "max-upload", "cli.flag.max_upload")
	fs.StringVar(&c.SMTPURL, "smtp-url", "", "cli.flag.smtp_url")
	fs.StringVar(&c.MailFrom, "mail-from", "", "cli.flag.mail_from")
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", false, "cli.flag.webhook_allow_private")
	fs.BoolVar(&c.PasswordSignIn, "password-signin", true, "cli.flag.password_signin")
	fs.StringVar(&c.OIDC.Issuer, "oidc-issuer", "", "cli.flag.oidc_issuer")
	fs.StringVar(&c.OIDC.ClientID, "oidc-client-id", "", "cli.flag.oidc_client_id")
	fs.StringVar(&c.OIDC.ClientSecret, "oidc-client-secret", "", "cli.flag.oidc_client_secret")
	fs.StringVar(&c.OIDC.AllowedDomains, "oidc-allowed-domains", "", "cli.flag.oidc_allowed_domains")
	fs.BoolVar(&c.OIDC.NoSignup, "oidc-no-signup", false, "cli.flag.oidc_no_signup")
	fs.Var(sizeFlag{&c.MaxE2EUpload}, "max-e2e-upload", "cli.flag.max_e2e_upload")
	fs.Var(sizeFlag{&c.AccountStorage}, "account-storage", "cli.flag.account_storage")
}

// complete checks the configuration that the flags left, with args, the
// arguments that were not flags (serve takes none), and fills in the base
// URL. Its errors are in l's language.
func (c *config) complete(l *i18n.Localizer, args []string) error {
	if len(args) > 0 {
		return errors.New(l.T("cli.usage.unexpected", "Arg", l.Quote(args[0])))
	}
	for _, a := range []struct {
		flag string
		addr *string
	}{{"--addr", &c.Addr}, {"--metrics-addr", &c.MetricsAddr}} {
		if *a.addr == "" && a.flag == "--metrics-addr" {
			continue // no metrics
		}
		addr, err := listenAddr(*a.addr)
		if err != nil {
			return errors.New(l.T("cli.serve.addr", "Flag", a.flag, "Value", l.Quote(*a.addr)))
		}
		*a.addr = addr
	}
	if c.BaseURL == "" {
		c.BaseURL, c.baseFromAddr = addrBase(c.Addr), true
	}
	// The links' address follows the rule the CLI holds a server's
	// address to: its root, with no name or password to hand out in links.
	root, err := client.ParseBase(c.BaseURL)
	if bad := (*client.BaseError)(nil); errors.As(err, &bad) {
		return errors.New("--base-url " + bad.In(l))
	} else if err != nil {
		return err
	}
	c.BaseURL = root
	if err := dbPathRefusal(l, c.DB); err != nil {
		return err
	}
	switch {
	case c.MinTTL <= 0 || c.MaxTTL < c.MinTTL:
		return errors.New(l.T("cli.serve.ttl_range"))
	case c.GrantTTL <= 0 || c.Retention <= 0 || c.SweepInterval <= 0:
		return errors.New(l.T("cli.serve.positive"))
	case c.LogFormat != "text" && c.LogFormat != "json":
		return errors.New(l.T("cli.serve.log_format"))
	case !strings.EqualFold(c.SQLiteSync, "normal") && !strings.EqualFold(c.SQLiteSync, "full"):
		// Refused here as a usage error, in the operator's language,
		// before the store is opened.
		return errors.New(l.T("cli.serve.sqlite_sync"))
	case c.MailFrom != "" && c.SMTPURL == "":
		return errors.New(l.T("cli.serve.mail_from"))
	case c.MaxE2EUpload < core.MinE2EUpload:
		// Written as the flag takes them, to be typed again.
		return errors.New(l.T("cli.serve.max_e2e_upload", "Value", core.LimitSize(c.MaxE2EUpload), "Min", core.LimitSize(core.MinE2EUpload)))
	case c.AccountStorage < c.MaxUpload:
		// An account must have room for the largest file a link takes.
		return errors.New(l.T("cli.serve.account_storage", "Value", core.LimitSize(c.AccountStorage), "Flag", "--max-upload", "Min", core.LimitSize(c.MaxUpload)))
	case c.AccountStorage < c.MaxE2EUpload:
		return errors.New(l.T("cli.serve.account_storage", "Value", core.LimitSize(c.AccountStorage), "Flag", "--max-e2e-upload", "Min", core.LimitSize(c.MaxE2EUpload)))
	}
	if c.SMTPURL != "" {
		// Refused here, in the operator's language, before anything starts.
		switch err := notify.CheckSettings(c.SMTPURL, c.MailFrom); {
		case errors.Is(err, notify.ErrSMTPURL):
			return errors.New(l.T("cli.serve.smtp_url"))
		case err != nil:
			return errors.New(l.T("cli.serve.smtp_mail_from"))
		}
	}
	return c.OIDC.check(l, c.PasswordSignIn)
}

// listenAddr is addr, a host and a port to listen on, with its port as a
// number: a port named as the system names it (localhost:http) becomes
// the number it stands for, which links and logs can carry. An address
// without a port, or with one that is neither, is refused before anything
// starts.
func listenAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	n, err := net.LookupPort("tcp", port)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(host, strconv.Itoa(n)), nil
}

// addrBase is the base URL of a server listening on addr. One listening
// on every address (":8080", "0.0.0.0:8080") cannot put that in its
// links, which would point nowhere: it names localhost.
func addrBase(addr string) string {
	if _, port, err := net.SplitHostPort(addr); err == nil && everyAddress(addr) {
		return "http://localhost:" + port
	}
	return "http://" + addr
}

// everyAddress says whether addr listens on every address of the machine
// (":8080", "0.0.0.0:8080", "[::]:8080").
func everyAddress(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && (host == "" || net.ParseIP(host).IsUnspecified())
}

// listenBase is the base URL of a server told to listen on addr and
// bound at bound: addr's host, as addrBase writes it, and the port it is
// bound to, which for port 0 (one the system chooses) only the listener
// knows.
func listenBase(addr string, bound net.Addr) string {
	host, _, err := net.SplitHostPort(addr)
	tcp, ok := bound.(*net.TCPAddr)
	if err != nil || !ok {
		return addrBase(addr)
	}
	return addrBase(net.JoinHostPort(host, strconv.Itoa(tcp.Port)))
}

// check refuses single sign-on settings that would not work, and a server
// that nobody could sign in to, in l's language.
func (o oidcConfig) check(l *i18n.Localizer, passwordSignIn bool) error {
	if o.Issuer == "" {
		switch {
		case o.ClientID != "" || o.ClientSecret != "" || o.AllowedDomains != "" || o.NoSignup:
			return errors.New(l.T("cli.serve.oidc_needs_issuer"))
		case !passwordSignIn:
			return errors.New(l.T("cli.serve.nobody_signs_in"))
		}
		return nil
	}
	u, err := url.Parse(o.Issuer)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" ||
		(u.Scheme != "https" && (u.Scheme != "http" || !isLoopbackHost(u.Hostname()))) {
		return errors.New(l.T("cli.serve.oidc_issuer", "URL", l.Quote(o.Issuer)))
	}
	if o.ClientID == "" {
		return errors.New(l.T("cli.serve.oidc_client_id"))
	}
	if o.AllowedDomains != "" && len(o.domains()) == 0 {
		// Read as no list at all, it would let every domain in.
		return errors.New(l.T("cli.serve.oidc_no_domain"))
	}
	for _, d := range o.domains() {
		if strings.ContainsAny(d, "@/ ") || !strings.Contains(d, ".") {
			return errors.New(l.T("cli.serve.oidc_domain", "Domain", l.Quote(d)))
		}
	}
	return nil
}

func isLoopbackHost(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
