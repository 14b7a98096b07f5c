package store

import (
	"context"
	"fmt"
	"time"
)

// Expiring returns owner's links that can still be opened at after (not
// revoked, not used up) and expire after it, soonest first, at most limit.
// A live dashboard uses it to know when its next link expires, and which
// ones just did. It reads through the (owner_id, expires_at) index, so its
// cost does not grow with the owner's dead links.
func (s *Store) Expiring(ctx context.Context, owner int64, after time.Time, limit int) ([]Link, error) {
	var rows []linkRow
	err := s.ro.SelectContext(ctx, &rows, s.ro.Rebind(linkSelect+`
		WHERE l.owner_id = ? AND l.expires_at > ? AND l.revoked_at IS NULL AND l.uses < l.max_uses
		ORDER BY l.expires_at, l.id LIMIT ?`), owner, millis(after), limit)
	if err != nil {
		return nil, fmt.Errorf("store: expiring links: %w", err)
	}
	links := make([]Link, len(rows))
	for i, r := range rows {
		links[i] = r.link()
	}
	return links, nil
}
