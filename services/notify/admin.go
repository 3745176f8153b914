package notify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

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

// DeadEvent is an event a consumer gave up on and parked: it failed with a
// permanent error, or too many times. RetryRequestedAt is set while a retry
// an administrator asked for waits for the consumer's next poll.
type DeadEvent struct {
	Consumer         string
	EventID          string
	Seq              int64
	Type             string
	Attempts         int
	LastError        string
	FailedAt         time.Time
	ParkedAt         time.Time
	RetryRequestedAt *time.Time
}

// DeadEventRepository is where the consumers of this process keep their
// dead events.
type DeadEventRepository interface {
	// Consumers names the consumers whose dead events it keeps.
	Consumers() []string
	DeadEvents(ctx context.Context, consumer string, limit int) ([]DeadEvent, error)
	RetryDeadEvent(ctx context.Context, consumer, eventID string, at time.Time) (DeadEvent, error)
}

// ConsumerAdmin lets system administrators see the events consumers parked
// and have one applied again. Only they may: a consumer serves every agency,
// and its errors can name any of them.
type ConsumerAdmin struct {
	Repo  DeadEventRepository
	Clock core.Clock
}

func (a ConsumerAdmin) checkConsumer(v *core.Validator, consumer string) {
	v.Check(consumer == "" || slices.Contains(a.Repo.Consumers(), consumer), "consumer",
		"must be one of "+strings.Join(a.Repo.Consumers(), ", "))
}

// DeadEvents lists the parked events of consumer ("" for every one).
func (a ConsumerAdmin) DeadEvents(ctx context.Context, consumer string, limit int) ([]DeadEvent, error) {
	if _, err := core.AuthorizeSystemAdmin(ctx); err != nil {
		return nil, err
	}
	var v core.Validator
	a.checkConsumer(&v, consumer)
	if limit == 0 {
		limit = 50
	}
	v.Check(limit >= 1 && limit <= 200, "limit", "must be between 1 and 200")
	if err := v.Err(); err != nil {
		return nil, err
	}
	return a.Repo.DeadEvents(ctx, consumer, limit)
}

// RetryDeadEvent asks consumer to apply its parked event again; it does at
// its next poll, counting its attempts afresh.
func (a ConsumerAdmin) RetryDeadEvent(ctx context.Context, consumer, eventID string) (DeadEvent, error) {
	if _, err := core.AuthorizeSystemAdmin(ctx); err != nil {
		return DeadEvent{}, err
	}
	if !slices.Contains(a.Repo.Consumers(), consumer) {
		return DeadEvent{}, fmt.Errorf("no consumer %q: %w", consumer, core.ErrNotFound)
	}
	if !core.ValidID(eventID) {
		return DeadEvent{}, core.Invalid("event_id", "must be a UUID")
	}
	now := core.SystemClock{}.Now()
	if a.Clock != nil {
		now = a.Clock.Now()
	}
	return a.Repo.RetryDeadEvent(ctx, consumer, eventID, now)
}
