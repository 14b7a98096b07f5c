// Package i18n speaks oncelink's languages: the message catalogs in
// locales/, one file per area and language ("links.de.toml"), the choice
// of a language from what a reader asks for, and the context that carries
// it to every component, mail and command.
package i18n

import (
	"cmp"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

//go:embed locales/*.toml
var locales embed.FS

// Language is one that oncelink speaks.
type Language struct {
	Code string // the BCP 47 tag: "en", "de"
	Name string // its name in itself: "Deutsch"
	RTL  bool   // written right to left

	// group separates a number's thousands, which it groups only when it
	// has minGroup digits more than three: as CLDR writes the language's
	// numbers (Arabic in the Latin digits that CLDR gives it, and oncelink
	// writes everywhere).
	group    string
	minGroup int
}

// Dir is the language's HTML dir attribute.
func (l Language) Dir() string {
	if l.RTL {
		return "rtl"
	}
	return "ltr"
}

// Languages are the languages oncelink speaks, English first: it is the
// one a reader gets when nothing they ask for is here.
var Languages = []Language{
	{Code: "en", Name: "English", group: ",", minGroup: 1},
	{Code: "de", Name: "Deutsch", group: ".", minGroup: 1},
	{Code: "fr", Name: "Français", group: "\u202f", minGroup: 1}, // a narrow no-break space
	{Code: "es", Name: "Español", group: ".", minGroup: 2},
	{Code: "ar", Name: "العربية", RTL: true, group: ",", minGroup: 1},
}

// Supported reports whether code is one of Languages' codes.
func Supported(code string) bool {
	return slices.ContainsFunc(Languages, func(l Language) bool { return l.Code == code })
}

var (
	matcher    language.Matcher
	localizers = map[string]*Localizer{}
	// ids are every message's id, from the English catalog.
	ids []string
)

func init() {
	tags := make([]language.Tag, len(Languages))
	for i, l := range Languages {
		tags[i] = language.MustParse(l.Code)
		localizers[l.Code] = &Localizer{Language: l, tag: tags[i]}
	}
	for id := range localizers["en"].catalog() {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	matcher = language.NewMatcher(tags)
}

// IDs are the ids of every message in the English catalog, sorted.
func IDs() []string { return slices.Clone(ids) }

// Catalog is the messages of one language, by id, as written in its
// files (go-i18n's format): each message's forms, "other" for one without
// plurals.
func Catalog(code string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	files, err := fs.Glob(locales, "locales/*."+code+".toml")
	if err != nil {
		return nil, err
	}
	for _, name := range files {
		b, err := locales.ReadFile(name)
		if err != nil {
			return nil, err
		}
		msgs, err := goi18n.ParseMessageFileBytes(b, name, map[string]goi18n.UnmarshalFunc{"toml": toml.Unmarshal})
		if err != nil {
			return nil, err
		}
		for _, m := range msgs.Messages {
			if _, dup := out[m.ID]; dup {
				return nil, fmt.Errorf("%s: %s is in two files", path.Base(name), m.ID)
			}
			forms := map[string]string{}
			for form, text := range map[string]string{"zero": m.Zero, "one": m.One, "two": m.Two, "few": m.Few, "many": m.Many, "other": m.Other} {
				if text != "" {
					forms[form] = text
				}
			}
			out[m.ID] = forms
		}
	}
	return out, nil
}

// Match is the language that best serves a reader who prefers the
// languages of an Accept-Language header, or of a locale such as
// "de_DE.UTF-8"; English when none of them is spoken here.
func Match(prefs ...string) string {
	var tags []language.Tag
	for _, p := range prefs {
		if p == "" {
			continue
		}
		if t := acceptLanguage(p); len(t) > 0 {
			tags = append(tags, t...)
			continue
		}
		// A POSIX locale: "de_DE.UTF-8", "C".
		p, _, _ = strings.Cut(p, ".")
		if t, err := language.Parse(strings.ReplaceAll(p, "_", "-")); err == nil {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 {
		return "en"
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return "en"
	}
	return Languages[i].Code
}

// Bounds of an Accept-Language header: what is read of it, and how many of
// its languages count. Browsers send a few languages in far less.
const (
	maxAcceptLanguage     = 1024
	maxAcceptLanguageTags = 32
)

// acceptLanguage returns the languages of an Accept-Language header, most
// preferred first, each read on its own: one that is not well-formed, or
// that names a subtag no registry knows ("zz"), is skipped rather than
// making the whole header count for nothing, as is one of weight 0 and
// "*". Only the first maxAcceptLanguage bytes and maxAcceptLanguageTags
// languages count.
func acceptLanguage(header string) []language.Tag {
	if len(header) > maxAcceptLanguage {
		header = header[:maxAcceptLanguage]
	}
	type weighed struct {
		tag language.Tag
		q   float64
	}
	var ws []weighed
	for i, entry := range strings.Split(header, ",") {
		if i == maxAcceptLanguageTags {
			break
		}
		name, params, _ := strings.Cut(entry, ";")
		name = strings.TrimSpace(name)
		q := 1.0
		if params = strings.TrimSpace(params); params != "" {
			v, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
			f, err := strconv.ParseFloat(v, 64)
			if !ok || err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		if name == "" || name == "*" || q == 0 {
			continue
		}
		t, err := language.Parse(name)
		if err != nil {
			continue
		}
		ws = append(ws, weighed{t, q})
	}
	slices.SortStableFunc(ws, func(a, b weighed) int { return cmp.Compare(b.q, a.q) })
	tags := make([]language.Tag, len(ws))
	for i, w := range ws {
		tags[i] = w.tag
	}
	return tags
}

// For is the localizer of the language code, English for one not spoken.
func For(code string) *Localizer {
	if l, ok := localizers[code]; ok {
		return l
	}
	return localizers["en"]
}

// Localizer says oncelink's messages in one language.
type Localizer struct {
	Language
	tag      language.Tag
	load     sync.Once
	messages map[string]*message // by id, once load has run (see catalog)

	// js are the page scripts' messages as the catalog writes them (see
	// ScriptFile), and script the file ScriptFile makes of them, once.
	js         map[string]map[string]string
	scriptOnce sync.Once
	scriptName string
	scriptJS   []byte
}

// catalog is l's messages, compiled when its language is first spoken:
// a server whose readers all read English holds no other language.
func (l *Localizer) catalog() map[string]*message {
	l.load.Do(func() {
		catalog, err := Catalog(l.Code)
		if err != nil {
			panic(fmt.Sprintf("i18n: %s: %v", l.Code, err)) // the embedded files are tested
		}
		l.messages = make(map[string]*message, len(catalog))
		l.js = map[string]map[string]string{}
		for id, forms := range catalog {
			l.messages[id] = compile(forms)
			if strings.HasPrefix(id, "js.") || strings.HasPrefix(id, "time.wait.") {
				l.js[id] = forms
			}
		}
	})
	return l.messages
}

// message is a catalog message compiled for saying it: each plural form's
// text cut into literal parts and {{.Field}}s. Messages name their data
// only as {{.Field}} (a catalog test holds them to it), so no template
// engine runs on a page's hot path.
type message struct {
	forms [plural.Many + 1][]part // by plural form; nil where the language has none
}

type part struct {
	text  string
	field string // a {{.Field}} when set, else literal text
}

// field is a message's {{.Field}}.
var field = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

var formNames = map[string]plural.Form{
	"zero": plural.Zero, "one": plural.One, "two": plural.Two, "few": plural.Few, "many": plural.Many, "other": plural.Other,
}

func compile(forms map[string]string) *message {
	m := &message{}
	for name, text := range forms {
		var parts []part
		last := 0
		for _, loc := range field.FindAllStringSubmatchIndex(text, -1) {
			if loc[0] > last {
				parts = append(parts, part{text: text[last:loc[0]]})
			}
			parts = append(parts, part{field: text[loc[2]:loc[3]]})
			last = loc[1]
		}
		if last < len(text) || len(parts) == 0 {
			parts = append(parts, part{text: text[last:]})
		}
		m.forms[formNames[name]] = parts
	}
	return m
}

// say writes parts with data from pairs, and count as Count.
func say(parts []part, count any, pairs []any) string {
	if len(parts) == 1 && parts[0].field == "" {
		return parts[0].text
	}
	var b strings.Builder
	for _, p := range parts {
		if p.field == "" {
			b.WriteString(p.text)
			continue
		}
		v, ok := lookup(p.field, pairs)
		if !ok && p.field == "Count" && count != nil {
			v, ok = count, true
		}
		if !ok {
			b.WriteString("<no value>")
			continue
		}
		switch v := v.(type) {
		case string:
			b.WriteString(v)
		case int:
			b.WriteString(strconv.Itoa(v))
		default:
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

func lookup(name string, pairs []any) (any, bool) {
	for i := 0; i+1 < len(pairs); i += 2 {
		if k, _ := pairs[i].(string); k == name {
			return pairs[i+1], true
		}
	}
	return nil, false
}

// find is the message id in l's language, else in English; nil when no
// catalog has it.
func (l *Localizer) find(id string) *message {
	if m, ok := l.catalog()[id]; ok {
		return m
	}
	return localizers["en"].catalog()[id]
}

// T is the message id, with data from pairs of names and values:
// T("time.left.seconds", "Seconds", 5). A missing message is its id in
// brackets, which the catalog tests catch.
func (l *Localizer) T(id string, pairs ...any) string {
	m := l.find(id)
	if m == nil || m.forms[plural.Other] == nil {
		return "[" + id + "]"
	}
	return say(m.forms[plural.Other], nil, pairs)
}

// Parts says message id piece by piece, for a caller that draws its data
// itself (as HTML, say): text gets each literal stretch, field the value
// among pairs of each {{.Field}}, in order. A field without a value, and a
// missing message, read as they do with T.
func (l *Localizer) Parts(id string, pairs []any, text func(string) error, field func(any) error) error {
	m := l.find(id)
	if m == nil || m.forms[plural.Other] == nil {
		return text("[" + id + "]")
	}
	for _, p := range m.forms[plural.Other] {
		var err error
		if p.field == "" {
			err = text(p.text)
		} else if v, ok := lookup(p.field, pairs); ok {
			err = field(v)
		} else {
			err = text("<no value>")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Number writes n with its thousands grouped as the language groups them:
// 26,203,885 in English, 26.203.885 in German; Spanish leaves a number of
// four digits whole, 1000, and groups 10.000.
func (l *Localizer) Number(n int64) string {
	digits := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, digits = "-", digits[1:]
	}
	if len(digits) < 3+l.minGroup {
		return sign + digits
	}
	var b strings.Builder
	b.WriteString(sign)
	first := (len(digits)-1)%3 + 1
	b.WriteString(digits[:first])
	for i := first; i < len(digits); i += 3 {
		b.WriteString(l.group)
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// Size writes a size of n bytes for a person, to a tenth of its unit, its
// digits grouped, its decimal mark and its unit as the language writes
// them: "512 bytes", "1.5 KiB", "2,048 MiB"; "1,5 KiB" in German, "1,5 Kio"
// in French, "1.5 ك.ب" in Arabic.
func (l *Localizer) Size(n int64) string {
	id, in := "", int64(1)
	switch {
	case n >= 1<<20:
		id, in = "format.size.mib", 1<<20
	case n >= 1<<10:
		id, in = "format.size.kib", 1<<10
	default:
		return l.N("format.size.bytes", int(n))
	}
	tenths := (n*10 + in/2) / in
	s := l.Number(tenths / 10)
	if d := tenths % 10; d != 0 {
		s += l.T("format.decimal") + strconv.FormatInt(d, 10)
	}
	return l.T(id, "Size", s)
}

// N is the message id in the language's plural form (CLDR) for n, which
// its data holds as Count, written as Number writes it, beside the pairs.
func (l *Localizer) N(id string, n int, pairs ...any) string {
	m := l.find(id)
	if m == nil || m.forms[plural.Other] == nil {
		return "[" + id + "]"
	}
	abs := n
	if abs < 0 {
		abs = -abs
	}
	parts := m.forms[l.pluralForm(abs)]
	if parts == nil {
		parts = m.forms[plural.Other]
	}
	return say(parts, l.Number(int64(n)), pairs)
}

// pluralForm is the CLDR plural category of the whole number n, which is
// not negative, in l's language. golang.org/x/text's rules predate the
// "many" category that CLDR 38 gave French and Spanish for a whole
// million and its multiples, which take "de" before their noun (1 000 000
// de secondes, 1.000.000 de segundos), and that the browsers' Intl.
// PluralRules, which the page scripts use, already know; pluralForm adds it.
func (l *Localizer) pluralForm(n int) plural.Form {
	if (l.Code == "fr" || l.Code == "es") && n != 0 && n%1_000_000 == 0 {
		return plural.Many
	}
	return plural.Cardinal.MatchPlural(l.tag, n, 0, 0, 0, 0)
}

type ctxKey struct{}

// lazy is a localizer chosen on first use: a page's language may rest on
// its viewer's account, which not every request looks up.
type lazy struct {
	once  sync.Once
	pick  func() string
	local *Localizer
}

// With carries the localizer of the language code in ctx.
func With(ctx context.Context, code string) context.Context {
	return context.WithValue(ctx, ctxKey{}, For(code))
}

// WithChoice carries in ctx the localizer of the language that pick
// returns, asked once when a message is first wanted.
func WithChoice(ctx context.Context, pick func() string) context.Context {
	return context.WithValue(ctx, ctxKey{}, &lazy{pick: pick})
}

// From is ctx's localizer; English when it carries none.
func From(ctx context.Context) *Localizer {
	switch v := ctx.Value(ctxKey{}).(type) {
	case *Localizer:
		return v
	case *lazy:
		v.once.Do(func() { v.local = For(v.pick()) })
		return v.local
	}
	return localizers["en"]
}

// T is From(ctx).T.
func T(ctx context.Context, id string, pairs ...any) string { return From(ctx).T(id, pairs...) }

// N is From(ctx).N.
func N(ctx context.Context, id string, n int, pairs ...any) string {
	return From(ctx).N(id, n, pairs...)
}

// ScriptFile is a script that gives the page scripts the language's
// messages, those whose ids start with "js.", as window.oncelink.messages:
// by id without the prefix, a string, or for a message with plural forms
// an object of them by CLDR category ("one", "few", "other"), which a
// script picks with Intl.PluralRules. Their placeholders are {name}, which
// scripts fill. The words of a wait (Wait's "time.wait." messages) come
// too, by their whole ids, their {{.Field}}s written {field}: a countdown
// says them as the server does. name is the file's name, with a hash of
// its content: "de.3f2a9c0b1d4e.js". Every page loads it as a static file,
// so that a browser fetches each language's messages once a release, and
// no script holds words of its own.
func (l *Localizer) ScriptFile() (name string, js []byte) {
	l.scriptOnce.Do(func() {
		l.catalog()
		m := make(map[string]any, len(l.js))
		for id, forms := range l.js {
			rest := strings.TrimPrefix(id, "js.")
			forScript := make(map[string]string, len(forms))
			for form, text := range forms {
				forScript[form] = scriptPlaceholders(text)
			}
			if len(forms) == 1 {
				m[rest] = forScript["other"]
			} else {
				m[rest] = forScript
			}
		}
		b, err := json.Marshal(m)
		if err != nil {
			panic(err)
		}
		l.scriptJS = fmt.Appendf(nil, "(window.oncelink = window.oncelink || {}).messages = %s;\n", b)
		sum := sha256.Sum256(l.scriptJS)
		l.scriptName = l.Code + "." + hex.EncodeToString(sum[:6]) + ".js"
	})
	return l.scriptName, l.scriptJS
}

// scriptPlaceholders writes a message's {{.Field}}s as a page script's
// {field}.
func scriptPlaceholders(text string) string {
	return field.ReplaceAllStringFunc(text, func(f string) string {
		name := field.FindStringSubmatch(f)[1]
		return "{" + strings.ToLower(name[:1]) + name[1:] + "}"
	})
}
