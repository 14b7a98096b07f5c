package main

import (
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// sharedLink is a link whose creation the server acknowledged.
type sharedLink struct {
	token, message string
	maxUses        int
}

// TestCrashLosesNothing runs concurrent creates and opens against the
// binary, kills it with SIGKILL in the middle, and restarts it on the same
// database: every link whose creation was acknowledged is still there, no
// link opens more often than its max_uses across both runs, a link used up
// before the crash stays used up, and SQLite finds the file intact. It
// runs with both sync settings.
func TestCrashLosesNothing(t *testing.T) {
	for round, mode := range []string{"normal", "normal", "full"} {
		t.Run(fmt.Sprintf("%d-%s", round, mode), func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "oncelink.db")
			flags := []string{"--sqlite-sync", mode, "--rate-limits=false"}
			srv := startServer(t, db, flags...)
			owner := signUp(t, srv)

			var (
				mu     sync.Mutex
				links  []sharedLink
				opened = map[string]int{} // token -> acknowledged opens
			)
			created := make(chan sharedLink, 1000)
			var creators, openers sync.WaitGroup
			for w := range 4 {
				creators.Go(func() {
					for i := 0; ; i++ {
						l := sharedLink{message: fmt.Sprintf("secret %d-%d", w, i), maxUses: 1 + i%3}
						res, err := owner.PostForm(srv.URL+"/links", url.Values{"kind": {"message"}, "message": {l.message},
							"ttl": {"1h"}, "max_uses": {fmt.Sprint(l.maxUses)}})
						if err != nil {
							return // the server is gone
						}
						body, err := io.ReadAll(res.Body)
						res.Body.Close()
						if err != nil || res.StatusCode != http.StatusCreated {
							return
						}
						path := linkPath.FindString(string(body))
						if path == "" {
							t.Errorf("a create answered 201 without the link: %.300s", body)
							return
						}
						l.token = strings.TrimPrefix(path, "/l/")
						mu.Lock()
						links = append(links, l)
						mu.Unlock()
						created <- l
					}
				})
			}
			for range 4 {
				openers.Go(func() {
					// No cookie jar: every open is a new recipient.
					recipient := &http.Client{Timeout: 10 * time.Second}
					for l := range created {
						for range l.maxUses + 1 {
							res, err := recipient.Post(srv.URL+"/l/"+l.token, "application/x-www-form-urlencoded", nil)
							if err != nil {
								return
							}
							body, err := io.ReadAll(res.Body)
							res.Body.Close()
							if err != nil {
								return
							}
							if res.StatusCode == http.StatusGone {
								break
							}
							if res.StatusCode != http.StatusOK || !strings.Contains(string(body), l.message) {
								t.Errorf("open %s: %d", l.message, res.StatusCode)
								return
							}
							mu.Lock()
							opened[l.token]++
							mu.Unlock()
						}
					}
				})
			}
			// Kill it once the load is well under way.
			enough := 30 + rand.IntN(60)
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				mu.Lock()
				n := len(links)
				mu.Unlock()
				if n >= enough {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("only %d links were created in 30s:\n%s", n, srv.logs)
				}
			}
			srv.kill()
			creators.Wait()
			close(created)
			openers.Wait()

			restarted := startServer(t, db, flags...)
			recipient := &http.Client{Timeout: 10 * time.Second}
			status := func(method, token string) int {
				req, _ := http.NewRequest(method, restarted.URL+"/l/"+token, nil)
				if method == http.MethodPost {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				res, err := recipient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			usedUp := 0
			for _, l := range links {
				before := opened[l.token]
				switch st := status(http.MethodGet, l.token); {
				case st == http.StatusNotFound:
					t.Errorf("link %q was acknowledged but is gone after the crash", l.message)
				case before == l.maxUses && st != http.StatusGone:
					t.Errorf("link %q was used up before the crash but answers %d", l.message, st)
				case st != http.StatusOK && st != http.StatusGone:
					t.Errorf("link %q answers %d after the crash", l.message, st)
				}
				after := 0
				for range l.maxUses + 1 {
					if status(http.MethodPost, l.token) != http.StatusOK {
						break
					}
					after++
				}
				if before+after > l.maxUses {
					t.Errorf("link %q of %d uses opened %d times before the crash and %d after", l.message, l.maxUses, before, after)
				}
				if before == l.maxUses {
					usedUp++
				}
			}
			t.Logf("%d links acknowledged, %d used up before the SIGKILL", len(links), usedUp)
			restarted.kill()

			conn, err := sql.Open("sqlite3", "file:"+db)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			var check string
			if err := conn.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
				t.Fatalf("integrity check: %q, %v", check, err)
			}
			var stored int
			if err := conn.QueryRow(`SELECT COUNT(*) FROM links`).Scan(&stored); err != nil || stored < len(links) {
				t.Fatalf("%d links stored, %d acknowledged: %v", stored, len(links), err)
			}
		})
	}
}
