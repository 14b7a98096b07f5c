package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// TakeRate takes one request from bucket, which holds burst requests and
// gains one back every interval, and returns zero when the request may go
// ahead, or else how long until one may. The bucket is a row that one
// statement checks and updates, so instances sharing the database share its
// limit exactly.
func (s *Store) TakeRate(ctx context.Context, bucket []byte, every time.Duration, burst int, now time.Time) (time.Duration, error) {
	t, at := every.Milliseconds(), millis(now)
	// The bucket has a request left while it is full again at most
	// (burst-1) intervals from now; taking one moves that time an interval
	// on from now or from when it was, whichever is later.
	limit := at + int64(burst-1)*t
	var fullAt int64
	err := s.db.GetContext(ctx, &fullAt, s.db.Rebind(`INSERT INTO rate_limits (bucket, full_at) VALUES (?, ?)
		ON CONFLICT (bucket) DO UPDATE SET full_at = CASE WHEN rate_limits.full_at < ? THEN ? ELSE rate_limits.full_at + ? END
		WHERE rate_limits.full_at <= ? RETURNING full_at`), bucket, at+t, at, at+t, t, limit)
	s.noteWrite(ctx, err)
	if err == nil {
		return 0, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: rate limit: %w", err)
	}
	err = s.db.GetContext(ctx, &fullAt, s.db.Rebind(`SELECT full_at FROM rate_limits WHERE bucket = ?`), bucket)
	if err != nil {
		return 0, fmt.Errorf("store: rate limit: %w", err)
	}
	return max(time.Duration(fullAt-limit)*time.Millisecond, time.Millisecond), nil
}

// RateLeft tells, without taking any, how many requests bucket (as
// TakeRate keeps it) holds now, and when it holds none, how long until it
// holds one: what a page says before the next attempt.
func (s *Store) RateLeft(ctx context.Context, bucket []byte, every time.Duration, burst int, now time.Time) (int, time.Duration, error) {
	var fullAt int64
	err := s.ro.GetContext(ctx, &fullAt, s.ro.Rebind(`SELECT full_at FROM rate_limits WHERE bucket = ?`), bucket)
	if errors.Is(err, sql.ErrNoRows) {
		return burst, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("store: rate limit: %w", err)
	}
	// The bucket lacks one request for every interval, begun, until it is
	// full again.
	t, owed := every.Milliseconds(), fullAt-millis(now)
	if owed <= 0 {
		return burst, 0, nil
	}
	if left := burst - int((owed+t-1)/t); left > 0 {
		return left, 0, nil
	}
	return 0, time.Duration(owed-int64(burst-1)*t) * time.Millisecond, nil
}
