package intakestore

import (
	"context"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/services/intake"
)

// CaseTimings reads the agency's cases submitted in [from, to) through
// intake_cases_created_idx (migration 00015): the columns statistics need,
// no text.
func (s *Store) CaseTimings(ctx context.Context, agencyID string, from, to time.Time) ([]intake.CaseTiming, error) {
	var rows []struct {
		CategoryID      string     `db:"category_id"`
		PreferredModes  string     `db:"preferred_modes"`
		Status          string     `db:"status"`
		CreatedAt       time.Time  `db:"created_at"`
		FirstContactAt  *time.Time `db:"first_contact_at"`
		ResolvedAt      *time.Time `db:"resolved_at"`
		FirstContactDue time.Time  `db:"first_contact_due"`
		ResolutionDue   time.Time  `db:"resolution_due"`
	}
	if err := sqlx.SelectContext(ctx, s.q(), &rows, s.rebind(caseTimingsQuery), agencyID, from.UTC(), to.UTC()); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]intake.CaseTiming, len(rows))
	for i, r := range rows {
		mode := ""
		if f := strings.Fields(r.PreferredModes); len(f) > 0 {
			mode = f[0]
		}
		out[i] = intake.CaseTiming{CategoryID: r.CategoryID, Mode: mode, Status: intake.Status(r.Status), CreatedAt: r.CreatedAt.UTC(),
			FirstContactAt: utcPtr(r.FirstContactAt), ResolvedAt: utcPtr(r.ResolvedAt), FirstContactDue: r.FirstContactDue.UTC(),
			ResolutionDue: r.ResolutionDue.UTC()}
	}
	return out, nil
}

// caseTimingsQuery takes agency, from, to.
const caseTimingsQuery = `SELECT category_id, preferred_modes, status, created_at, first_contact_at, resolved_at,
	first_contact_due, resolution_due
	FROM intake_cases WHERE agency_id = ? AND created_at >= ? AND created_at < ?`
