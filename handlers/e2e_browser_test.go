package handlers

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/e2e"
	"oncelink/i18n"
	"oncelink/internal/browsertest"
)

// bodies records every request the server receives: its address, its
// Referer and its body.
type bodies struct {
	mu   sync.Mutex
	seen [][]byte
}

func (b *bodies) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		b.mu.Lock()
		b.seen = append(b.seen, append([]byte(r.Method+" "+r.URL.String()+"\nReferer: "+r.Referer()+"\n"), body...))
		b.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// holding names what of needles a request or a file in dir holds.
func (b *bodies) holding(t *testing.T, dir string, needles map[string][]byte) []string {
	t.Helper()
	b.mu.Lock()
	haystacks := map[string][]byte{}
	for i, s := range b.seen {
		haystacks[fmt.Sprintf("request %d, %s", i, bytes.SplitN(s, []byte("\n"), 2)[0])] = s
	}
	b.mu.Unlock()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		haystacks["file "+e.Name()] = data
	}
	var found []string
	for where, hay := range haystacks {
		for what, needle := range needles {
			if len(needle) > 0 && bytes.Contains(hay, needle) {
				found = append(found, what+" in "+where)
			}
		}
	}
	return found
}

// paddedVideo is the sample video grown to size bytes, still a valid,
// playable WebM: an EBML Void element of random bytes ends its Segment,
// whose size is updated. The Cues' positions, before it, stay right.
func paddedVideo(t *testing.T, size int) []byte {
	t.Helper()
	video := assetBytes(t, "media/sample-video.webm")
	// EBML header (4-byte ID, 1-byte size), then the Segment's ID and its
	// 8-byte size, as the sample's muxer writes them.
	head := 4 + 1 + int(video[4]&0x7f)
	if !bytes.Equal(video[head:head+4], []byte{0x18, 0x53, 0x80, 0x67}) || video[head+4] != 0x01 {
		t.Fatalf("the sample video's Segment is not where this test expects it")
	}
	pad := size - len(video) - 9
	void := make([]byte, 9+pad)
	void[0] = 0xEC
	binary.BigEndian.PutUint64(void[1:], uint64(pad))
	void[1] = 0x01 // an 8-byte size
	rand.Read(void[9:])
	out := append(bytes.Clone(video), void...)
	segment := binary.BigEndian.Uint64(out[head+4:]) & 0x00ffffffffffffff
	binary.BigEndian.PutUint64(out[head+4:], segment+uint64(len(void)))
	out[head+4] = 0x01
	return out
}

// e2eCreate creates an end-to-end link in the browser's create form, with
// fill choosing and filling in what to share, and returns its URL as the
// page shows it, the key included, on front.
func e2eCreate(t *testing.T, ctx context.Context, s *testServer, front string, fill ...chromedp.Action[chromedp.Void]) string {
	t.Helper()
	actions := append([]chromedp.Action[chromedp.Void]{
		chromedp.Navigate(front + "/links"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=e2e]`)),
	}, fill...)
	actions = append(actions,
		chromedp.Click(chromedp.CSS(`[data-testid=e2e]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=create]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=e2e-created]`)),
	)
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
	link, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("created-url").value`))
	if err != nil {
		t.Fatal(err)
	}
	if qr, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector("[data-testid=qr]")`)); qr {
		t.Error("an end-to-end link got a QR code without its key")
	}
	if !strings.Contains(link, "#") {
		t.Fatalf("created %q: no key after #", link)
	}
	return strings.Replace(link, s.URL, front, 1)
}

// e2eOpenPage loads link's page in ctx and checks that the key left the
// address bar and the history at once.
func e2eOpenPage(t *testing.T, ctx context.Context, link string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`[data-e2e-form]`)),
	); err != nil {
		t.Fatal(err)
	}
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`location.href.includes("#") || navigation.entries().some(e => (e.url || "").includes("#"))`))
	if err != nil || kept {
		t.Fatalf("the key is still in the address or the history: %v", err)
	}
}

// openE2EFile shares content as an end-to-end file link with header h,
// sealed as the sender's program does, then opens it in ctx's tab, its
// address ending in query (such as "?lang=ar"), and waits for the save
// button of the decrypted file.
func openE2EFile(t *testing.T, ctx context.Context, s *testServer, h e2e.Header, content []byte, query string) {
	t.Helper()
	secret := e2e.NewSecret()
	h.Kind = "file"
	sealed := e2e.Seal(e2e.Key(secret, ""), h, content)
	link := s.shareE2E("file", "", base64.RawURLEncoding.EncodeToString(e2e.Check(e2e.Claim(secret))), sealed)
	e2eOpenPage(t, ctx, link+query+"#"+e2e.EncodeSecret(secret))
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=open]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=e2e-save]`)),
	); err != nil {
		t.Fatal(err)
	}
}

// openDecrypts presses the Open button of the end-to-end message link
// whose page ctx shows, and checks that it decrypts to message.
func openDecrypts(t *testing.T, ctx context.Context, message string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=open]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=e2e-message]`)),
	); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=e2e-message]").value`))
	if err != nil || got != message {
		t.Fatalf("decrypted %q, %v", got, err)
	}
}

// e2eRefusal waits for the end-to-end link's page ctx shows to offer Open
// or to refuse, and returns its refusal, if any.
func e2eRefusal(t *testing.T, ctx context.Context) string {
	t.Helper()
	poll(t, ctx, `!document.querySelector("[data-e2e-form]").hidden || !document.querySelector("[data-testid=e2e-error]").hidden`, 10*time.Second)
	refusal, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(e => e.hidden ? "" : e.textContent)(document.querySelector("[data-testid=e2e-error]"))`))
	if err != nil {
		t.Fatal(err)
	}
	return refusal
}

// refusalHasFocus checks that the refusal the end-to-end link's page ctx
// shows took the focus from the Open button, which went with its form.
func refusalHasFocus(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	poll(t, ctx, `document.querySelector("[data-e2e-form]").hidden`, 5*time.Second)
	if focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.dataset.testid || document.activeElement.tagName`)); err != nil || focused != "e2e-error" {
		t.Errorf("after %s the focus is on %q (%v), not the refusal", what, focused, err)
	}
}

func TestBrowserE2E(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	var seen bodies
	front := frontServer(t, s, seen.wrap)
	video := paddedVideo(t, 20<<20)
	videoPath := filepath.Join(t.TempDir(), "holiday.webm")
	if err := os.WriteFile(videoPath, video, 0o600); err != nil {
		t.Fatal(err)
	}
	// A recording, which the sender's browser calls video/webm by its
	// name.
	audioPath := filepath.Join(t.TempDir(), "voice-note.webm")
	if err := os.WriteFile(audioPath, assetBytes(t, "media/sample-audio.webm"), 0o600); err != nil {
		t.Fatal(err)
	}
	const message = "The safe opens with 31-07-88, said nobody."
	target := front.URL + "/healthz"

	owner := browsertest.New(t, chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	problems := browsertest.Watch(t, owner)
	signIn(t, owner, front.URL)
	if err := chromedp.Do(owner, chromedp.Navigate(front.URL+"/links"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=e2e]`))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(owner, chromedp.Click(chromedp.CSS(`[data-testid=e2e]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.Shoot(t, owner, "e2e-create-form")
	messageLink := e2eCreate(t, owner, s, front.URL, chromedp.SendKeys(chromedp.ID("message"), message))
	browsertest.Shoot(t, owner, "e2e-created")
	urlLink := e2eCreate(t, owner, s, front.URL,
		chromedp.Click(chromedp.CSS(`input[name=kind][value=url]`)),
		chromedp.SendKeys(chromedp.ID("url"), target))
	videoLink := e2eCreate(t, owner, s, front.URL,
		chromedp.Click(chromedp.CSS(`input[name=kind][value=file]`)),
		chromedp.WaitVisible(chromedp.ID("file")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{videoPath}))
	audioLink := e2eCreate(t, owner, s, front.URL,
		chromedp.Click(chromedp.CSS(`input[name=kind][value=file]`)),
		chromedp.WaitVisible(chromedp.ID("file")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{audioPath}))
	problems.Check(owner)

	// The dashboard marks them.
	if err := chromedp.Do(owner, chromedp.Navigate(front.URL+"/links"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=link-row]`))); err != nil {
		t.Fatal(err)
	}
	marks, err := chromedp.Run(owner, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=link-row] [data-testid=e2e-mark]").length`))
	if err != nil || marks != 4 {
		t.Fatalf("%d rows marked end-to-end, want 4 (%v)", marks, err)
	}

	// Preview bots burn nothing: a GET, and a browser that runs the
	// page's scripts without pressing Open.
	for _, link := range []string{messageLink, urlLink, videoLink} {
		bare, _, _ := strings.Cut(link, "#")
		res, err := http.Get(bare)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("a bot's GET: %d", res.StatusCode)
		}
		bot, cancel := chromedp.NewContext(owner, chromedp.WithNewBrowserContext())
		e2eOpenPage(t, bot, link)
		time.Sleep(200 * time.Millisecond)
		cancel()
	}

	// The recipient, in a browser of their own.
	recipient, cancel := chromedp.NewContext(owner, chromedp.WithNewBrowserContext())
	defer cancel()
	rp := browsertest.Watch(t, recipient)
	e2eOpenPage(t, recipient, messageLink)
	browsertest.Shoot(t, recipient, "e2e-recipient-before")
	openDecrypts(t, recipient, message)
	if label, _ := chromedp.Run(recipient, chromedp.Evaluate[string](`document.querySelector("[data-testid=e2e-message]").getAttribute("aria-label")`)); label != "The message" {
		t.Errorf("the decrypted message's box is named %q", label)
	}
	// What held before the open is gone from the page, which says it is
	// the only copy now.
	after, err := chromedp.Run(recipient, chromedp.Evaluate[bool](`!!document.querySelector("[data-testid=e2e-done]") &&
		[...document.querySelectorAll("[data-before-open]")].every(e => e.hidden && !e.offsetParent)`))
	if err != nil || !after {
		t.Fatalf("after the open, the page still says how it stood before, or not that it is the only copy (%v)", err)
	}
	// The form that had the focus is gone; the note takes it.
	if focused, _ := chromedp.Run(recipient, chromedp.Evaluate[string](`document.activeElement.dataset.testid || document.activeElement.tagName`)); focused != "e2e-done" {
		t.Errorf("after the open, the focus is on %q", focused)
	}
	browsertest.Shoot(t, recipient, "e2e-recipient-after")

	// A web address: location.replace, no 3xx, the key nowhere.
	e2eOpenPage(t, recipient, urlLink)
	if err := chromedp.Do(recipient, chromedp.Click(chromedp.CSS(`[data-testid=open]`))); err != nil {
		t.Fatal(err)
	}
	poll(t, recipient, `location.href === `+jsString(target), 10*time.Second)
	if back, _ := chromedp.Run(recipient, chromedp.Evaluate[bool](`navigation.entries().some(e => (e.url || "").includes("#"))`)); back {
		t.Error("the key is in the history after following the address")
	}

	// The video: decrypted, it plays and seeks in the tab-pause player.
	e2eOpenPage(t, recipient, videoLink)
	if err := chromedp.Do(recipient,
		chromedp.Click(chromedp.CSS(`[data-testid=open]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=player-video] video`)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("video").play()`, chromedp.EvalAwaitPromise),
	); err != nil {
		t.Fatal(err)
	}
	poll(t, recipient, `document.querySelector("[data-player]").dataset.state === "playing" && document.querySelector("video").currentTime > 0.5`, 15*time.Second)
	if err := chromedp.Do(recipient, chromedp.Evaluate[chromedp.Void](`document.querySelector("video").currentTime = 15`)); err != nil {
		t.Fatal(err)
	}
	poll(t, recipient, `(v => !v.seeking && v.currentTime >= 15 && !v.paused)(document.querySelector("video"))`, 15*time.Second)
	browsertest.SetHidden(t, recipient, true)
	poll(t, recipient, `document.querySelector("video").paused`, 5*time.Second)
	browsertest.SetHidden(t, recipient, false)
	poll(t, recipient, `!document.querySelector("video").paused`, 5*time.Second)
	// The player speaks the page's language: its messages came with the
	// page that loaded it.
	if said, err := chromedp.Run(recipient, chromedp.Evaluate[string](`document.querySelector("[data-player]").innerText`)); err != nil ||
		strings.Contains(said, "js.player.") || !strings.Contains(said, "Playing") {
		t.Fatalf("the player says %q (%v)", said, err)
	}

	// The recording plays as one, without a picture.
	e2eOpenPage(t, recipient, audioLink)
	if err := chromedp.Do(recipient,
		chromedp.Click(chromedp.CSS(`[data-testid=open]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=player-audio] audio`)),
	); err != nil {
		t.Fatal(err)
	}
	if videos, err := chromedp.Run(recipient, chromedp.Evaluate[int](`document.querySelectorAll("video").length`)); err != nil || videos != 0 {
		t.Errorf("the recording's page shows %d video elements (%v)", videos, err)
	}
	browsertest.Shoot(t, recipient, "e2e-recording")
	rp.Check(recipient)

	// Each was used once: a second open gets nothing.
	for _, link := range []string{messageLink, videoLink} {
		bare, _, _ := strings.Cut(link, "#")
		if res, err := http.Get(bare); err != nil || res.StatusCode != http.StatusGone {
			t.Fatalf("after the open: %v %v", res, err)
		}
	}

	// The plaintexts and the keys reached no request and no database file.
	needles := map[string][]byte{"message": []byte(message), "web address": []byte(target[len("http://"):]),
		"video start": video[1000:1064], "video padding": video[len(video)-5000 : len(video)-4936]}
	for i, link := range []string{messageLink, urlLink, videoLink} {
		_, fragment, _ := strings.Cut(link, "#")
		secret, err := e2e.ParseSecret(fragment)
		if err != nil {
			t.Fatal(err)
		}
		name := string(rune('1' + i))
		needles["key "+name] = []byte(fragment)
		needles["raw key "+name] = secret
		needles["content key "+name] = e2e.Key(secret, "")
		needles["claim in base64url "+name] = []byte(base64.RawURLEncoding.EncodeToString(e2e.Claim(secret)))
	}
	// The claims went to the server, once each, as they must: that is no
	// leak of the key. The rest must be nowhere.
	var found []string
	for _, f := range seen.holding(t, filepath.Dir(s.dbPath), needles) {
		if strings.Contains(f, "GET /healthz") {
			continue // the recipient's browser going to the shared address
		}
		if !strings.HasPrefix(f, "claim in base64url") || strings.Contains(f, "file ") {
			found = append(found, f)
		}
	}
	if len(found) > 0 {
		t.Errorf("found %s", strings.Join(found, "; "))
	}
	if s.dbPath == "" {
		t.Fatal("no database file to scan")
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// vector is one of package e2e's fixed cases.
type vector struct {
	Secret, Password, Check, Plaintext, Ciphertext string
	Header                                         e2e.Header
}

func readVectors(t *testing.T) []vector {
	t.Helper()
	b, err := os.ReadFile("../e2e/testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

// shareE2E makes an end-to-end link of ada's with ciphertext ct and check,
// as a client would, and returns its URL without a key.
func (s *testServer) shareE2E(kind, password, check string, ct []byte) string {
	s.t.Helper()
	ctx := context.Background()
	a, err := s.store.AccountByName(ctx, "ada")
	if err != nil {
		s.t.Fatal(err)
	}
	d := s.h.core.NewDraft()
	defer d.Close()
	d.SetE2E("1")
	if err := d.ReceiveFile("x", bytes.NewReader(ct)); err != nil {
		s.t.Fatal(err)
	}
	c, err := s.h.core.Create(ctx, a.ID, d, core.LinkInput{Kind: kind, TTL: "1h", Password: password, E2ECheck: check})
	if err != nil {
		s.t.Fatal(err)
	}
	return c.URL
}

// TestBrowserE2EVectors opens package e2e's fixed vectors, made in Go, with
// the page's script; a changed ciphertext and a wrong key give a clear
// error and nothing of the content.
func TestBrowserE2EVectors(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	ctx := browsertest.New(t)
	problems := browsertest.Watch(t, ctx)
	for _, v := range readVectors(t) {
		if v.Header.Kind != "message" {
			continue // followed, a web address would leave the test
		}
		ct, _ := base64.RawURLEncoding.DecodeString(v.Ciphertext)
		link := s.shareE2E(v.Header.Kind, v.Password, v.Check, ct)
		e2eOpenPage(t, ctx, link+"#"+v.Secret)
		actions := []chromedp.Action[chromedp.Void]{}
		if v.Password != "" {
			actions = append(actions, chromedp.SendKeys(chromedp.ID("link-password"), v.Password))
		}
		actions = append(actions, chromedp.Click(chromedp.CSS(`[data-testid=open]`)))
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatal(err)
		}
		poll(t, ctx, `(m => !!m && m.value === `+jsString(v.Plaintext)+`)(document.querySelector("[data-testid=e2e-message]"))`, 10*time.Second)
	}

	// A wrong password: refused beside its field, with the tries left, as
	// on any link's page; the right one then opens.
	for _, v := range readVectors(t) {
		if v.Header.Kind != "message" || v.Password == "" {
			continue
		}
		ct, _ := base64.RawURLEncoding.DecodeString(v.Ciphertext)
		e2eOpenPage(t, ctx, s.shareE2E("message", v.Password, v.Check, ct)+"#"+v.Secret)
		// Longer than any password in bytes, though not in characters:
		// said beside the field, which stays for another try.
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.ID("link-password"), strings.Repeat("é", 40)),
			chromedp.Click(chromedp.CSS(`[data-testid=open]`)),
			chromedp.WaitVisible(chromedp.CSS(`.field [data-testid=form-error]`)),
			chromedp.Evaluate[chromedp.Void](`document.getElementById("link-password").value = ""`),
		); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.ID("link-password"), "not "+v.Password),
			chromedp.Click(chromedp.CSS(`[data-testid=open]`)),
			chromedp.WaitVisible(chromedp.CSS(`.field [data-testid=attempts-left]`)),
		); err != nil {
			t.Fatal(err)
		}
		said, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(f => [f.getAttribute("aria-invalid"), f.getAttribute("aria-describedby"),
			document.getElementById("error-password").textContent, document.querySelector("[data-testid=e2e-error]").hidden].join("|"))(document.getElementById("link-password"))`))
		if err != nil || !strings.HasPrefix(said, "true|error-password link-password-tries link-password-help|That password is not right.") || !strings.HasSuffix(said, "|true") {
			t.Errorf("a wrong password is shown as %q (%v)", said, err)
		}
		browsertest.Shoot(t, ctx, "e2e-recipient-wrong-password")
		if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("link-password"), v.Password), chromedp.Click(chromedp.CSS(`[data-testid=open]`))); err != nil {
			t.Fatal(err)
		}
		poll(t, ctx, `(m => !!m && m.value === `+jsString(v.Plaintext)+`)(document.querySelector("[data-testid=e2e-message]"))`, 10*time.Second)
		break
	}

	v := readVectors(t)[0]
	ct, _ := base64.RawURLEncoding.DecodeString(v.Ciphertext)

	// A wrong key: the server refuses it, and the link stays unused.
	link := s.shareE2E("message", "", v.Check, ct)
	e2eOpenPage(t, ctx, link+"#"+e2e.EncodeSecret(e2e.NewSecret()))
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=open]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=e2e-error]`))); err != nil {
		t.Fatal(err)
	}
	if shown, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector("[data-testid=e2e-message]")`)); shown {
		t.Fatal("a wrong key showed something")
	}
	refusalHasFocus(t, ctx, "a wrong key")
	e2eOpenPage(t, ctx, link+"#"+v.Secret)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=open]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=e2e-message]`))); err != nil {
		t.Fatal(err)
	}

	// A changed ciphertext: it does not decrypt, and nothing is shown.
	bad := bytes.Clone(ct)
	bad[len(bad)-3] ^= 1
	link = s.shareE2E("message", "", v.Check, bad)
	e2eOpenPage(t, ctx, link+"#"+v.Secret)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=open]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=e2e-error]`))); err != nil {
		t.Fatal(err)
	}
	if shown, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector("[data-testid=e2e-message]")`)); shown {
		t.Fatal("a changed ciphertext showed something")
	}
	refusalHasFocus(t, ctx, "a changed ciphertext")
	browsertest.Shoot(t, ctx, "e2e-recipient-corrupt")

	// No key in the address: it says so, and opens nothing.
	link = s.shareE2E("message", "", v.Check, ct)
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`[data-testid=e2e-error]`))); err != nil {
		t.Fatal(err)
	}
	problems.Check(ctx)
}

// TestBrowserE2EReloadBeforeOpen: a reload of an end-to-end link's page
// before Open, whose address lost its key as the page first loaded, still
// opens it: the tab kept the key, which no request carried, and forgets it
// once the link is opened. A key that is there but cannot be one is told
// apart from none, and uses nothing.
func TestBrowserE2EReloadBeforeOpen(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	var seen bodies
	front := frontServer(t, s, seen.wrap)
	v := readVectors(t)[0]
	ct, _ := base64.RawURLEncoding.DecodeString(v.Ciphertext)
	share := func() string { return strings.Replace(s.shareE2E("message", "", v.Check, ct), s.URL, front.URL, 1) }
	ctx := browsertest.New(t)
	problems := browsertest.Watch(t, ctx)

	link := share()
	e2eOpenPage(t, ctx, link+"#"+v.Secret)
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	if refusal := e2eRefusal(t, ctx); refusal != "" {
		t.Fatalf("reloaded before Open, the page says %q", refusal)
	}
	openDecrypts(t, ctx, v.Plaintext)
	if left, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Object.keys(sessionStorage).filter(k => k.startsWith("oncelink.e2e"))`)); len(left) != 0 {
		t.Errorf("the key stays in the tab's storage after the open: %q", left)
	}
	if l := linkOf(t, s, link); l.Uses != 1 {
		t.Errorf("%d uses after a reload and an open", l.Uses)
	}

	const badKey = "The key in this address, the part after #, is not a valid one: check that the link was copied whole. Nothing was used."
	const noKey = "This address lacks its key, the part after #. Ask for the whole link: nothing was used."
	link = share()
	for _, key := range []string{"abc", v.Secret[:42], v.Secret[:42] + "!"} {
		if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(link+"#"+key)); err != nil {
			t.Fatal(err)
		}
		if refusal := e2eRefusal(t, ctx); refusal != badKey {
			t.Errorf("with the key %q, the page says %q", key, refusal)
		}
	}
	browsertest.Shoot(t, ctx, "e2e-recipient-bad-key")
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(link)); err != nil {
		t.Fatal(err)
	}
	if refusal := e2eRefusal(t, ctx); refusal != noKey {
		t.Errorf("with no key, the page says %q", refusal)
	}
	if l := linkOf(t, s, link); l.Uses != 0 {
		t.Errorf("%d uses after keys that are none", l.Uses)
	}
	problems.Check(ctx)

	// The key went no further than the tab: no address, body or Referer
	// of any request had it.
	if found := seen.holding(t, filepath.Dir(s.dbPath), map[string][]byte{"key": []byte(v.Secret[:42])}); len(found) > 0 {
		t.Errorf("found %s", strings.Join(found, "; "))
	}
}

// TestBrowserE2EWithoutJavaScript: the recipient's page says JavaScript is
// needed, and the create form that it cannot encrypt here.
func TestBrowserE2EWithoutJavaScript(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	v := readVectors(t)[0]
	ct, _ := base64.RawURLEncoding.DecodeString(v.Ciphertext)
	link := s.shareE2E("message", "", v.Check, ct)
	ctx := browsertest.New(t)
	signIn(t, ctx, s.URL)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/links"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=e2e-unavailable]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.Shoot(t, ctx, "e2e-create-nojs")
	other, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	if _, err := chromedp.Call(other, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(other, chromedp.Navigate(link+"#"+v.Secret), chromedp.WaitVisible(chromedp.CSS(`[data-testid=e2e-nojs]`))); err != nil {
		t.Fatal(err)
	}
	if open, _ := chromedp.Run(other, chromedp.Evaluate[bool](`(f => !!f && !f.hidden)(document.querySelector("[data-e2e-form]"))`)); open {
		t.Error("the open form shows without JavaScript")
	}
	browsertest.Shoot(t, other, "e2e-recipient-nojs")
}

// TestBrowserE2EForOneAccount: an end-to-end link for one account, opened
// before signing in as it, keeps its key through a reload and the sign-in,
// in the tab and never in an address, and opens after it.
func TestBrowserE2EForOneAccount(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	s.user("bob")
	const message = "for bob's eyes"
	owner := browsertest.New(t)
	signIn(t, owner, s.URL)
	link := e2eCreate(t, owner, s, s.URL,
		chromedp.SendKeys(chromedp.ID("message"), message),
		chromedp.SendKeys(chromedp.ID("for_user"), "bob"))

	recipient := browsertest.New(t)
	problems := browsertest.Watch(t, recipient)
	if err := chromedp.Do(recipient,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`[data-e2e-keep] [data-testid=sign-in]`)),
		// By accident, before setting off: the tab still has the key.
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`[data-e2e-keep] [data-testid=sign-in]`)),
	); err != nil {
		t.Fatal(err)
	}
	if here, _ := chromedp.Run(recipient, chromedp.Location()); strings.Contains(here, "#") {
		t.Fatalf("the key stays in the address: %s", here)
	}
	if err := chromedp.Do(recipient,
		chromedp.Click(chromedp.CSS(`[data-testid=sign-in]`)),
		chromedp.WaitVisible(chromedp.ID("username")),
	); err != nil {
		t.Fatal(err)
	}
	if here, _ := chromedp.Run(recipient, chromedp.Location()); strings.Contains(here, "#") || strings.Contains(here, strings.SplitN(link, "#", 2)[1]) {
		t.Fatalf("the key went into the sign-in's address: %s", here)
	}
	if err := chromedp.Do(recipient,
		chromedp.SendKeys(chromedp.ID("username"), "bob"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.CSS(`[data-e2e-open]`)),
	); err != nil {
		t.Fatal(err)
	}
	if refusal := e2eRefusal(t, recipient); refusal != "" {
		t.Fatalf("signed in, the link's page says %q", refusal)
	}
	openDecrypts(t, recipient, message)
	if left, _ := chromedp.Run(recipient, chromedp.Evaluate[[]string](`Object.keys(sessionStorage).filter(k => k.startsWith("oncelink.e2e"))`)); len(left) != 0 {
		t.Errorf("the key stays in the tab's storage after the open: %q", left)
	}
	problems.Check(recipient)
}

// TestBrowserE2EEmptyFileIsRefused: a file of no bytes, which the server
// refuses but cannot see once encrypted, is refused in the page, as the
// server and oncelink share --e2e refuse it, and nothing is stored.
func TestBrowserE2EEmptyFileIsRefused(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	empty := filepath.Join(t.TempDir(), "empty.txt")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t)
	signIn(t, ctx, s.URL)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/links"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=e2e]`)),
		chromedp.Click(chromedp.CSS(`input[name=kind][value=file]`)),
		chromedp.WaitVisible(chromedp.ID("file")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{empty}),
		chromedp.Click(chromedp.CSS(`[data-testid=e2e]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=create]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=e2e-create-error]`)),
	); err != nil {
		t.Fatal(err)
	}
	said, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=e2e-create-error]").textContent`))
	if err != nil || said != "That file is empty. Choose a file with something in it." {
		t.Errorf("the page says %q (%v)", said, err)
	}
	browsertest.Shoot(t, ctx, "e2e-create-empty-file")
	if links, chunks := s.stored(); links != 0 || chunks != 0 {
		t.Errorf("%d links and %d chunks stored", links, chunks)
	}
}

// TestBrowserE2EFileNameCannotDisguise: an end-to-end file's name comes
// from the sender's program, which the server cannot check. The page
// offers it as the server offers a name it keeps: without the direction
// controls that would make "report\u202Egpj.exe" read as reportexe.jpg, or
// the path before it, and with the joiners that words are spelt with.
func TestBrowserE2EFileNameCannotDisguise(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	ctx := browsertest.New(t)
	for _, c := range []struct{ sent, shown string }{
		{"report\u202egpj.exe", "reportgpj.exe"},
		{"../..\\secret\u2066.txt\u2069. ", "secret.txt"},
		{"می\u200cخواهم.txt", "می\u200cخواهم.txt"},
	} {
		openE2EFile(t, ctx, s, e2e.Header{Name: c.sent}, []byte("the report"), "")
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(a => [a.download, a.textContent])(document.querySelector("[data-testid=e2e-save]"))`))
		if err != nil || len(got) != 2 || got[0] != c.shown || got[1] != "Save \u2068"+c.shown+"\u2069" {
			t.Errorf("%q is offered as %q, want %q (%v)", c.sent, got, c.shown, err)
		}
	}
}

// TestBrowserE2EFileNameReadsAsWrittenRightToLeft: on a page written
// right to left, a decrypted file's name reads as it was written, as a
// file the server seals does (fileFacts): "2026 report (final).webm" does
// not turn its number last, in the player's title or on the save button.
func TestBrowserE2EFileNameReadsAsWrittenRightToLeft(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	ctx := browsertest.New(t)
	clip := assetBytes(t, "media/sample-audio.webm")
	// inOrder reports whether the text node under sel that holds name
	// draws its "r" of report right of its "2", as written.
	inOrder := func(sel, name string) any {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[any](`((el, name) => {
			const w = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
			for (let n = w.nextNode(); n; n = w.nextNode()) {
				const i = n.data.indexOf(name);
				if (i < 0) continue;
				const at = k => { const r = document.createRange(); r.setStart(n, k); r.setEnd(n, k + 1); return r.getBoundingClientRect().left; };
				return at(i + 5) > at(i);
			}
			return null;
		})(document.querySelector(`+jsString(sel)+`), `+jsString(name)+`)`))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, c := range []struct {
		name, typ string
		content   []byte
		where     []string
	}{
		{"2026 report (final).webm", "audio/webm", clip, []string{"[data-testid=player-audio] .player-title", "[data-testid=e2e-save]"}},
		{"2026 report (final).csv", "text/csv", []byte("a,b\n"), []string{"[data-testid=e2e-save]"}},
	} {
		openE2EFile(t, ctx, s, e2e.Header{Name: c.name, Type: c.typ}, c.content, "?lang=ar")
		if dir, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.dir`)); err != nil || dir != "rtl" {
			t.Fatalf("the Arabic page is written %q (%v), want rtl", dir, err)
		}
		for _, sel := range c.where {
			if got := inOrder(sel, "2026 report"); got != true {
				t.Errorf("%s shows %q turned (%v)", sel, c.name, got)
			}
		}
		browsertest.Shoot(t, ctx, "e2e-file-name-rtl-"+strings.TrimPrefix(path.Ext(c.name), "."))
	}
}

// TestBrowserE2ELongFileNameFitsThePage: a decrypted file's name, which
// the sender's program may make as long as the header holds, is cut to
// the length the server keeps of a name it seals, its extension kept;
// its player and its save button fit the page however long a word it
// is (Shoot fails a page that scrolls sideways).
func TestBrowserE2ELongFileNameFitsThePage(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	ctx := browsertest.New(t)
	clip := assetBytes(t, "media/sample-audio.webm")
	for _, c := range []struct {
		name, typ, saved string
		content          []byte
	}{
		{strings.Repeat("x", 300) + ".webm", "audio/webm", strings.Repeat("x", 195) + ".webm", clip},
		{strings.Repeat("é", 1500) + ".txt", "", strings.Repeat("é", 98) + ".txt", []byte("hi")},
	} {
		openE2EFile(t, ctx, s, e2e.Header{Name: c.name, Type: c.typ}, c.content, "")
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=e2e-save]").download`))
		if err != nil || got != c.saved {
			t.Errorf("a file named %d bytes is offered under %d bytes ending %q, want %q (%v)", len(c.name), len(got), got[max(0, len(got)-8):], c.saved, err)
		}
		browsertest.Shoot(t, ctx, "e2e-long-file-name-"+strings.TrimPrefix(path.Ext(c.name), "."))
	}
}

// TestBrowserE2EHeldBack: an end-to-end link's page, held back by the
// rate limits straight after the last wrong password, says so as a
// server-sealed link's page does: the form disabled, the notice with the
// focus, the wait counted down in words; and so does the page reloaded
// during the wait, at once. At its end the form is enabled again, its
// field focused, and the right password opens the link.
func TestBrowserE2EHeldBack(t *testing.T) {
	// Most of its time is spent waiting on the page's timers: it runs
	// beside other tests.
	t.Parallel()
	const per = 10 * time.Second // two tries, then one every five seconds
	s := newTestServer(t, func(c *core.Config) { c.Rates.LinkPassword = core.Rate{N: 2, Per: per} })
	s.admin()
	var v vector
	for _, c := range readVectors(t) {
		if c.Header.Kind == "message" && c.Password != "" {
			v = c
			break
		}
	}
	if v.Password == "" {
		t.Fatal("no message vector with a password")
	}
	ct, _ := base64.RawURLEncoding.DecodeString(v.Ciphertext)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	const (
		button = `document.querySelector("[data-testid=open]")`
		wait   = `document.querySelector("[data-testid=lockout] [data-testid=retry-in]").textContent`
	)
	// holdBack tries wrong passwords on a new link's page until it is held
	// back, which the last of the two tries does, and returns the link.
	holdBack := func() string {
		t.Helper()
		link := s.shareE2E("message", v.Password, v.Check, ct)
		e2eOpenPage(t, ctx, link+"#"+v.Secret)
		for try := 1; !eval[bool](b, `!!document.querySelector("[data-testid=lockout]")`); try++ {
			if try > 2 {
				t.Fatal("not held back straight after the last wrong password")
			}
			b.do(
				chromedp.SetValue(chromedp.ID("link-password"), "not "+v.Password),
				chromedp.Click(chromedp.CSS(`[data-testid=open]`)),
			)
			b.wait(`!!document.querySelector("[data-testid=lockout], .field [data-testid=form-error]")`, 10*time.Second)
		}
		b.forgive("status of 4") // the refused passwords
		return link
	}
	// reload shows the page again during the wait, which comes held back
	// (a 429), and checks that it says so at once, in local's words.
	reload := func(local *i18n.Localizer) {
		t.Helper()
		b.do(chromedp.Reload())
		b.wait(`(n => !!n && !n.hidden && document.activeElement === n)(document.querySelector("[data-testid=lockout]"))`, 3*time.Second)
		b.forgive("status of 429") // the page itself
		if !eval[bool](b, button+`.matches(":disabled") && !document.querySelector("[data-e2e-form]").hidden`) {
			t.Error("the reloaded page's Open button is enabled while the wait lasts, or its form is not shown")
		}
		if !eval[bool](b, `document.querySelector("[data-testid=lockout]").nextElementSibling === document.querySelector("[data-e2e-form]")`) {
			t.Error("the reloaded page's notice is not just above its form")
		}
		if first := eval[string](b, wait); first != local.Wait(per/2) && first != local.Wait(per/2-time.Second) {
			t.Errorf("the reloaded page's countdown starts at %q, not the server's words for the wait (%q)", first, local.Wait(per/2))
		}
	}

	link := holdBack()
	b.wait(button+`.matches(":disabled") && document.activeElement.dataset.testid === "lockout"`, time.Second)
	first := eval[string](b, wait)
	if local := i18n.For("en"); first != local.Wait(per/2) && first != local.Wait(per/2-time.Second) {
		t.Errorf("the countdown starts at %q, not the server's words for the wait (%q)", first, local.Wait(per/2))
	}
	if eval[string](b, `document.getElementById("link-password").value`) != "" {
		t.Error("the password stays in its field while held back")
	}
	if said := eval[string](b, `document.querySelector("[data-testid=e2e-error]").hidden ? "" : document.querySelector("[data-testid=e2e-error]").textContent`); said != "" {
		t.Errorf("the refusal %q beside the countdown", said)
	}
	browsertest.Shoot(t, ctx, "e2e-recipient-held-back")
	reload(i18n.For("en"))
	browsertest.Shoot(t, ctx, "e2e-recipient-held-back-reloaded")
	first = eval[string](b, wait)
	b.wait(wait+` !== `+strconv.Quote(first), 3*time.Second)
	if !eval[bool](b, button+`.matches(":disabled")`) {
		t.Error("the Open button is enabled while the wait lasts")
	}
	b.wait(`!`+button+`.matches(":disabled") && document.activeElement.id === "link-password"`, 8*time.Second)
	if said := eval[[]string](b, `(n => [n.className, n.textContent])(document.querySelector("[data-testid=lockout]"))`); said[0] != "notice" || said[1] != "You can try again now." {
		t.Errorf("the notice after the wait is %q", said)
	}
	if l := linkOf(t, s, link); l.Uses != 0 {
		t.Fatalf("%d uses while held back", l.Uses)
	}
	s.clock.Advance(per / 2) // the server's limits see the wait end too
	b.do(chromedp.SetValue(chromedp.ID("link-password"), v.Password), chromedp.Click(chromedp.CSS(`[data-testid=open]`)))
	b.wait(`(m => !!m && m.value === `+jsString(v.Plaintext)+`)(document.querySelector("[data-testid=e2e-message]"))`, 10*time.Second)
	if eval[bool](b, `!!document.querySelector("[data-testid=lockout]")`) {
		t.Error("the notice stays once the link is opened")
	}
	b.clean("the held-back end-to-end link")

	// Right to left, in the page's language.
	b.acceptLanguage("ar")
	holdBack()
	if first, want := eval[string](b, wait), i18n.For("ar").Wait(per/2); first != want && first != i18n.For("ar").Wait(per/2-time.Second) {
		t.Errorf("the countdown in Arabic starts at %q, not %q", first, want)
	}
	browsertest.Shoot(t, ctx, "e2e-recipient-held-back-ar")
	reload(i18n.For("ar"))
	browsertest.Shoot(t, ctx, "e2e-recipient-held-back-reloaded-ar")
	b.clean("the held-back end-to-end link in Arabic")
}

// TestBrowserE2EAddressWithSpaces: a web address typed with spaces and
// characters an address cannot hold is sealed in the browser as the
// server shares it when it seals the link itself, percent-encoded, so that
// the recipient is sent to the same address either way.
func TestBrowserE2EAddressWithSpaces(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	const typed = "example.com/annual report 2026/{draft}?q=x y#part one#two"
	plain := s.client().post(ada.createLink(url.Values{"kind": {"url"}, "url": {typed}}), nil)
	want := plain.Header.Get("Location")
	if plain.StatusCode != http.StatusSeeOther || strings.Contains(want, " ") {
		t.Fatalf("the plain link's open: %d to %q", plain.StatusCode, want)
	}

	ctx := browsertest.New(t)
	signIn(t, ctx, s.URL)
	link := e2eCreate(t, ctx, s, s.URL,
		chromedp.Click(chromedp.CSS(`input[name=kind][value=url]`)),
		chromedp.SendKeys(chromedp.ID("url"), typed))
	bare, fragment, _ := strings.Cut(link, "#")
	secret, err := e2e.ParseSecret(fragment)
	if err != nil {
		t.Fatal(err)
	}
	res := s.client().post(bare, url.Values{e2eClaimField: {base64.RawURLEncoding.EncodeToString(e2e.Claim(secret))}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the end-to-end open: %d %s", res.StatusCode, res.body)
	}
	h, got, err := e2e.Open(e2e.Key(secret, ""), []byte(res.body))
	if err != nil || h.Kind != "url" {
		t.Fatalf("the sealed address: %+v %v", h, err)
	}
	if string(got) != want {
		t.Errorf("sealed in the browser as %q, shared by the server as %q", got, want)
	}
}

// TestOwnEndToEndLinkNotAnnouncedInBrowser: an end-to-end link made on the
// dashboard, whose row the stream brings before the create's answer
// comes, is not announced as a link made elsewhere, neither while the
// answer is on its way nor once it has come.
func TestOwnEndToEndLinkNotAnnouncedInBrowser(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	bctx := browsertest.New(t)
	signInAndLeave(t, bctx, s.URL)
	b := watchedTab(t, bctx, s)
	held, release := holdPosts(b, network.ResourceTypeXHR)
	b.open("/links", "[data-testid=e2e]")
	b.wait(`window.__opens === 1`, 5*time.Second)
	b.do(chromedp.Evaluate[chromedp.Void](announcerWatch))

	b.do(chromedp.SendKeys(chromedp.ID("message"), "made here"),
		chromedp.SendKeys(chromedp.ID("label"), "Sealed here"),
		chromedp.Click(chromedp.CSS(`[data-testid=e2e]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=create]`)))
	answer := heldPost(t, held)
	b.wait(`(document.querySelector("#link-rows > tr") || {dataset: {}}).dataset.name === "Sealed here"`, 5*time.Second)
	time.Sleep(1500 * time.Millisecond) // the page's next tick, which announces arrivals
	release(answer)
	b.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid=e2e-created]`)))
	time.Sleep(1500 * time.Millisecond)
	if said := eval[[]string](b, `window.__said`); len(said) > 0 {
		t.Errorf("the dashboard said %q of the link it made", said)
	}
	b.clean("dashboard")
}
