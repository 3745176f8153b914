package bookingstore

import (
	"context"
	"crypto/rand"

	"github.com/jmoiron/sqlx"

	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/services/booking"
)

var _ booking.ManageLinkSecrets = (*Store)(nil)

// ManageLinkSecret returns the secret that signs manage links, generating
// it the first time. Replicas starting together each offer a secret; the
// one row keeps the first, and every replica reads that one back.
func (s *Store) ManageLinkSecret(ctx context.Context) ([]byte, error) {
	fresh := make([]byte, booking.ManageLinkSecretSize)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	var secret []byte
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO booking_link_keys (id, secret, created_at) VALUES (1, ?, CURRENT_TIMESTAMP)
			ON CONFLICT (id) DO NOTHING`), fresh); err != nil {
			return db.MapError(err)
		}
		return db.MapError(tx.GetContext(ctx, &secret, `SELECT secret FROM booking_link_keys WHERE id = 1`))
	})
	return secret, err
}
