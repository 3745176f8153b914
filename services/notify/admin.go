package notify

import (
	"context"
	"fmt"

	"github.com/tidbok/tidbok/core"
)

// Admin lets administrators see stored messages — above all the dead
// letters — and send a dead one again.
type Admin struct {
	Repo  OutboxRepository
	Clock core.Clock
}

// Messages lists an agency's stored messages with status ("" for all):
// agency admins see their agency's, system admins any.
func (a Admin) Messages(ctx context.Context, agencyID, status string, limit int) ([]StoredMessage, error) {
	var v core.Validator
	v.Check(core.ValidID(agencyID), "agency_id", "must be a UUID")
	v.Check(status == "" || status == StatusPending || status == StatusSent || status == StatusDead, "status", "must be pending, sent or dead")
	if limit == 0 {
		limit = 50
	}
	v.Check(limit >= 1 && limit <= 200, "limit", "must be between 1 and 200")
	if err := v.Err(); err != nil {
		return nil, err
	}
	if _, err := core.AuthorizeAgency(ctx, agencyID, "", core.RoleAgencyAdmin); err != nil {
		return nil, err
	}
	return a.Repo.ListMessages(ctx, status, agencyID, limit)
}

// Retry sends a dead letter again.
func (a Admin) Retry(ctx context.Context, id string) error {
	if !core.ValidID(id) {
		return core.Invalid("id", "must be a UUID")
	}
	if _, err := core.Caller(ctx); err != nil {
		return err
	}
	m, err := a.Repo.Message(ctx, id)
	if err != nil {
		return fmt.Errorf("message %s: %w", id, err)
	}
	if _, err := core.AuthorizeAgency(ctx, m.AgencyID, "", core.RoleAgencyAdmin); err != nil {
		return fmt.Errorf("message %s: %w", id, core.ErrNotFound)
	}
	if m.Status != StatusDead {
		return fmt.Errorf("only a dead letter can be retried; this one is %s: %w", m.Status, core.ErrConflict)
	}
	now := core.SystemClock{}.Now()
	if a.Clock != nil {
		now = a.Clock.Now()
	}
	return a.Repo.Retry(ctx, id, now)
}
