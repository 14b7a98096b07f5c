package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Notice types: what happened, as a webhook's body and an endpoint's
// events name it.
const (
	NoticeLinkViewed          = "link.viewed"
	NoticeLinkOpened          = "link.opened"
	NoticeLinkUsedUp          = "link.used_up"
	NoticeLinkExpiredUnopened = "link.expired_unopened"
	NoticeLinkRevoked         = "link.revoked"
	NoticeRequestFulfilled    = "request.fulfilled"
	// NoticeSecondStepFailed tells an account's owner that someone who
	// knew its password gave wrong second-step codes, so many in a row
	// that further codes are held back. It goes by email alone: it is no
	// event an endpoint subscribes to.
	NoticeSecondStepFailed = "account.second_step_failed"
	// NoticeTest is the message of a "send a test" button, sent to one
	// endpoint whatever its events.
	NoticeTest = "webhook.test"
)

// NoticeTypes lists the types an endpoint may subscribe to.
var NoticeTypes = []string{NoticeLinkViewed, NoticeLinkOpened, NoticeLinkUsedUp, NoticeLinkExpiredUnopened,
	NoticeLinkRevoked, NoticeRequestFulfilled}

// EmailNotice reports whether a notice of type t goes to the owner's notice
// address: a link's opening or its expiry unopened, when the owner asked to
// be notified of that link, and a request's fulfilment. Views (which chat
// previews and mail scanners make) and the owner's own revoking are not
// worth an email.
func EmailNotice(t string, notify bool) bool {
	switch t {
	case NoticeLinkOpened, NoticeLinkExpiredUnopened:
		return notify
	case NoticeRequestFulfilled:
		return true
	}
	return false
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// EndpointDisabled is the last error of a webhook delivery that failed
// because its endpoint is disabled.
const EndpointDisabled = "endpoint disabled"

// AccountDisabled is the last error of a delivery that ended unsent
// because its account was disabled: a disabled account is sent nothing
// further, and enabling it again sends nothing of what was waiting.
const AccountDisabled = "account disabled"

// noticeEvent is a change that may cause notices.
type noticeEvent struct {
	Account   int64
	Type      string
	LinkID    int64
	RequestID int64
	// Notify is the link's "notify me" choice.
	Notify bool
	// Event is who caused it, and when.
	Event Event
}

// enqueue writes into the outbox, in the transaction of the change that
// caused e, a delivery for each of the account's enabled webhooks that
// subscribed to e's type, and one for its confirmed address if e is worth
// an email; nothing while the account is disabled. Callers call it only
// when the account's notices flag is set.
func (s *Store) enqueue(ctx context.Context, tx txn, e noticeEvent) error {
	if err := s.holdOwner(ctx, tx, e.Account); err != nil {
		return err
	}
	now := millis(s.Now())
	args := []any{e.Type, nullID(e.LinkID), nullID(e.RequestID), millis(e.Event.At),
		clip(e.Event.IP, maxIPLen), clip(e.Event.UserAgent, maxUserAgentLen), now, now, e.Account}
	// Parameters in a SELECT list have no type PostgreSQL can infer: each
	// is cast to its column's.
	const values = `CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT),
		CAST(? AS BIGINT), CAST(? AS BIGINT)`
	const columns = `(account_id, webhook_id, type, link_id, request_id, at, ip, user_agent, next_at, created_at)`
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO notice_deliveries `+columns+`
		SELECT account_id, id, `+values+` FROM webhooks
		WHERE account_id = ? AND disabled_at IS NULL AND events LIKE ? AND `+enabled("webhooks", "account_id")), append(args, "%,"+e.Type+",%")...); err != nil {
		return fmt.Errorf("store: outbox: %w", err)
	}
	if !EmailNotice(e.Type, e.Notify) {
		return nil
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO notice_deliveries `+columns+`
		SELECT account_id, NULL, `+values+` FROM notice_addresses
		WHERE account_id = ? AND confirmed_at IS NOT NULL AND `+enabled("notice_addresses", "account_id")), args...); err != nil {
		return fmt.Errorf("store: outbox: %w", err)
	}
	return nil
}

// holdOwner keeps account from being disabled until tx ends, on
// PostgreSQL, where the deliveries an enqueue inserts are not seen by a
// disable that commits meanwhile, which would leave them waiting (and
// enabling the account again would send them). With its row locked, a
// disable under way is waited for, and the enqueue's INSERT, a statement
// begun after it, sees the account disabled and inserts nothing; a
// disable that comes after waits for tx, and then ends what it inserted.
// On SQLite writes run one at a time anyway.
func (s *Store) holdOwner(ctx context.Context, tx txn, account int64) error {
	if s.dialect.forShare == "" {
		return nil
	}
	rows, err := tx.QueryContext(ctx, tx.Rebind(`SELECT id FROM accounts WHERE id = ?`+s.dialect.forShare), account)
	if err != nil {
		return fmt.Errorf("store: outbox: %w", err)
	}
	return rows.Close()
}

// endDeliveries ends, unsent, the deliveries of account that are waiting
// at now, in the transaction that disables it, as failed with
// AccountDisabled: enabling it again sends none of them. One that a worker
// is sending finishes its attempt; should that fail, FinishAttempt ends
// it likewise.
func endDeliveries(ctx context.Context, tx txn, account int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE notice_deliveries SET status = '`+DeliveryFailed+`', last_error = ?
		WHERE account_id = ? AND status = '`+DeliveryPending+`' AND (leased_until IS NULL OR leased_until <= ?)`),
		AccountDisabled, account, millis(now))
	return err
}

// enqueueSecondStepMail writes into the outbox, in the transaction that
// marked them told, a NoticeSecondStepFailed of e, the try that did, to the
// account's confirmed notice address if it has one and is not disabled:
// failures wrong codes came in a row.
func (s *Store) enqueueSecondStepMail(ctx context.Context, tx txn, account int64, e Event, failures int) error {
	if err := s.holdOwner(ctx, tx, account); err != nil {
		return err
	}
	now := millis(s.Now())
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO notice_deliveries
		(account_id, webhook_id, type, at, ip, user_agent, failures, next_at, created_at)
		SELECT account_id, NULL, CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER),
			CAST(? AS BIGINT), CAST(? AS BIGINT)
		FROM notice_addresses WHERE account_id = ? AND confirmed_at IS NOT NULL AND `+enabled("notice_addresses", "account_id")),
		NoticeSecondStepFailed, millis(e.At), clip(e.IP, maxIPLen), clip(e.UserAgent, maxUserAgentLen), failures, now, now, account); err != nil {
		return fmt.Errorf("store: outbox: %w", err)
	}
	return nil
}

// DeliveryFailures is how many wrong second-step codes in a row delivery
// id, a NoticeSecondStepFailed, tells of; 0 for a notice of another type.
func (s *Store) DeliveryFailures(ctx context.Context, id int64) (int, error) {
	var n int
	err := s.ro.GetContext(ctx, &n, s.ro.Rebind(`SELECT failures FROM notice_deliveries WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("delivery: %w", ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("store: delivery failures: %w", err)
	}
	return n, nil
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// refreshNotices sets account's notices flag from its enabled webhooks and
// its confirmed address.
func refreshNotices(ctx context.Context, tx txn, account int64) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE accounts SET notices =
		(EXISTS (SELECT 1 FROM webhooks WHERE account_id = ? AND disabled_at IS NULL)
		OR EXISTS (SELECT 1 FROM notice_addresses WHERE account_id = ? AND confirmed_at IS NOT NULL))
		WHERE id = ?`), account, account, account)
	return err
}

// Webhook is an account's endpoint.
type Webhook struct {
	ID        int64
	AccountID int64
	URL       string
	Events    []string
	// Secret is the signing key, the bytes after whsec_.
	Secret []byte
	// PreviousSecret is the secret the last rotation replaced; it signs
	// beside Secret until PreviousUntil.
	PreviousSecret []byte
	PreviousUntil  time.Time
	CreatedAt      time.Time
	DisabledAt     time.Time // set when the endpoint answered 410 Gone
}

// Signing returns the secrets that sign a message sent at now: Secret,
// and the previous secret while its time lasts.
func (w Webhook) Signing(now time.Time) [][]byte {
	if w.PreviousSigns(now) {
		return [][]byte{w.Secret, w.PreviousSecret}
	}
	return [][]byte{w.Secret}
}

// PreviousSigns reports whether the previous secret still signs at now.
func (w Webhook) PreviousSigns(now time.Time) bool {
	return len(w.PreviousSecret) > 0 && now.Before(w.PreviousUntil)
}

type webhookRow struct {
	ID         int64         `db:"id"`
	AccountID  int64         `db:"account_id"`
	URL        string        `db:"url"`
	Events     string        `db:"events"`
	Secret     []byte        `db:"secret"`
	Previous   []byte        `db:"previous_secret"`
	PrevUntil  sql.NullInt64 `db:"previous_until"`
	CreatedAt  int64         `db:"created_at"`
	DisabledAt sql.NullInt64 `db:"disabled_at"`
}

func (r webhookRow) webhook() Webhook {
	return Webhook{ID: r.ID, AccountID: r.AccountID, URL: r.URL, Events: splitEvents(r.Events), Secret: r.Secret,
		PreviousSecret: r.Previous, PreviousUntil: fromMillis(r.PrevUntil),
		CreatedAt: time.UnixMilli(r.CreatedAt), DisabledAt: fromMillis(r.DisabledAt)}
}

const webhookColumns = `id, account_id, url, events, secret, previous_secret, previous_until, created_at, disabled_at`

func joinEvents(events []string) string { return "," + strings.Join(events, ",") + "," }

func splitEvents(s string) []string {
	var events []string
	for _, e := range strings.Split(s, ",") {
		if e != "" {
			events = append(events, e)
		}
	}
	return events
}

// CreateWebhook adds an endpoint to account, unless it has limit already
// (ErrLimit) or has one at url (ErrConflict). With key, an idempotency key,
// it adds none when the key made one of account's endpoints before
// (ErrKeyTaken, whatever the limit and the address; see
// WebhookByIdempotencyKey). The checks and the insert are one write, with
// the account's row locked on PostgreSQL.
func (s *Store) CreateWebhook(ctx context.Context, account int64, url string, events []string, secret []byte, limit int, key string) (Webhook, error) {
	var row webhookRow
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		var id int64
		if err := tx.GetContext(ctx, &id, tx.Rebind(`SELECT id FROM accounts WHERE id = ?`+s.dialect.forUpdate), account); err != nil {
			return err
		}
		var n int
		if key != "" {
			if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM webhooks WHERE account_id = ? AND idempotency_key = ?`), account, key); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("webhook: %w", ErrKeyTaken)
			}
		}
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM webhooks WHERE account_id = ?`), account); err != nil {
			return err
		}
		if n >= limit {
			return fmt.Errorf("webhooks: %w", ErrLimit)
		}
		// The same address twice would get every message twice.
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM webhooks WHERE account_id = ? AND url = ?`), account, url); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("webhook: %w", ErrConflict)
		}
		insert, args := keyedInsert(`INSERT INTO webhooks (account_id, url, events, secret, created_at`, "account_id",
			key, account, url, joinEvents(events), secret, millis(s.Now()))
		if err := tx.GetContext(ctx, &row, tx.Rebind(insert+` RETURNING `+webhookColumns), args...); err != nil {
			return keyTaken(err, "webhook")
		}
		return refreshNotices(ctx, tx, account)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Webhook{}, fmt.Errorf("account: %w", ErrNotFound)
	}
	if err != nil && !errors.Is(err, ErrLimit) && !errors.Is(err, ErrConflict) {
		return Webhook{}, fmt.Errorf("store: create webhook: %w", err)
	}
	return row.webhook(), err
}

// WebhookByIdempotencyKey finds account's endpoint made with key (see
// CreateWebhook).
func (s *Store) WebhookByIdempotencyKey(ctx context.Context, account int64, key string) (Webhook, error) {
	var row webhookRow
	err := s.ro.GetContext(ctx, &row, s.ro.Rebind(`SELECT `+webhookColumns+` FROM webhooks WHERE account_id = ? AND idempotency_key = ?`), account, key)
	if errors.Is(err, sql.ErrNoRows) {
		return Webhook{}, fmt.Errorf("webhook: %w", ErrNotFound)
	}
	if err != nil {
		return Webhook{}, fmt.Errorf("store: webhook: %w", err)
	}
	return row.webhook(), nil
}

// Webhooks lists account's endpoints, oldest first.
func (s *Store) Webhooks(ctx context.Context, account int64) ([]Webhook, error) {
	var rows []webhookRow
	if err := s.ro.SelectContext(ctx, &rows, s.ro.Rebind(`SELECT `+webhookColumns+` FROM webhooks WHERE account_id = ? ORDER BY id`), account); err != nil {
		return nil, fmt.Errorf("store: webhooks: %w", err)
	}
	hooks := make([]Webhook, len(rows))
	for i, r := range rows {
		hooks[i] = r.webhook()
	}
	return hooks, nil
}

// OwnedWebhook finds endpoint id of account; any other is ErrNotFound.
func (s *Store) OwnedWebhook(ctx context.Context, account, id int64) (Webhook, error) {
	var row webhookRow
	err := s.ro.GetContext(ctx, &row, s.ro.Rebind(`SELECT `+webhookColumns+` FROM webhooks WHERE id = ? AND account_id = ?`), id, account)
	if errors.Is(err, sql.ErrNoRows) {
		return Webhook{}, fmt.Errorf("webhook: %w", ErrNotFound)
	}
	if err != nil {
		return Webhook{}, fmt.Errorf("store: webhook: %w", err)
	}
	return row.webhook(), nil
}

// RotateWebhook gives endpoint id of account the signing secret secret;
// the one it had becomes the previous secret, which signs too for overlap
// from now. A previous secret still in its time is dropped: there are
// never more than two.
func (s *Store) RotateWebhook(ctx context.Context, account, id int64, secret []byte, overlap time.Duration) (Webhook, error) {
	var row webhookRow
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		return tx.GetContext(ctx, &row, tx.Rebind(`UPDATE webhooks SET previous_secret = secret, previous_until = ?, secret = ?
			WHERE id = ? AND account_id = ? RETURNING `+webhookColumns), millis(s.Now().Add(overlap)), secret, id, account)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Webhook{}, fmt.Errorf("webhook: %w", ErrNotFound)
	}
	if err != nil {
		return Webhook{}, fmt.Errorf("store: rotate webhook: %w", err)
	}
	return row.webhook(), nil
}

// DeleteWebhook deletes endpoint id of account with its deliveries, sent
// or not.
func (s *Store) DeleteWebhook(ctx context.Context, account, id int64) error {
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		// The account's row first, as enqueue holds it before it inserts
		// deliveries for the endpoint: on PostgreSQL an enqueue under way
		// is waited for, and its deliveries go with the endpoint; one
		// that comes after finds no endpoint, rather than a deleted one,
		// and the open that caused it does not fail.
		if err := s.lockAccount(ctx, tx, account); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM webhooks WHERE id = ? AND account_id = ?`), id, account)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(fmt.Errorf("webhook: %w", ErrNotFound), err)
		}
		return refreshNotices(ctx, tx, account)
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("store: delete webhook: %w", err)
	}
	return err
}

// TestWebhook puts a test message for endpoint id of account in the outbox,
// and switches the endpoint on again if a 410 had switched it off: a test
// is how its owner says that the receiver is back. Should it answer 410
// again, the test switches it off again. While the account is disabled,
// which may have happened since its request was let in, it is ErrGone and
// nothing changes: a disabled account is sent nothing.
func (s *Store) TestWebhook(ctx context.Context, account, id int64) error {
	now := millis(s.Now())
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		if err := s.holdOwner(ctx, tx, account); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE webhooks SET disabled_at = NULL
			WHERE id = ? AND account_id = ? AND disabled_at IS NOT NULL`), id, account)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n > 0 {
			if err := refreshNotices(ctx, tx, account); err != nil {
				return err
			}
		}
		res, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO notice_deliveries (account_id, webhook_id, type, at, next_at, created_at)
			SELECT account_id, id, CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT)
			FROM webhooks WHERE id = ? AND account_id = ? AND `+enabled("webhooks", "account_id")), NoticeTest, now, now, now, id, account)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				var endpoints int
				err = tx.GetContext(ctx, &endpoints, tx.Rebind(`SELECT COUNT(*) FROM webhooks WHERE id = ? AND account_id = ?`), id, account)
				if err == nil && endpoints > 0 {
					return fmt.Errorf("webhook test: account disabled: %w", ErrGone)
				}
			}
			return errors.Join(fmt.Errorf("webhook: %w", ErrNotFound), err)
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrGone) {
		return fmt.Errorf("store: test webhook: %w", err)
	}
	return err
}

// NoticeAddress is an account's address for email notices.
type NoticeAddress struct {
	// Address is the confirmed address, empty when none is.
	Address string
	// Pending is an address waiting for its confirmation, until
	// PendingExpiresAt.
	Pending          string
	PendingExpiresAt time.Time
	// UnsubscribeNonce is the confirmed address's: drawn anew each time
	// an address is confirmed (see ConfirmAddress), nil for one
	// confirmed before it was kept.
	UnsubscribeNonce []byte
}

// NoticeAddress returns account's notice address, empty when it has none.
func (s *Store) NoticeAddress(ctx context.Context, account int64) (NoticeAddress, error) {
	var row struct {
		Address  string        `db:"address"`
		Pending  string        `db:"pending_address"`
		Expires  sql.NullInt64 `db:"pending_expires_at"`
		Confirms sql.NullInt64 `db:"confirmed_at"`
		Nonce    []byte        `db:"unsubscribe_nonce"`
	}
	err := s.ro.GetContext(ctx, &row, s.ro.Rebind(`SELECT address, pending_address, pending_expires_at, confirmed_at,
		unsubscribe_nonce FROM notice_addresses WHERE account_id = ?`), account)
	if errors.Is(err, sql.ErrNoRows) {
		return NoticeAddress{}, nil
	}
	if err != nil {
		return NoticeAddress{}, fmt.Errorf("store: notice address: %w", err)
	}
	a := NoticeAddress{Pending: row.Pending, PendingExpiresAt: fromMillis(row.Expires)}
	if row.Confirms.Valid {
		a.Address, a.UnsubscribeNonce = row.Address, row.Nonce
	}
	return a, nil
}

// SetPendingAddress records address as account's notice address to be, to
// be confirmed with the token whose SHA-256 is hash before expires. The
// confirmed address, if any, stays until then.
func (s *Store) SetPendingAddress(ctx context.Context, account int64, address string, hash []byte, expires time.Time) error {
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO notice_addresses (account_id, pending_address, pending_hash, pending_expires_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE
			SET pending_address = excluded.pending_address, pending_hash = excluded.pending_hash,
				pending_expires_at = excluded.pending_expires_at`), account, address, hash, millis(expires))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: notice address: %w", err)
	}
	return nil
}

// DropPendingAddress forgets account's pending address if it is still the
// one to be confirmed with the token whose SHA-256 is hash: its mail was
// not sent. The confirmed address, if any, stays.
func (s *Store) DropPendingAddress(ctx context.Context, account int64, hash []byte) error {
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE notice_addresses
			SET pending_address = '', pending_hash = NULL, pending_expires_at = NULL
			WHERE account_id = ? AND pending_hash = ?`), account, hash)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: notice address: %w", err)
	}
	return nil
}

// ConfirmAddress makes account's pending address, whose confirmation token
// hashes to hash, its notice address, once: the token is spent. nonce,
// fresh, becomes its UnsubscribeNonce, even when the address is the one
// confirmed before. An unknown, spent or expired token is ErrNotFound.
func (s *Store) ConfirmAddress(ctx context.Context, account int64, hash []byte, at time.Time, nonce []byte) (address string, err error) {
	err = s.write(ctx, func(ctx context.Context, tx txn) error {
		err := tx.GetContext(ctx, &address, tx.Rebind(`UPDATE notice_addresses
			SET address = pending_address, confirmed_at = ?, unsubscribe_nonce = ?,
				pending_address = '', pending_hash = NULL, pending_expires_at = NULL
			WHERE account_id = ? AND pending_hash = ? AND pending_expires_at > ? RETURNING address`),
			millis(at), nonce, account, hash, millis(at))
		if err != nil {
			return err
		}
		return refreshNotices(ctx, tx, account)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("confirmation: %w", ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store: confirm address: %w", err)
	}
	return address, nil
}

// PendingAddress is the account and the address that ConfirmAddress
// would confirm with hash at at, changing nothing; ErrNotFound when it
// would confirm none, for any account.
func (s *Store) PendingAddress(ctx context.Context, hash []byte, at time.Time) (account int64, address string, err error) {
	var row struct {
		Account int64  `db:"account_id"`
		Address string `db:"pending_address"`
	}
	err = s.ro.GetContext(ctx, &row, s.ro.Rebind(`SELECT account_id, pending_address FROM notice_addresses
		WHERE pending_hash = ? AND pending_expires_at > ?`), hash, millis(at))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", fmt.Errorf("confirmation: %w", ErrNotFound)
	}
	if err != nil {
		return 0, "", fmt.Errorf("store: pending address: %w", err)
	}
	return row.Account, row.Address, nil
}

// RemoveAddress forgets account's notice address, confirmed and pending;
// emails not yet sent to it are dropped. With confirmed not nil it forgets
// the confirmed address alone, and only while its address and its
// UnsubscribeNonce are confirmed's, and is ErrNotFound otherwise: a
// removal asked for one address (an unsubscribe link's) never takes
// another, neither one that replaced it meanwhile, nor the same one set
// again, nor one still waiting for its confirmation, which stays to be
// confirmed.
func (s *Store) RemoveAddress(ctx context.Context, account int64, confirmed *NoticeAddress) error {
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		query, args := `DELETE FROM notice_addresses WHERE account_id = ?`, []any{account}
		if confirmed != nil {
			query, args = `UPDATE notice_addresses SET address = '', confirmed_at = NULL, unsubscribe_nonce = NULL
				WHERE account_id = ? AND address = ? AND confirmed_at IS NOT NULL
				AND unsubscribe_nonce IS NOT DISTINCT FROM ?`, append(args, confirmed.Address, confirmed.UnsubscribeNonce)
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(query), args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); confirmed != nil && (err != nil || n == 0) {
			return errors.Join(fmt.Errorf("notice address: %w", ErrNotFound), err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM notice_deliveries
			WHERE account_id = ? AND webhook_id IS NULL AND status = '`+DeliveryPending+`'`), account); err != nil {
			return err
		}
		return refreshNotices(ctx, tx, account)
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("store: remove address: %w", err)
	}
	return err
}

// Delivery is one notice to one target: a webhook, or the account's
// notice address when WebhookID is zero.
type Delivery struct {
	ID        int64
	AccountID int64
	WebhookID int64
	Type      string
	LinkID    int64
	RequestID int64
	// At, IP and UserAgent tell when the event happened and who caused it.
	At        time.Time
	IP        string
	UserAgent string
	// Body is the message as first sent, empty before the first attempt,
	// and MessageID its webhook-id.
	Body      string
	MessageID string
	Status    string
	Attempts  int
	NextAt    time.Time
	LastCode  int
	LastError string
	CreatedAt time.Time
	// DeliveredAt is set once delivered.
	DeliveredAt time.Time
	// Lease is the lease a worker took the delivery with (LeaseDeliveries),
	// which its FinishAttempt must still hold.
	Lease time.Time
}

type deliveryRow struct {
	ID          int64          `db:"id"`
	AccountID   int64          `db:"account_id"`
	WebhookID   sql.NullInt64  `db:"webhook_id"`
	Type        string         `db:"type"`
	LinkID      sql.NullInt64  `db:"link_id"`
	RequestID   sql.NullInt64  `db:"request_id"`
	At          int64          `db:"at"`
	IP          string         `db:"ip"`
	UserAgent   string         `db:"user_agent"`
	Body        sql.NullString `db:"body"`
	MessageID   sql.NullString `db:"message_id"`
	Status      string         `db:"status"`
	Attempts    int            `db:"attempts"`
	NextAt      int64          `db:"next_at"`
	LeasedUntil sql.NullInt64  `db:"leased_until"`
	LastCode    sql.NullInt64  `db:"last_code"`
	LastError   string         `db:"last_error"`
	CreatedAt   int64          `db:"created_at"`
	DeliveredAt sql.NullInt64  `db:"delivered_at"`
}

func (r deliveryRow) delivery() Delivery {
	return Delivery{ID: r.ID, AccountID: r.AccountID, WebhookID: r.WebhookID.Int64, Type: r.Type, LinkID: r.LinkID.Int64,
		RequestID: r.RequestID.Int64, At: time.UnixMilli(r.At), IP: r.IP, UserAgent: r.UserAgent, Body: r.Body.String, MessageID: r.MessageID.String,
		Status: r.Status, Attempts: r.Attempts, NextAt: time.UnixMilli(r.NextAt), LastCode: int(r.LastCode.Int64),
		LastError: r.LastError, CreatedAt: time.UnixMilli(r.CreatedAt), DeliveredAt: fromMillis(r.DeliveredAt),
		Lease: fromMillis(r.LeasedUntil)}
}

const deliveryColumns = `id, account_id, webhook_id, type, link_id, request_id, at, ip, user_agent, body, message_id, status,
	attempts, next_at, leased_until, last_code, last_error, created_at, delivered_at`

// WebhookDeliveries lists endpoint id's latest deliveries, newest first, if
// account owns it.
func (s *Store) WebhookDeliveries(ctx context.Context, account, id int64, limit int) ([]Delivery, error) {
	var rows []deliveryRow
	err := s.ro.SelectContext(ctx, &rows, s.ro.Rebind(`SELECT `+deliveryColumns+` FROM notice_deliveries
		WHERE webhook_id = ? AND account_id = ? ORDER BY id DESC LIMIT ?`), id, account, limit)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	return deliveries(rows), nil
}

// EmailDeliveries lists the latest emails to account's notice address,
// newest first.
func (s *Store) EmailDeliveries(ctx context.Context, account int64, limit int) ([]Delivery, error) {
	var rows []deliveryRow
	err := s.ro.SelectContext(ctx, &rows, s.ro.Rebind(`SELECT `+deliveryColumns+` FROM notice_deliveries
		WHERE webhook_id IS NULL AND account_id = ? ORDER BY id DESC LIMIT ?`), account, limit)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	return deliveries(rows), nil
}

func deliveries(rows []deliveryRow) []Delivery {
	ds := make([]Delivery, len(rows))
	for i, r := range rows {
		ds[i] = r.delivery()
	}
	return ds
}

// deliveryTarget is what a delivery goes to, as one number: its webhook
// endpoint, or else its account's address (as the account's negated id).
const deliveryTarget = `COALESCE(webhook_id, -account_id)`

// LeaseDeliveries takes up to limit pending deliveries that are due at now
// and that no other worker holds, and holds them until now+lease: no other
// worker, of this instance or another, takes them meanwhile. It takes at
// most one for each target (an endpoint, an address), the one due first,
// and none for a target that a worker is sending to: each target gets its
// messages one at a time (a retry waits its turn, so not always in the
// order of the events), and one that is slow to answer holds up only its
// own. On PostgreSQL rows another transaction is taking are skipped, not
// waited for.
func (s *Store) LeaseDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error) {
	var rows []deliveryRow
	until := millis(now.Add(lease))
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		rs, err := tx.QueryxContext(ctx, tx.Rebind(`UPDATE notice_deliveries SET leased_until = ?
			WHERE id IN (SELECT id FROM notice_deliveries
				-- Asked again of the row as it is when locked: on PostgreSQL,
				-- another worker may have leased it, or tried it and put it
				-- off, since this began.
				WHERE status = '`+DeliveryPending+`' AND next_at <= ? AND (leased_until IS NULL OR leased_until <= ?) AND id IN (
				SELECT id FROM (
					SELECT id, row_number() OVER (PARTITION BY `+deliveryTarget+` ORDER BY next_at, id) AS nth
					FROM notice_deliveries
					WHERE status = '`+DeliveryPending+`' AND next_at <= ? AND (leased_until IS NULL OR leased_until <= ?)
					AND `+deliveryTarget+` NOT IN (SELECT `+deliveryTarget+` FROM notice_deliveries
						WHERE status = '`+DeliveryPending+`' AND leased_until > ?)
				) due WHERE nth = 1)
				ORDER BY next_at, id LIMIT ?`+s.dialect.skipLocked+`)
			RETURNING `+deliveryColumns), until, millis(now), millis(now), millis(now), millis(now), millis(now), limit)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var r deliveryRow
			if err := rs.StructScan(&r); err != nil {
				return err
			}
			rows = append(rows, r)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: lease deliveries: %w", err)
	}
	return deliveries(rows), nil
}

// Attempt is one try of a delivery.
type Attempt struct {
	At time.Time
	// Code is the endpoint's HTTP status, or the SMTP server's reply code,
	// zero when none came.
	Code     int
	Error    string
	Duration time.Duration
	// Body is the message sent, and MessageID its webhook-id, kept on the
	// first attempt.
	Body      string
	MessageID string
	// Outcome is the delivery's status after this attempt; NextAt is when
	// a pending delivery is tried again.
	Outcome string
	NextAt  time.Time
	// DisableWebhook disables the delivery's endpoint (it answered 410).
	DisableWebhook bool
}

// ErrLeaseLost reports an attempt whose delivery another worker took over,
// its lease having run out: what this one did is not recorded.
var ErrLeaseLost = errors.New("lease lost")

// RenewLease extends the lease this worker holds on d to until, and keeps
// the new lease in d. It is ErrLeaseLost when the lease ran out and another
// worker took d, or d is no longer pending: d must then not be attempted.
func (s *Store) RenewLease(ctx context.Context, d *Delivery, until time.Time) error {
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE notice_deliveries SET leased_until = ?
			WHERE id = ? AND leased_until = ? AND status = '`+DeliveryPending+`'`), millis(until), d.ID, millis(d.Lease))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(ErrLeaseLost, err)
		}
		return nil
	})
	if err == nil {
		d.Lease = time.UnixMilli(millis(until))
	} else if !errors.Is(err, ErrLeaseLost) {
		err = fmt.Errorf("store: renew lease: %w", err)
	}
	return err
}

// FinishAttempt records attempt a of delivery d, leased by this worker,
// and releases it. It is ErrLeaseLost when another worker took d over,
// and ErrNotFound when d was deleted meanwhile, with its endpoint or its
// account, or given up with its endpoint: then nothing is recorded. A
// delivery that a would leave pending ends instead, as failed with
// AccountDisabled, when its account was disabled meanwhile.
func (s *Store) FinishAttempt(ctx context.Context, d Delivery, a Attempt) error {
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		if a.DisableWebhook && d.WebhookID != 0 {
			// The account's row first, as enqueue holds it before it
			// inserts deliveries for the endpoint: on PostgreSQL an
			// enqueue under way is waited for, and what it inserted ends
			// with the endpoint's other deliveries below; one that comes
			// after finds the endpoint switched off, and inserts nothing.
			// Else a notice written at that moment would wait, and be
			// sent once the endpoint is switched on again.
			if err := s.lockAccount(ctx, tx, d.AccountID); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		status, lastError := a.Outcome, a.Error
		if status == DeliveryPending {
			// Its account's row is read once a disable under way has
			// ended, which passed over this delivery, leased as it was.
			var disabled sql.NullInt64
			err := tx.GetContext(ctx, &disabled, tx.Rebind(`SELECT disabled_at FROM accounts WHERE id = ?`+s.dialect.forShare), d.AccountID)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if disabled.Valid {
				status, lastError = DeliveryFailed, AccountDisabled
			}
		}
		var delivered sql.NullInt64
		if a.Outcome == DeliveryDelivered {
			delivered = sql.NullInt64{Int64: millis(a.At), Valid: true}
		}
		var code sql.NullInt64
		if a.Code != 0 {
			code = sql.NullInt64{Int64: int64(a.Code), Valid: true}
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE notice_deliveries
			SET status = ?, attempts = attempts + 1, next_at = ?, leased_until = NULL, last_code = ?, last_error = ?,
				delivered_at = ?, body = COALESCE(body, ?), message_id = COALESCE(message_id, ?)
			WHERE id = ? AND leased_until = ? AND status = '`+DeliveryPending+`'`),
			status, millis(a.NextAt), code, clip(lastError, 500), delivered, a.Body, nullString(a.MessageID), d.ID, millis(d.Lease))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil && !s.deliveryPending(ctx, tx, d.ID) {
				// Deleted with its endpoint or account meanwhile, or given
				// up with its endpoint, which another delivery's answer
				// disabled.
				return fmt.Errorf("delivery: %w", ErrNotFound)
			}
			return errors.Join(ErrLeaseLost, err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO notice_attempts (delivery_id, at, code, error, duration_ms)
			VALUES (?, ?, ?, ?, ?)`), d.ID, millis(a.At), a.Code, clip(a.Error, 500), a.Duration.Milliseconds()); err != nil {
			return err
		}
		if a.DisableWebhook && d.WebhookID != 0 {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE webhooks SET disabled_at = ? WHERE id = ?`), millis(a.At), d.WebhookID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE notice_deliveries SET status = '`+DeliveryFailed+`', last_error = ?
				WHERE webhook_id = ? AND status = '`+DeliveryPending+`' AND id <> ?`), EndpointDisabled, d.WebhookID, d.ID); err != nil {
				return err
			}
			return refreshNotices(ctx, tx, d.AccountID)
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrLeaseLost) && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("store: finish attempt: %w", err)
	}
	return err
}

// deliveryPending reports whether delivery id is still pending in the
// outbox; when it cannot tell, it says so.
func (s *Store) deliveryPending(ctx context.Context, tx txn, id int64) bool {
	var n int
	err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM notice_deliveries WHERE id = ? AND status = '`+DeliveryPending+`'`), id)
	return err != nil || n > 0
}

// DeliveryAttempts lists delivery id's attempts, oldest first.
func (s *Store) DeliveryAttempts(ctx context.Context, id int64) ([]Attempt, error) {
	var rows []struct {
		At       int64  `db:"at"`
		Code     int    `db:"code"`
		Error    string `db:"error"`
		Duration int64  `db:"duration_ms"`
	}
	if err := s.ro.SelectContext(ctx, &rows, s.ro.Rebind(`SELECT at, code, error, duration_ms FROM notice_attempts
		WHERE delivery_id = ? ORDER BY id`), id); err != nil {
		return nil, fmt.Errorf("store: attempts: %w", err)
	}
	as := make([]Attempt, len(rows))
	for i, r := range rows {
		as[i] = Attempt{At: time.UnixMilli(r.At), Code: r.Code, Error: r.Error, Duration: time.Duration(r.Duration) * time.Millisecond}
	}
	return as, nil
}

// OutboxDepth counts the deliveries still pending, for metrics.
func (s *Store) OutboxDepth(ctx context.Context) (int64, error) {
	var n int64
	err := s.ro.GetContext(ctx, &n, `SELECT COUNT(*) FROM notice_deliveries WHERE status = '`+DeliveryPending+`'`)
	return n, err
}

// LinkByID finds link id, for a notice about it.
func (s *Store) LinkByID(ctx context.Context, id int64) (Link, error) {
	return s.oneLink(ctx, `l.id = ?`, id)
}

// LinkAsOf finds link id as it stood at at, for a notice about what
// happened to it then, sent maybe later: its uses, views and last use
// are those its audit trail holds up to at, and a revoke after at is not
// yet made.
func (s *Store) LinkAsOf(ctx context.Context, id int64, at time.Time) (Link, error) {
	l, err := s.LinkByID(ctx, id)
	if err != nil {
		return l, err
	}
	var then struct {
		Uses    int           `db:"uses"`
		Views   int           `db:"views"`
		LastUse sql.NullInt64 `db:"last_use"`
	}
	err = s.ro.GetContext(ctx, &then, s.ro.Rebind(`SELECT
		COUNT(CASE WHEN kind = '`+EventUse+`' THEN 1 END) AS uses,
		COUNT(CASE WHEN kind = '`+EventView+`' THEN 1 END) AS views,
		MAX(CASE WHEN kind = '`+EventUse+`' THEN at END) AS last_use
		FROM events WHERE link_id = ? AND at <= ?`), id, millis(at))
	if err != nil {
		return Link{}, fmt.Errorf("store: link as of: %w", err)
	}
	l.Uses, l.Views, l.LastUsedAt = then.Uses, then.Views, time.Time{}
	if then.LastUse.Valid {
		l.LastUsedAt = time.UnixMilli(then.LastUse.Int64)
	}
	if l.RevokedAt.After(at) {
		l.RevokedAt = time.Time{}
	}
	return l, nil
}

// enqueueExpired writes, in the sweep's transaction, the notices of links
// that expired unopened by now, and marks every such link as looked at, so
// that each is noticed once. A link that expired while its owner's account
// was disabled, and so rested, is noticed neither then nor later.
//
// On PostgreSQL the owners' rows are held as enqueue holds them, but not
// waited for: a sweep holding several while a disable holds others would
// deadlock. An owner whose row another transaction is changing (a
// disable, say) is passed over, and its links are looked at again by a
// later sweep.
func (s *Store) enqueueExpired(ctx context.Context, tx txn, now int64) error {
	const expired = ` FROM links l JOIN accounts a ON a.id = l.owner_id
		WHERE l.expires_at <= ? AND NOT l.expiry_noticed AND l.uses = 0 AND l.revoked_at IS NULL AND a.notices AND a.disabled_at IS NULL`
	lock := ""
	var owners map[int64]bool
	if s.dialect.forShare != "" {
		lock = s.dialect.forShare + ` OF a SKIP LOCKED`
		ids, err := queryIDs(ctx, tx, tx.Rebind(`SELECT DISTINCT l.owner_id`+expired), now)
		if err != nil {
			return err
		}
		owners = make(map[int64]bool, len(ids))
		for _, id := range ids {
			owners[id] = true
		}
	}
	rows, err := tx.QueryContext(ctx, tx.Rebind(`SELECT l.id, l.owner_id, l.notify, l.expires_at`+expired+lock), now)
	if err != nil {
		return err
	}
	var events []noticeEvent
	for rows.Next() {
		var e noticeEvent
		var at int64
		if err := rows.Scan(&e.LinkID, &e.Account, &e.Notify, &at); err != nil {
			rows.Close()
			return err
		}
		e.Type, e.Event.At = NoticeLinkExpiredUnopened, time.UnixMilli(at)
		events = append(events, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, e := range events {
		if err := s.enqueue(ctx, tx, e); err != nil {
			return err
		}
		delete(owners, e.Account)
	}
	// What is left of owners was passed over.
	mark := `UPDATE links SET expiry_noticed = TRUE WHERE expires_at <= ? AND NOT expiry_noticed`
	args := []any{now}
	if len(owners) > 0 {
		mark += ` AND owner_id NOT IN (?` + strings.Repeat(`, ?`, len(owners)-1) + `)`
		for id := range owners {
			args = append(args, id)
		}
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(mark), args...)
	return err
}

// queryIDs runs a query of one column of ids.
func queryIDs(ctx context.Context, tx txn, query string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
