package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"oncelink/assets"
	"oncelink/internal/browsertest"
)

// TestE2EBetweenCLIAndBrowser: end-to-end links made by the CLI open in
// the browser, and those made in the browser open with the CLI.
func TestE2EBetweenCLIAndBrowser(t *testing.T) {
	sh, s, _ := signedInShell(t)
	e2eLink := regexp.MustCompile(`^` + regexp.QuoteMeta(s.URL) + `/l/[A-Za-z0-9_-]{43}#[A-Za-z0-9_-]{43}\n$`)

	ctx := browsertest.New(t, chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	problems := browsertest.Watch(t, ctx)
	open := func(link string) {
		t.Helper()
		if err := chromedp.Do(ctx,
			chromedp.Navigate("about:blank"),
			chromedp.Navigate(link),
			chromedp.WaitVisible(chromedp.CSS(`[data-e2e-form]`)),
			chromedp.Click(chromedp.CSS(`[data-testid=open]`)),
		); err != nil {
			t.Fatal(err)
		}
	}

	// Made by the CLI: a message, and an audio clip that then plays.
	r := sh.must(exitDone, "made on the command line\n", "share", "--e2e")
	if !e2eLink.MatchString(r.stdout) {
		t.Fatalf("share --e2e printed %q", r.stdout)
	}
	open(strings.TrimSpace(r.stdout))
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=e2e-message]`))); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=e2e-message]").value`))
	if err != nil || got != "made on the command line\n" {
		t.Fatalf("the browser decrypted %q, %v", got, err)
	}
	f, err := assets.Open("media/sample-audio.webm")
	if err != nil {
		t.Fatal(err)
	}
	clip, _ := io.ReadAll(f)
	f.Close()
	clipPath := filepath.Join(t.TempDir(), "chime.webm")
	if err := os.WriteFile(clipPath, clip, 0o600); err != nil {
		t.Fatal(err)
	}
	r = sh.must(exitDone, "", "share", "--e2e", "--file", clipPath, "--json")
	var made struct {
		URL string `json:"url"`
		E2E bool   `json:"e2e"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &made); err != nil || !made.E2E || !e2eLink.MatchString(made.URL+"\n") {
		t.Fatalf("share --e2e --json: %q, %v", r.stdout, err)
	}
	open(made.URL)
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=player-audio] audio`)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("audio").play()`, chromedp.EvalAwaitPromise),
	); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		at, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector("audio").currentTime`))
		if err != nil {
			t.Fatal(err)
		}
		if at > 0.3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the decrypted clip does not play")
		}
		time.Sleep(50 * time.Millisecond)
	}
	problems.Check(ctx)

	// Made in the browser: a message and a file, opened with the CLI.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("username"), "owner"),
		chromedp.SendKeys(chromedp.ID("password"), ownerPassword),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=e2e]`)),
	); err != nil {
		t.Fatal(err)
	}
	create := func(fill ...chromedp.Action[chromedp.Void]) string {
		t.Helper()
		steps := append([]chromedp.Action[chromedp.Void]{
			chromedp.Navigate(s.URL + "/links"),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=e2e]`)),
		}, fill...)
		steps = append(steps,
			chromedp.Click(chromedp.CSS(`[data-testid=e2e]`)),
			chromedp.Click(chromedp.CSS(`[data-testid=create]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=e2e-created]`)),
		)
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
		link, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("created-url").value`))
		if err != nil || !e2eLink.MatchString(link+"\n") {
			t.Fatalf("the browser made %q, %v", link, err)
		}
		return link
	}
	link := create(chromedp.SendKeys(chromedp.ID("message"), "made in the browser"))
	if r := sh.must(exitDone, "", "open", link); r.stdout != "made in the browser" {
		t.Fatalf("open printed %q", r.stdout)
	}
	sh.must(exitGone, "", "open", link)

	doc := bytes.Repeat([]byte("a file encrypted in the browser\n"), 5000)
	docPath := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(docPath, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	link = create(
		chromedp.Click(chromedp.CSS(`input[name=kind][value=file]`)),
		chromedp.WaitVisible(chromedp.ID("file")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{docPath}),
	)
	saved := filepath.Join(t.TempDir(), "saved.txt")
	sh.must(exitDone, "", "open", link, "-o", saved)
	if b, err := os.ReadFile(saved); err != nil || !bytes.Equal(b, doc) {
		t.Fatalf("the CLI saved %d bytes, %v", len(b), err)
	}

	// A wrong key opens nothing, and leaves the link for the right one.
	link = create(chromedp.SendKeys(chromedp.ID("message"), "one more"))
	base, _, _ := strings.Cut(link, "#")
	if r := sh.run("", nil, "open", base+"#"+strings.Repeat("A", 43)); r.code == exitDone || !strings.Contains(r.stderr, "not right") {
		t.Fatalf("a wrong key: status %d, %q", r.code, r.stderr)
	}
	if r := sh.must(exitDone, "", "open", link); r.stdout != "one more" {
		t.Fatalf("open printed %q", r.stdout)
	}
}
