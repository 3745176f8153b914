package authstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/services/auth"
)

// ---- service clients ----

type serviceClientRow struct {
	ID         string     `db:"id"`
	Name       string     `db:"name"`
	SecretHash string     `db:"secret_hash"`
	Scopes     string     `db:"scopes"`
	CreatedAt  time.Time  `db:"created_at"`
	RevokedAt  *time.Time `db:"revoked_at"`
}

const serviceClientColumns = `id, name, secret_hash, scopes, created_at, revoked_at`

func (s *Store) CreateServiceClient(ctx context.Context, c auth.Client) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.NamedExecContext(ctx, `INSERT INTO auth_service_clients (`+serviceClientColumns+`)
			VALUES (:id, :name, :secret_hash, :scopes, :created_at, :revoked_at)`,
			serviceClientRow{ID: c.ID, Name: c.Name, SecretHash: c.SecretHash, Scopes: strings.Join(c.Scopes, " "),
				CreatedAt: utc(c.CreatedAt), RevokedAt: utcPtr(c.RevokedAt)})
		return db.MapError(err)
	})
}

func (s *Store) ServiceClient(ctx context.Context, id string) (auth.Client, error) {
	var r serviceClientRow
	if err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+serviceClientColumns+` FROM auth_service_clients WHERE id = ?`), id); err != nil {
		return auth.Client{}, db.MapError(err)
	}
	return auth.Client{ID: r.ID, Name: r.Name, SecretHash: r.SecretHash, Scopes: strings.Fields(r.Scopes),
		CreatedBy: "tidbok", CreatedAt: utc(r.CreatedAt), RevokedAt: utcPtr(r.RevokedAt)}, nil
}

func (s *Store) RevokeServiceClient(ctx context.Context, id string, at time.Time) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE auth_service_clients SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`), utc(at), id)
		if err := oneRow(res, err); errors.Is(err, core.ErrNotFound) {
			// Revoking twice changes nothing; an unknown id is an error.
			var n int
			if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT count(*) FROM auth_service_clients WHERE id = ?`), id); err != nil {
				return db.MapError(err)
			}
			if n == 0 {
				return fmt.Errorf("service client %s: %w", id, core.ErrNotFound)
			}
			return nil
		} else if err != nil {
			return err
		}
		return nil
	})
}
