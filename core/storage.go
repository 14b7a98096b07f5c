package core

import (
	"context"
	"errors"

	"oncelink/i18n"
	"oncelink/store"
)

// An account's links keep their content until it is deleted: at once when
// a link is revoked, and by the sweep once a link is used up or expired.
// Config.AccountStorage bounds what they keep together, content sent to
// the account's requests included. The store counts and refuses in the
// write that makes the link, so that creates racing for an account's last
// space cannot pass the bound together.

// StorageUsage is what owner's links keep, and the bound on it, in bytes.
func (s *Service) StorageUsage(ctx context.Context, owner int64) (used, limit int64, err error) {
	used, err = s.store.StorageUsed(ctx, owner)
	return used, s.cfg.AccountStorage, err
}

// storageFull is err, a failure to store a link, as the refusal of a link
// that would take its owner past the bound, about field: said to the owner,
// with what they keep and the bound. Any other error comes back as it is.
func storageFull(err error, field string) error {
	var full *store.StorageFullError
	if !errors.As(err, &full) {
		return err
	}
	return Variant(TooLarge, "account_storage_full", "owner", field, "storage_full",
		"Used", StoredSize(full.Used), "Limit", Size(full.Limit))
}

// requestStorageFull is storageFull said to the sender of a request: that
// the owner's space is full, not how much the owner keeps.
func requestStorageFull(err error, field string) error {
	if !errors.As(err, new(*store.StorageFullError)) {
		return err
	}
	return Variant(TooLarge, "account_storage_full", "request", field, "storage_full")
}

// contentField is the field of a link of kind that holds its content.
func contentField(kind string) string {
	switch kind {
	case KindFile:
		return "file"
	case KindURL:
		return "url"
	}
	return "message"
}

// StoredSize is a number of bytes stored, in words, to a tenth of its unit
// (see i18n.Localizer.Size): "120.5 MiB".
type StoredSize int64

// In says the size in l's language.
func (s StoredSize) In(l *i18n.Localizer) string { return l.Size(int64(s)) }
