package notifystore

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/services/notify"
)

var _ notify.FeedRepository = (*Outbox)(nil)

type feedRow struct {
	ID        string     `db:"id"`
	OwnerKind string     `db:"owner_kind"`
	OwnerID   string     `db:"owner_id"`
	CreatedAt time.Time  `db:"created_at"`
	RevokedAt *time.Time `db:"revoked_at"`
}

func (r feedRow) domain() notify.FeedToken {
	t := notify.FeedToken{ID: r.ID, OwnerKind: core.PrincipalKind(r.OwnerKind), OwnerID: r.OwnerID, CreatedAt: r.CreatedAt.UTC()}
	if r.RevokedAt != nil {
		u := r.RevokedAt.UTC()
		t.RevokedAt = &u
	}
	return t
}

// CreateFeedToken stores a feed token by its hash.
func (o *Outbox) CreateFeedToken(ctx context.Context, t notify.FeedToken, hash string) error {
	return o.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO notify_feed_tokens (id, token_hash, owner_kind, owner_id, created_at)
			VALUES (?, ?, ?, ?, ?)`), t.ID, hash, string(t.OwnerKind), t.OwnerID, t.CreatedAt.UTC())
		return db.MapError(err)
	})
}

// FeedTokenByHash finds a token by its hash.
func (o *Outbox) FeedTokenByHash(ctx context.Context, hash string) (notify.FeedToken, error) {
	var r feedRow
	if err := o.db.GetContext(ctx, &r, o.db.Rebind(`SELECT id, owner_kind, owner_id, created_at, revoked_at
		FROM notify_feed_tokens WHERE token_hash = ?`), hash); err != nil {
		return notify.FeedToken{}, db.MapError(err)
	}
	return r.domain(), nil
}

// FeedTokens lists an owner's tokens, newest first.
func (o *Outbox) FeedTokens(ctx context.Context, kind core.PrincipalKind, ownerID string) ([]notify.FeedToken, error) {
	var rows []feedRow
	if err := o.db.SelectContext(ctx, &rows, o.db.Rebind(`SELECT id, owner_kind, owner_id, created_at, revoked_at
		FROM notify_feed_tokens WHERE owner_kind = ? AND owner_id = ? ORDER BY created_at DESC, id`), string(kind), ownerID); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]notify.FeedToken, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// RevokeFeedToken revokes an owner's token; another owner's is not found.
func (o *Outbox) RevokeFeedToken(ctx context.Context, id string, kind core.PrincipalKind, ownerID string, at time.Time) error {
	return o.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE notify_feed_tokens SET revoked_at = COALESCE(revoked_at, ?)
			WHERE id = ? AND owner_kind = ? AND owner_id = ?`), at.UTC(), id, string(kind), ownerID)
		if err != nil {
			return db.MapError(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("feed %s: %w", id, core.ErrNotFound)
		}
		return nil
	})
}
