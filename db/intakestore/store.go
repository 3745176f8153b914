// Package intakestore keeps the intake service's data in SQL, on both dialects.
package intakestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/services/intake"
)

// Store implements intake.Repository. Inside ApplyOnce it is bound to the
// transaction (tx), so the same methods run on the pool or in it.
type Store struct {
	db *db.DB
	tx *sqlx.Tx
}

// New returns a store on d.
func New(d *db.DB) *Store { return &Store{db: d} }

var _ intake.Repository = (*Store)(nil)

// inTx runs fn in the store's transaction, or in a new one.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	if s.tx != nil {
		return fn(s.tx)
	}
	return s.db.InTx(ctx, fn)
}

func (s *Store) q() sqlx.ExtContext {
	if s.tx != nil {
		return s.tx
	}
	return s.db
}

func (s *Store) rebind(q string) string { return s.db.Rebind(q) }

func null(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// ---- categories ----

type categoryRow struct {
	ID               string     `db:"id"`
	AgencyID         string     `db:"agency_id"`
	NameSV           string     `db:"name_sv"`
	NameEN           string     `db:"name_en"`
	DescriptionSV    string     `db:"description_sv"`
	DescriptionEN    string     `db:"description_en"`
	MeetingTypeIDs   string     `db:"meeting_type_ids"`
	FirstContactDays int        `db:"first_contact_days"`
	ResolutionDays   int        `db:"resolution_days"`
	RequiresPIN      bool       `db:"requires_pin"`
	IsComplaint      bool       `db:"is_complaint"`
	RetiredAt        *time.Time `db:"retired_at"`
	CreatedAt        time.Time  `db:"created_at"`
	UpdatedAt        time.Time  `db:"updated_at"`
}

const categoryColumns = `id, agency_id, name_sv, name_en, description_sv, description_en, meeting_type_ids,
	first_contact_days, resolution_days, requires_pin, is_complaint, retired_at, created_at, updated_at`

func (r categoryRow) domain() intake.Category {
	return intake.Category{ID: r.ID, AgencyID: r.AgencyID, NameSV: r.NameSV, NameEN: r.NameEN, DescriptionSV: r.DescriptionSV,
		DescriptionEN: r.DescriptionEN, MeetingTypeIDs: strings.Fields(r.MeetingTypeIDs), FirstContactDays: r.FirstContactDays,
		ResolutionDays: r.ResolutionDays, RequiresPIN: r.RequiresPIN, IsComplaint: r.IsComplaint, RetiredAt: utcPtr(r.RetiredAt),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func (s *Store) Categories(ctx context.Context, agencyID string) ([]intake.Category, error) {
	var rows []categoryRow
	if err := sqlx.SelectContext(ctx, s.q(), &rows, s.rebind(`SELECT `+categoryColumns+` FROM intake_categories
		WHERE agency_id = ? AND retired_at IS NULL ORDER BY name_sv, id`), agencyID); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]intake.Category, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

func (s *Store) Category(ctx context.Context, id string) (intake.Category, error) {
	var r categoryRow
	if err := sqlx.GetContext(ctx, s.q(), &r, s.rebind(`SELECT `+categoryColumns+` FROM intake_categories WHERE id = ?`), id); err != nil {
		return intake.Category{}, db.MapError(err)
	}
	return r.domain(), nil
}

func (s *Store) SaveCategory(ctx context.Context, c intake.Category) error {
	row := categoryRow{ID: c.ID, AgencyID: c.AgencyID, NameSV: c.NameSV, NameEN: c.NameEN, DescriptionSV: c.DescriptionSV,
		DescriptionEN: c.DescriptionEN, MeetingTypeIDs: strings.Join(c.MeetingTypeIDs, " "), FirstContactDays: c.FirstContactDays,
		ResolutionDays: c.ResolutionDays, RequiresPIN: c.RequiresPIN, IsComplaint: c.IsComplaint, RetiredAt: utcPtr(c.RetiredAt),
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.NamedExecContext(ctx, `INSERT INTO intake_categories (`+categoryColumns+`)
			VALUES (:id, :agency_id, :name_sv, :name_en, :description_sv, :description_en, :meeting_type_ids,
			        :first_contact_days, :resolution_days, :requires_pin, :is_complaint, :retired_at, :created_at, :updated_at)
			ON CONFLICT (id) DO UPDATE SET name_sv = excluded.name_sv, name_en = excluded.name_en,
			  description_sv = excluded.description_sv, description_en = excluded.description_en,
			  meeting_type_ids = excluded.meeting_type_ids, first_contact_days = excluded.first_contact_days,
			  resolution_days = excluded.resolution_days, requires_pin = excluded.requires_pin,
			  is_complaint = excluded.is_complaint, retired_at = excluded.retired_at, updated_at = excluded.updated_at`, row)
		return db.MapError(err)
	})
}

func (s *Store) ReferencePrefix(ctx context.Context, agencyID string) (string, error) {
	var p string
	err := sqlx.GetContext(ctx, s.q(), &p, s.rebind(`SELECT reference_prefix FROM intake_agencies WHERE agency_id = ?`), agencyID)
	return p, db.MapError(err)
}

// SetReferencePrefix sets the agency's prefix. The unique index refuses a
// prefix another agency holds; one that another agency numbered cases with
// before it gave it up is refused here, as its numbers would be taken.
func (s *Store) SetReferencePrefix(ctx context.Context, agencyID, prefix string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var used int
		if err := tx.GetContext(ctx, &used, tx.Rebind(`SELECT count(*) FROM intake_cases WHERE reference LIKE ? AND agency_id <> ?`),
			prefix+"-%", agencyID); err != nil {
			return db.MapError(err)
		}
		if used > 0 {
			return fmt.Errorf("another agency's cases are numbered %s: %w", prefix, core.ErrConflict)
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO intake_agencies (agency_id, reference_prefix) VALUES (?, ?)
			ON CONFLICT (agency_id) DO UPDATE SET reference_prefix = excluded.reference_prefix`), agencyID, prefix)
		return db.MapError(err)
	})
}

// ClaimReferencePrefix stores prefix for an agency that has none, unless
// another agency holds it, and returns the agency's prefix.
func (s *Store) ClaimReferencePrefix(ctx context.Context, agencyID, prefix string) (string, error) {
	var got string
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var used int
		if err := tx.GetContext(ctx, &used, tx.Rebind(`SELECT count(*) FROM intake_cases WHERE reference LIKE ? AND agency_id <> ?`),
			prefix+"-%", agencyID); err != nil {
			return db.MapError(err)
		}
		if used == 0 {
			// No conflict target: a taken agency or a taken prefix both do nothing.
			if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO intake_agencies (agency_id, reference_prefix) VALUES (?, ?)
				ON CONFLICT DO NOTHING`), agencyID, prefix); err != nil {
				return db.MapError(err)
			}
		}
		return db.MapError(tx.GetContext(ctx, &got, tx.Rebind(`SELECT reference_prefix FROM intake_agencies WHERE agency_id = ?`), agencyID))
	})
	return got, err
}

// ---- cases ----

type caseRow struct {
	ID                  string         `db:"id"`
	AgencyID            string         `db:"agency_id"`
	Reference           string         `db:"reference"`
	CategoryID          string         `db:"category_id"`
	Subject             string         `db:"subject"`
	Description         string         `db:"description"`
	CitizenID           string         `db:"citizen_id"`
	PreferredModes      string         `db:"preferred_modes"`
	PreferredTimes      string         `db:"preferred_times"`
	ContactPreference   string         `db:"contact_preference"`
	Language            string         `db:"language"`
	InterpreterLanguage string         `db:"interpreter_language"`
	Priority            string         `db:"priority"`
	AssigneeID          sql.NullString `db:"assignee_id"`
	Status              string         `db:"status"`
	ResumeStatus        string         `db:"resume_status"`
	FirstContactAt      *time.Time     `db:"first_contact_at"`
	ResolvedAt          *time.Time     `db:"resolved_at"`
	ClosedAt            *time.Time     `db:"closed_at"`
	FirstContactDue     time.Time      `db:"first_contact_due"`
	ResolutionDue       time.Time      `db:"resolution_due"`
	IsComplaint         bool           `db:"is_complaint"`
	SubjectFolded       string         `db:"subject_folded"`
	CreatedBy           string         `db:"created_by"`
	Version             int            `db:"version"`
	CreatedAt           time.Time      `db:"created_at"`
	UpdatedAt           time.Time      `db:"updated_at"`
}

const caseColumns = `id, agency_id, reference, category_id, subject, description, citizen_id, preferred_modes,
	preferred_times, contact_preference, language, interpreter_language, priority, assignee_id, status, resume_status,
	first_contact_at, resolved_at, closed_at, first_contact_due, resolution_due, is_complaint, subject_folded, created_by,
	version, created_at, updated_at`

func (r caseRow) domain() intake.Case {
	return intake.Case{ID: r.ID, AgencyID: r.AgencyID, Reference: r.Reference, CategoryID: r.CategoryID, Subject: r.Subject,
		Description: r.Description, CitizenID: r.CitizenID, PreferredModes: strings.Fields(r.PreferredModes),
		PreferredTimes: r.PreferredTimes, ContactPreference: r.ContactPreference, Language: r.Language,
		InterpreterLanguage: r.InterpreterLanguage, Priority: intake.Priority(r.Priority), AssigneeID: r.AssigneeID.String,
		Status: intake.Status(r.Status), ResumeStatus: intake.Status(r.ResumeStatus), FirstContactAt: utcPtr(r.FirstContactAt),
		ResolvedAt: utcPtr(r.ResolvedAt), ClosedAt: utcPtr(r.ClosedAt), FirstContactDue: r.FirstContactDue.UTC(),
		ResolutionDue: r.ResolutionDue.UTC(), IsComplaint: r.IsComplaint, CreatedBy: r.CreatedBy, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func caseToRow(c intake.Case) caseRow {
	return caseRow{ID: c.ID, AgencyID: c.AgencyID, Reference: c.Reference, CategoryID: c.CategoryID, Subject: c.Subject,
		Description: c.Description, CitizenID: c.CitizenID, PreferredModes: strings.Join(c.PreferredModes, " "),
		PreferredTimes: c.PreferredTimes, ContactPreference: c.ContactPreference, Language: c.Language,
		InterpreterLanguage: c.InterpreterLanguage, Priority: string(c.Priority), AssigneeID: null(c.AssigneeID),
		Status: string(c.Status), ResumeStatus: string(c.ResumeStatus), FirstContactAt: utcPtr(c.FirstContactAt),
		ResolvedAt: utcPtr(c.ResolvedAt), ClosedAt: utcPtr(c.ClosedAt), FirstContactDue: c.FirstContactDue.UTC(),
		ResolutionDue: c.ResolutionDue.UTC(), IsComplaint: c.IsComplaint, SubjectFolded: fold(c.Subject), CreatedBy: c.CreatedBy,
		Version: c.Version, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

// fold is how subjects are searched: lower case, Å, Ä and Ö included, the
// same on both engines.
func fold(s string) string { return strings.ToLower(s) }

func (s *Store) CreateCase(ctx context.Context, c intake.Case, series intake.Series, first intake.Entry, ev intake.Event) (intake.Case, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// The counter row serialises numbering per agency and year on both
		// engines: concurrent submissions get consecutive, distinct numbers.
		var n int
		if err := tx.GetContext(ctx, &n, tx.Rebind(`INSERT INTO intake_reference_counters (agency_id, year, last) VALUES (?, ?, 1)
			ON CONFLICT (agency_id, year) DO UPDATE SET last = intake_reference_counters.last + 1
			RETURNING last`), c.AgencyID, series.Year); err != nil {
			return db.MapError(err)
		}
		c.Reference = fmt.Sprintf("%s-%d-%06d", series.Prefix, series.Year, n)
		if _, err := tx.NamedExecContext(ctx, `INSERT INTO intake_cases (`+caseColumns+`) VALUES (:id, :agency_id, :reference,
			:category_id, :subject, :description, :citizen_id, :preferred_modes, :preferred_times, :contact_preference,
			:language, :interpreter_language, :priority, :assignee_id, :status, :resume_status, :first_contact_at,
			:resolved_at, :closed_at, :first_contact_due, :resolution_due, :is_complaint, :subject_folded, :created_by,
			:version, :created_at, :updated_at)`, caseToRow(c)); err != nil {
			return db.MapError(err)
		}
		if err := insertEntry(ctx, tx, first); err != nil {
			return err
		}
		// The event was built before the reference existed; add it now.
		ev.Payload = []byte(strings.Replace(string(ev.Payload), `"reference":""`, `"reference":"`+c.Reference+`"`, 1))
		return insertEvent(ctx, tx, ev)
	})
	return c, err
}

func (s *Store) Case(ctx context.Context, id string) (intake.Case, error) {
	var r caseRow
	if err := sqlx.GetContext(ctx, s.q(), &r, s.rebind(`SELECT `+caseColumns+` FROM intake_cases WHERE id = ?`), id); err != nil {
		return intake.Case{}, db.MapError(err)
	}
	return r.domain(), nil
}

func (s *Store) UpdateCase(ctx context.Context, c intake.Case, expectVersion int, entries []intake.Entry, ev *intake.Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		row := caseToRow(c)
		res, err := tx.NamedExecContext(ctx, `UPDATE intake_cases SET priority = :priority, assignee_id = :assignee_id,
			status = :status, resume_status = :resume_status, first_contact_at = :first_contact_at,
			resolved_at = :resolved_at, closed_at = :closed_at, version = :version, updated_at = :updated_at
			WHERE id = :id AND version = `+fmt.Sprint(expectVersion), row)
		if err != nil {
			return db.MapError(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("the case changed meanwhile; read it again: %w", core.ErrPrecondition)
		}
		for _, e := range entries {
			if err := insertEntry(ctx, tx, e); err != nil {
				return err
			}
		}
		if ev != nil {
			return insertEvent(ctx, tx, *ev)
		}
		return nil
	})
}

func (s *Store) AddEntry(ctx context.Context, e intake.Entry, ev *intake.Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := insertEntry(ctx, tx, e); err != nil {
			return err
		}
		if ev != nil {
			return insertEvent(ctx, tx, *ev)
		}
		return nil
	})
}

func insertEntry(ctx context.Context, tx *sqlx.Tx, e intake.Entry) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO intake_case_events (id, case_id, kind, status_from, status_to, body,
		visible_to_citizen, actor, ref, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		e.ID, e.CaseID, e.Kind, string(e.StatusFrom), string(e.StatusTo), e.Body, e.VisibleToCitizen, e.Actor, e.Ref, e.CreatedAt.UTC())
	return db.MapError(err)
}

func insertEvent(ctx context.Context, tx *sqlx.Tx, ev intake.Event) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO intake_events (id, type, aggregate_id, agency_id, payload, occurred_at)
		VALUES (?, ?, ?, ?, ?, ?)`), ev.ID, ev.Type, ev.AggregateID, ev.AgencyID, string(ev.Payload), ev.OccurredAt.UTC())
	return db.MapError(err)
}

// ListCases is the staff queue, soonest resolution deadline first.
func (s *Store) ListCases(ctx context.Context, f intake.CaseFilter, after intake.CaseCursor, limit int, now time.Time) ([]intake.Case, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if f.CitizenID != "" {
		add("citizen_id = ?", f.CitizenID)
	}
	if f.AgencyID != "" {
		add("agency_id = ?", f.AgencyID)
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	switch f.Assignee {
	case "":
	case "none":
		add("assignee_id IS NULL")
	default:
		add("assignee_id = ?", f.Assignee)
	}
	if f.CategoryID != "" {
		add("category_id = ?", f.CategoryID)
	}
	if f.Overdue {
		// Spelled as intake_cases_open_idx's predicate, so both engines use it.
		add(`status NOT IN ('resolved', 'closed', 'withdrawn') AND (resolution_due < ? OR (first_contact_at IS NULL AND first_contact_due < ?))`, now.UTC(), now.UTC())
	}
	// A reference is looked up by the unique index; anything else is a piece
	// of the subject, or of the reference when it has a digit.
	switch q := strings.TrimSpace(f.Query); {
	case q == "":
	case intake.IsReference(q):
		add(`reference = ?`, strings.ToUpper(q))
	default:
		cond, a, err := s.search(ctx, q)
		if err != nil {
			return nil, err
		}
		add(cond, a...)
	}
	if after.ID != "" {
		add("(resolution_due, id) > (?, ?)", after.Due.UTC(), after.ID)
	}
	query := `SELECT ` + caseColumns + ` FROM intake_cases`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY resolution_due, id LIMIT ?`
	args = append(args, limit)
	var rows []caseRow
	if err := sqlx.SelectContext(ctx, s.q(), &rows, s.rebind(query), args...); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]intake.Case, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// searchFew is how many cases the SQLite trigram table may find for the
// store to read them all and sort them. A piece more cases hold is found as
// quickly by reading the queue in deadline order until a page is full, and
// SQLite has no statistics on the FTS5 table to choose so by itself.
var searchFew = 1000

// search is the condition for a piece of text: a substring of the folded
// subject, or of the reference when q has a digit (no subject word is
// mistaken for a piece of EXB-2026-000123 then). PostgreSQL serves these
// LIKEs from trigram indexes (00018) and its planner weighs them against the
// queue's order. SQLite first asks its trigram FTS5 table: when it finds
// few cases, the query reads those alone, checked with the same LIKE, so
// both engines find the same cases. Pieces shorter than a trigram have no
// index; they are common enough that the queue's order finds a page quickly.
func (s *Store) search(ctx context.Context, q string) (string, []any, error) {
	escape := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace
	cond := `subject_folded LIKE ? ESCAPE '\'`
	args := []any{"%" + escape(fold(q)) + "%"}
	columns := "subject"
	if strings.ContainsAny(q, "0123456789") {
		cond = `(subject_folded LIKE ? ESCAPE '\' OR reference LIKE ? ESCAPE '\')`
		args = append(args, "%"+escape(strings.ToUpper(q))+"%")
		columns = "{subject reference}"
	}
	if s.db.Dialect != db.SQLite || utf8.RuneCountInString(q) < 3 {
		return cond, args, nil
	}
	// The FTS5 phrase is literal text; only its quote is doubled.
	match := columns + ` : "` + strings.ReplaceAll(fold(q), `"`, `""`) + `"`
	var n int
	if err := sqlx.GetContext(ctx, s.q(), &n, `SELECT count(*) FROM (SELECT 1 FROM intake_case_search
		WHERE intake_case_search MATCH ? LIMIT ?)`, match, searchFew); err != nil {
		return "", nil, db.MapError(err)
	}
	if n >= searchFew {
		return cond, args, nil
	}
	return `id IN (SELECT case_id FROM intake_case_search WHERE intake_case_search MATCH ?) AND ` + cond,
		append([]any{match}, args...), nil
}

func (s *Store) Timeline(ctx context.Context, caseID string, citizenView bool) ([]intake.Entry, error) {
	q := `SELECT id, case_id, kind, status_from, status_to, body, visible_to_citizen, actor, ref, created_at
		FROM intake_case_events WHERE case_id = ?`
	if citizenView {
		q += ` AND visible_to_citizen`
		if s.db.Dialect == db.SQLite {
			q = strings.Replace(q, "AND visible_to_citizen", "AND visible_to_citizen = 1", 1)
		}
	}
	q += ` ORDER BY created_at, id`
	rows, err := s.q().QueryxContext(ctx, s.rebind(q), caseID)
	if err != nil {
		return nil, db.MapError(err)
	}
	defer rows.Close()
	var out []intake.Entry
	for rows.Next() {
		var e intake.Entry
		var from, to string
		var at time.Time
		if err := rows.Scan(&e.ID, &e.CaseID, &e.Kind, &from, &to, &e.Body, &e.VisibleToCitizen, &e.Actor, &e.Ref, &at); err != nil {
			return nil, db.MapError(err)
		}
		e.StatusFrom, e.StatusTo, e.CreatedAt = intake.Status(from), intake.Status(to), at.UTC()
		out = append(out, e)
	}
	return out, db.MapError(rows.Err())
}

func (s *Store) Events(ctx context.Context, afterSeq int64, limit int) ([]intake.Event, error) {
	var rows []struct {
		Seq         int64     `db:"seq"`
		ID          string    `db:"id"`
		Type        string    `db:"type"`
		AggregateID string    `db:"aggregate_id"`
		AgencyID    string    `db:"agency_id"`
		Payload     string    `db:"payload"`
		OccurredAt  time.Time `db:"occurred_at"`
	}
	if err := sqlx.SelectContext(ctx, s.q(), &rows, s.rebind(`SELECT seq, id, type, aggregate_id, agency_id, payload, occurred_at
		FROM intake_events WHERE seq > ? ORDER BY seq LIMIT ?`), afterSeq, limit); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]intake.Event, len(rows))
	for i, r := range rows {
		out[i] = intake.Event{Seq: r.Seq, ID: r.ID, Type: r.Type, AggregateID: r.AggregateID, AgencyID: r.AgencyID,
			Payload: []byte(r.Payload), OccurredAt: r.OccurredAt.UTC()}
	}
	return out, nil
}

// ApplyOnce records eventID and runs apply in the same transaction; an event
// recorded before is skipped, so replays change nothing.
func (s *Store) ApplyOnce(ctx context.Context, eventID string, apply func(tx intake.Repository) error) error {
	// Consumers read events again on every poll (app.BookingToIntake's
	// lookback): an event seen before costs a read, not a write transaction,
	// which on SQLite would take the database's one write lock.
	var seen int
	if err := s.db.GetContext(ctx, &seen, s.db.Rebind(`SELECT count(*) FROM intake_consumed WHERE event_id = ?`), eventID); err != nil {
		return db.MapError(err)
	}
	if seen > 0 {
		return nil
	}
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO intake_consumed (event_id, consumed_at) VALUES (?, ?)
			ON CONFLICT (event_id) DO NOTHING`), eventID, time.Now().UTC())
		if err != nil {
			return db.MapError(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return apply(&Store{db: s.db, tx: tx})
	})
}

// Cursor returns how far consumer has read.
func (s *Store) Cursor(ctx context.Context, consumer string) (int64, error) {
	var n int64
	err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT position FROM intake_cursors WHERE consumer = ?`), consumer)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, db.MapError(err)
}

// SetCursor stores how far consumer has read.
func (s *Store) SetCursor(ctx context.Context, consumer string, position int64) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO intake_cursors (consumer, position) VALUES (?, ?)
			ON CONFLICT (consumer) DO UPDATE SET position = excluded.position`), consumer, position)
		return db.MapError(err)
	})
}
