package store

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// keptIDs are the tables whose IDs leave the server, and are never given
// twice.
var keptIDs = []string{"accounts", "links", "requests", "passkeys", "api_keys", "notice_deliveries", "webhooks"}

// TestIDsAreNeverGivenTwice: no link, request, passkey, API key, account or
// delivery gets the ID of one deleted before it.
func TestIDsAreNeverGivenTwice(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		mustGiveNoIDTwice(t, s, mustAccount(t, s, "ada"))
	})
}

// TestIDsKeptThroughTheRebuild opens an SQLite database made by the
// migrations before IDs were kept from being given twice: every row of
// every table is as it was, the rebuilt tables have the columns, indexes
// and foreign keys they had, the database passes its integrity and
// foreign key checks, and from then on no ID is given twice, the newest
// one's included.
func TestIDsKeptThroughTheRebuild(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "test.db")
	s := openSQLiteBefore(t, path, "migrations/022")
	c := newClock(s)
	ada := accountBefore(t, s, "ada", true)
	bob := accountBefore(t, s, "bob", false)
	for _, owner := range []Account{ada, bob} {
		links := []Link{mustLink(t, s, owner.ID, 1, time.Hour), mustLink(t, s, owner.ID, 2, time.Hour)}
		_, err := s.CreateLink(ctx, NewLink{OwnerID: owner.ID, TokenHash: hashOf(t), Kind: KindMessage, Label: "Für " + owner.Username,
			ForUserID: ada.ID, MaxUses: 1, ExpiresAt: c.Now().Add(time.Hour), IdempotencyKey: "k-" + owner.Username,
			E2ECheck: hashOf(t)}, [][]byte{[]byte("sealed")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Consume(ctx, links[0].ID, Event{Kind: EventUse, At: c.Now(), IP: "192.0.2.1", UserAgent: "test"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Revoke(ctx, owner.ID, links[1].ID, 0, Event{Kind: EventRevoke, At: c.Now(), IP: "192.0.2.1", UserAgent: "test"}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := s.CreateRequest(ctx, NewRequest{OwnerID: owner.ID, TokenHash: hashOf(t), Accepts: "text", Label: "asked",
				ExpiresAt: c.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			passkeyBefore(t, s, owner.ID)
			mustAPIKey(t, s, owner.ID, "key", 0)
		}
		w := mustWebhook(t, s, owner.ID, "https://example.com/"+owner.Username)
		if err := s.TestWebhook(ctx, owner.ID, w.ID); err != nil {
			t.Fatal(err)
		}
	}
	leased, err := s.LeaseDeliveries(ctx, c.Now(), time.Minute, 10)
	if err != nil || len(leased) != 2 {
		t.Fatalf("leased %d deliveries, %v", len(leased), err)
	}
	if err := s.FinishAttempt(ctx, leased[0], Attempt{At: c.Now(), Code: 500, Duration: time.Second, Body: "{}", MessageID: "msg_1",
		Outcome: DeliveryPending, NextAt: c.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	rows, schema := tablesOf(t, s)
	// 022 alone: a later migration may add columns of its own.
	if err := s.applyMigration(ctx, "migrations/022_ids_kept.sql"); err != nil {
		t.Fatal(err)
	}
	after, afterSchema := tablesOf(t, s)
	if !reflect.DeepEqual(after, rows) {
		for table := range rows {
			if !reflect.DeepEqual(after[table], rows[table]) {
				t.Errorf("the rows of %s\n%v\nbecame\n%v", table, rows[table], after[table])
			}
		}
		t.FailNow()
	}
	for _, table := range keptIDs {
		if !strings.Contains(afterSchema[table], "AUTOINCREMENT") {
			t.Errorf("%s kept no AUTOINCREMENT: %s", table, afterSchema[table])
		}
	}
	autoincrement := regexp.MustCompile(`\s*AUTOINCREMENT`)
	for name, sql := range afterSchema {
		afterSchema[name] = autoincrement.ReplaceAllString(sql, "")
	}
	for name, sql := range schema {
		schema[name] = autoincrement.ReplaceAllString(sql, "")
	}
	if !reflect.DeepEqual(afterSchema, schema) {
		for name := range mergeKeys(schema, afterSchema) {
			if schema[name] != afterSchema[name] {
				t.Errorf("%s:\n%s\nbecame\n%s", name, schema[name], afterSchema[name])
			}
		}
	}
	for _, table := range keptIDs {
		var seq, highest int64
		if err := s.db.Get(&seq, `SELECT seq FROM sqlite_sequence WHERE name = ?`, table); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if err := s.db.Get(&highest, `SELECT MAX(id) FROM `+table); err != nil || seq != highest {
			t.Errorf("%s's sequence at %d, its highest ID %d, %v", table, seq, highest, err)
		}
	}
	var integrity []string
	if err := s.db.Select(&integrity, `PRAGMA integrity_check`); err != nil || len(integrity) != 1 || integrity[0] != "ok" {
		t.Fatalf("integrity check: %v, %v", integrity, err)
	}
	var broken []struct {
		Table  string `db:"table"`
		RowID  *int64 `db:"rowid"`
		Parent string `db:"parent"`
		FKID   int    `db:"fkid"`
	}
	if err := s.db.Select(&broken, `PRAGMA foreign_key_check`); err != nil || len(broken) != 0 {
		t.Fatalf("foreign key check: %+v, %v", broken, err)
	}
	var on int
	if err := s.db.Get(&on, `PRAGMA foreign_keys`); err != nil || on != 1 {
		t.Fatalf("foreign keys after migrating: %d, %v", on, err)
	}
	s.Close()

	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// bob, made last, holds the newest of each: once he is deleted, with
	// his links, requests, passkeys, keys and deliveries, none of their
	// IDs is given to the next account's.
	newest := map[string]int64{}
	for _, table := range keptIDs {
		var id int64
		if err := s.db.Get(&id, `SELECT MAX(id) FROM `+table); err != nil {
			t.Fatal(err)
		}
		newest[table] = id
	}
	if _, _, err := s.DeleteAccount(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	for table, id := range oneOfEach(t, s, mustAccount(t, s, "carol")) {
		if id <= newest[table] {
			t.Errorf("a new row of %s got ID %d, where bob's with ID %d was deleted", table, id, newest[table])
		}
	}
	mustGiveNoIDTwice(t, s, ada)
}

// mustGiveNoIDTwice deletes the newest passkey, and then an account with
// the newest link, request, passkey, key, webhook endpoint and delivery,
// and makes another of each: none gets a deleted one's ID.
func mustGiveNoIDTwice(t *testing.T, s *Store, admin Account) {
	t.Helper()
	ctx := context.Background()
	p := mustPasskey(t, s, admin.ID)
	if _, err := s.DeletePasskey(ctx, admin.ID, p.ID, false); err != nil {
		t.Fatal(err)
	}
	if next := mustPasskey(t, s, admin.ID); next.ID <= p.ID {
		t.Errorf("a new passkey got ID %d, where one with ID %d was deleted", next.ID, p.ID)
	}

	gone := mustAccount(t, s, "gone")
	deleted := oneOfEach(t, s, gone)
	if _, _, err := s.DeleteAccount(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	for table, id := range oneOfEach(t, s, mustAccount(t, s, "next")) {
		if id <= deleted[table] {
			t.Errorf("a new row of %s got ID %d, where one with ID %d was deleted", table, id, deleted[table])
		}
	}
}

// oneOfEach makes for account a link, a request, a passkey, an API key,
// and a webhook endpoint with a delivery, and returns their IDs and the
// account's by table.
func oneOfEach(t *testing.T, s *Store, account Account) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	r, err := s.CreateRequest(ctx, NewRequest{OwnerID: account.ID, TokenHash: hashOf(t), Accepts: "text", ExpiresAt: s.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := mustAPIKey(t, s, account.ID, "key", 0)
	w := mustWebhook(t, s, account.ID, "https://example.com/"+account.Username)
	if err := s.TestWebhook(ctx, account.ID, w.ID); err != nil {
		t.Fatal(err)
	}
	d, err := s.WebhookDeliveries(ctx, account.ID, w.ID, 1)
	if err != nil || len(d) != 1 {
		t.Fatalf("deliveries: %v, %v", d, err)
	}
	return map[string]int64{"accounts": account.ID, "links": mustLink(t, s, account.ID, 1, time.Hour).ID, "requests": r.ID,
		"passkeys": mustPasskey(t, s, account.ID).ID, "api_keys": k.ID, "webhooks": w.ID, "notice_deliveries": d[0].ID}
}

// passkeyBefore adds a passkey to account's, with the columns passkeys
// had before a later migration added its own, which AddPasskey reads.
func passkeyBefore(t testing.TB, s *Store, account int64) {
	t.Helper()
	if _, err := s.db.Exec(`INSERT INTO passkeys (account_id, credential_id, user_handle, name, credential, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, account, hashOf(t), []byte("handle"), "key", []byte("{}"), millis(s.Now())); err != nil {
		t.Fatal(err)
	}
}

func mustPasskey(t testing.TB, s *Store, account int64) Passkey {
	t.Helper()
	p, err := s.AddPasskey(context.Background(), Passkey{AccountID: account, CredentialID: hashOf(t), UserHandle: []byte("handle"),
		Name: "key", Credential: []byte("{}")}, 100)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// tablesOf returns every row of every table of an SQLite store but the
// list of migrations, in rowid order, and its schema: each table's CREATE
// statement without its spaces and quotes, each index's and trigger's,
// trimmed, and what SQLite says of each table's columns, foreign keys and
// indexes.
func tablesOf(t testing.TB, s *Store) (map[string][][]any, map[string]string) {
	t.Helper()
	var objects []struct {
		Type string  `db:"type"`
		Name string  `db:"name"`
		SQL  *string `db:"sql"`
	}
	if err := s.db.Select(&objects, `SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name`); err != nil {
		t.Fatal(err)
	}
	rows, schema := map[string][][]any{}, map[string]string{}
	for _, o := range objects {
		if o.SQL != nil {
			schema[o.Name] = strings.TrimSpace(*o.SQL)
		}
		if o.Type != "table" {
			continue
		}
		schema[o.Name] = strings.NewReplacer(" ", "", "\t", "", "\n", "", `"`, "").Replace(schema[o.Name])
		if o.Name != "schema_migrations" {
			rows[o.Name] = query(t, s, `SELECT * FROM `+o.Name+` ORDER BY rowid`)
		}
		for _, pragma := range []string{"table_xinfo", "foreign_key_list", "index_list"} {
			schema[o.Name+" "+pragma] = fmt.Sprint(query(t, s, `SELECT * FROM pragma_`+pragma+`(?)`, o.Name))
		}
		for _, index := range query(t, s, `SELECT name FROM pragma_index_list(?)`, o.Name) {
			schema[fmt.Sprint(index[0])+" index_xinfo"] = fmt.Sprint(query(t, s, `SELECT * FROM pragma_index_xinfo(?)`, index[0]))
		}
	}
	return rows, schema
}

func query(t testing.TB, s *Store, q string, args ...any) [][]any {
	t.Helper()
	rows, err := s.db.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var all [][]any
	for rows.Next() {
		row := make([]any, len(columns))
		ptrs := make([]any, len(columns))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		all = append(all, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return all
}

func mergeKeys(a, b map[string]string) map[string]bool {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return keys
}
