// Package bookingstore keeps the booking service's data in SQL. It implements
// booking.Repository on both dialects; where the engines differ, the SQL for
// each is written out beside the other.
package bookingstore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// Store implements booking.Repository.
type Store struct {
	db    *db.DB
	cache *availabilityCache
	stmts sync.Map // query → *sqlx.Stmt, for the queries availability and booking ask on every call
}

// prepared returns the prepared statement of query, preparing it the first
// time. Availability asks the same few queries on every call: prepared once,
// SQLite parses and PostgreSQL plans them once per connection instead of
// every time. database/sql prepares a statement again on each connection
// that needs it. Only queries of a fixed text belong here.
func (s *Store) prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sqlx.Stmt), nil
	}
	st, err := s.db.PreparexContext(ctx, query)
	if err != nil {
		return nil, db.MapError(err)
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		_ = st.Close()
		return prev.(*sqlx.Stmt), nil
	}
	return st, nil
}

// Option changes how a Store works.
type Option func(*Store)

// WithoutAvailabilityCache makes every AvailabilityData read everything from
// the database, as the first call after start does: for benchmarks of that
// worst case.
func WithoutAvailabilityCache() Option {
	return func(s *Store) { s.cache.off = true }
}

// New returns a store on d.
func New(d *db.DB, opts ...Option) *Store {
	s := &Store{db: d, cache: newAvailabilityCache()}
	for _, o := range opts {
		o(s)
	}
	return s
}

var _ booking.Repository = (*Store)(nil)

type agencyRow struct {
	ID              string    `db:"id"`
	Name            string    `db:"name"`
	OrgNumber       string    `db:"org_number"`
	Kind            string    `db:"kind"`
	TimeZone        string    `db:"time_zone"`
	DefaultLanguage string    `db:"default_language"`
	OpenHolidays    string    `db:"open_holidays"`
	CreatedAt       time.Time `db:"created_at"`
	UpdatedAt       time.Time `db:"updated_at"`
}

func (r agencyRow) domain() booking.Agency {
	a := booking.Agency{
		ID: r.ID, Name: r.Name, OrgNumber: r.OrgNumber, Kind: booking.AgencyKind(r.Kind),
		TimeZone: r.TimeZone, DefaultLanguage: booking.Language(r.DefaultLanguage),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	for _, h := range strings.Fields(r.OpenHolidays) {
		a.OpenHolidays = append(a.OpenHolidays, availability.Holiday(h))
	}
	return a
}

func joinHolidays(hs []availability.Holiday) string {
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = string(h)
	}
	return strings.Join(parts, " ")
}

type officeRow struct {
	ID                 string     `db:"id"`
	AgencyID           string     `db:"agency_id"`
	Name               string     `db:"name"`
	StreetAddress      string     `db:"street_address"`
	PostalCode         string     `db:"postal_code"`
	City               string     `db:"city"`
	Directions         string     `db:"directions"`
	OpeningNotes       string     `db:"opening_notes"`
	AccessibilityNotes string     `db:"accessibility_notes"`
	StepFreeAccess     bool       `db:"step_free_access"`
	HearingLoop        bool       `db:"hearing_loop"`
	AccessibleParking  bool       `db:"accessible_parking"`
	CreatedAt          time.Time  `db:"created_at"`
	UpdatedAt          time.Time  `db:"updated_at"`
	RetiredAt          *time.Time `db:"retired_at"`
}

func (r officeRow) domain() booking.Office {
	return booking.Office{
		ID: r.ID, AgencyID: r.AgencyID, Name: r.Name,
		Address:    booking.Address{Street: r.StreetAddress, PostalCode: r.PostalCode, City: r.City},
		Directions: r.Directions, OpeningNotes: r.OpeningNotes, AccessibilityNotes: r.AccessibilityNotes,
		StepFreeAccess: r.StepFreeAccess, HearingLoop: r.HearingLoop, AccessibleParking: r.AccessibleParking,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), RetiredAt: utcPtr(r.RetiredAt),
	}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

type meetingTypeRow struct {
	ID              string     `db:"id"`
	AgencyID        string     `db:"agency_id"`
	NameSV          string     `db:"name_sv"`
	NameEN          string     `db:"name_en"`
	DescriptionSV   string     `db:"description_sv"`
	DescriptionEN   string     `db:"description_en"`
	WhatToBringSV   string     `db:"what_to_bring_sv"`
	WhatToBringEN   string     `db:"what_to_bring_en"`
	DurationMinutes int        `db:"duration_minutes"`
	ModePhone       bool       `db:"mode_phone"`
	ModeVideo       bool       `db:"mode_video"`
	ModeInPerson    bool       `db:"mode_in_person"`
	BufferBefore    int        `db:"buffer_before_minutes"`
	BufferAfter     int        `db:"buffer_after_minutes"`
	SlotStep        int        `db:"slot_step_minutes"`
	MinNotice       int        `db:"minimum_notice_minutes"`
	HorizonDays     int        `db:"booking_horizon_days"`
	CancelCutoff    int        `db:"cancellation_cutoff_minutes"`
	CitizenBookable bool       `db:"citizen_bookable"`
	MaxActive       int        `db:"max_active_per_citizen"`
	ReminderMinutes int        `db:"reminder_minutes"`
	CreatedAt       time.Time  `db:"created_at"`
	UpdatedAt       time.Time  `db:"updated_at"`
	RetiredAt       *time.Time `db:"retired_at"`
}

func (r meetingTypeRow) domain() booking.MeetingType {
	mt := booking.MeetingType{
		ID: r.ID, AgencyID: r.AgencyID,
		Name:         booking.Text{SV: r.NameSV, EN: r.NameEN},
		Description:  booking.Text{SV: r.DescriptionSV, EN: r.DescriptionEN},
		WhatToBring:  booking.Text{SV: r.WhatToBringSV, EN: r.WhatToBringEN},
		Duration:     time.Duration(r.DurationMinutes) * time.Minute,
		BufferBefore: minutes(r.BufferBefore), BufferAfter: minutes(r.BufferAfter), SlotStep: minutes(r.SlotStep),
		MinNotice: minutes(r.MinNotice), Horizon: time.Duration(r.HorizonDays) * 24 * time.Hour,
		CancellationCutoff: minutes(r.CancelCutoff), CitizenBookable: r.CitizenBookable, MaxActivePerCitizen: r.MaxActive,
		ReminderBefore: minutes(r.ReminderMinutes),
		CreatedAt:      r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), RetiredAt: utcPtr(r.RetiredAt),
	}
	if r.ModePhone {
		mt.Modes = append(mt.Modes, booking.Phone)
	}
	if r.ModeVideo {
		mt.Modes = append(mt.Modes, booking.Video)
	}
	if r.ModeInPerson {
		mt.Modes = append(mt.Modes, booking.InPerson)
	}
	return mt
}

func meetingTypeToRow(mt booking.MeetingType) meetingTypeRow {
	return meetingTypeRow{
		ID: mt.ID, AgencyID: mt.AgencyID, NameSV: mt.Name.SV, NameEN: mt.Name.EN,
		DescriptionSV: mt.Description.SV, DescriptionEN: mt.Description.EN,
		WhatToBringSV: mt.WhatToBring.SV, WhatToBringEN: mt.WhatToBring.EN,
		DurationMinutes: int(mt.Duration / time.Minute),
		ModePhone:       mt.Offers(booking.Phone), ModeVideo: mt.Offers(booking.Video), ModeInPerson: mt.Offers(booking.InPerson),
		BufferBefore: int(mt.BufferBefore / time.Minute), BufferAfter: int(mt.BufferAfter / time.Minute),
		SlotStep: int(mt.SlotStep / time.Minute), MinNotice: int(mt.MinNotice / time.Minute),
		HorizonDays: int(mt.Horizon / (24 * time.Hour)), CancelCutoff: int(mt.CancellationCutoff / time.Minute),
		CitizenBookable: mt.CitizenBookable, MaxActive: mt.MaxActivePerCitizen,
		ReminderMinutes: int(mt.ReminderBefore / time.Minute),
		CreatedAt:       mt.CreatedAt.UTC(), UpdatedAt: mt.UpdatedAt.UTC(), RetiredAt: utcPtr(mt.RetiredAt),
	}
}

func minutes(n int) time.Duration { return time.Duration(n) * time.Minute }

const officeColumns = `id, agency_id, name, street_address, postal_code, city, directions, opening_notes,
	accessibility_notes, step_free_access, hearing_loop, accessible_parking, created_at, updated_at, retired_at`

const meetingTypeColumns = `id, agency_id, name_sv, name_en, description_sv, description_en, what_to_bring_sv, what_to_bring_en, duration_minutes,
	mode_phone, mode_video, mode_in_person, buffer_before_minutes, buffer_after_minutes, slot_step_minutes,
	minimum_notice_minutes, booking_horizon_days, cancellation_cutoff_minutes, citizen_bookable,
	max_active_per_citizen, reminder_minutes, created_at, updated_at, retired_at`

const agencyColumns = `id, name, org_number, kind, time_zone, default_language, open_holidays, created_at, updated_at`

// ListAgencies returns up to limit agencies after the cursor, by name then id.
func (s *Store) ListAgencies(ctx context.Context, after booking.Cursor, limit int) ([]booking.Agency, error) {
	var rows []agencyRow
	var err error
	if after.IsZero() {
		err = s.db.SelectContext(ctx, &rows, s.db.Rebind(
			`SELECT `+agencyColumns+` FROM booking_agencies ORDER BY name, id LIMIT ?`), limit)
	} else {
		err = s.db.SelectContext(ctx, &rows, s.db.Rebind(
			`SELECT `+agencyColumns+` FROM booking_agencies
			  WHERE (name, id) > (?, ?) ORDER BY name, id LIMIT ?`), after.Name, after.ID, limit)
	}
	if err != nil {
		return nil, db.MapError(err)
	}
	out := make([]booking.Agency, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// Agency returns one agency, or an error wrapping core.ErrNotFound.
func (s *Store) Agency(ctx context.Context, id string) (booking.Agency, error) {
	stmt, err := s.prepared(ctx, s.db.Rebind(`SELECT `+agencyColumns+` FROM booking_agencies WHERE id = ?`))
	if err != nil {
		return booking.Agency{}, err
	}
	var r agencyRow
	if err := stmt.GetContext(ctx, &r, id); err != nil {
		return booking.Agency{}, db.MapError(err)
	}
	return r.domain(), nil
}

// Offices returns the agency's offices by name.
func (s *Store) Offices(ctx context.Context, agencyID string) ([]booking.Office, error) {
	var rows []officeRow
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(
		`SELECT `+officeColumns+` FROM booking_offices WHERE agency_id = ? AND retired_at IS NULL ORDER BY name, id`), agencyID)
	if err != nil {
		return nil, db.MapError(err)
	}
	out := make([]booking.Office, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// MeetingTypes returns the agency's meeting types by Swedish name.
func (s *Store) MeetingTypes(ctx context.Context, agencyID string) ([]booking.MeetingType, error) {
	var rows []meetingTypeRow
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(
		`SELECT `+meetingTypeColumns+` FROM booking_meeting_types WHERE agency_id = ? AND retired_at IS NULL ORDER BY name_sv, id`), agencyID)
	if err != nil {
		return nil, db.MapError(err)
	}
	out := make([]booking.MeetingType, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// SaveAgency inserts the agency, or updates it when its id exists.
func (s *Store) SaveAgency(ctx context.Context, a booking.Agency) error {
	if err := a.Validate(); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.NamedExecContext(ctx, `
			INSERT INTO booking_agencies (`+agencyColumns+`)
			VALUES (:id, :name, :org_number, :kind, :time_zone, :default_language, :open_holidays, :created_at, :updated_at)
			ON CONFLICT (id) DO UPDATE SET
			  name = excluded.name, org_number = excluded.org_number, kind = excluded.kind,
			  time_zone = excluded.time_zone, default_language = excluded.default_language,
			  open_holidays = excluded.open_holidays, updated_at = excluded.updated_at`,
			agencyRow{
				ID: a.ID, Name: a.Name, OrgNumber: a.OrgNumber, Kind: string(a.Kind), TimeZone: a.TimeZone,
				DefaultLanguage: string(a.DefaultLanguage), OpenHolidays: joinHolidays(a.OpenHolidays),
				CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC(),
			})
		if err != nil {
			return fmt.Errorf("save agency %s: %w", a.ID, db.MapError(err))
		}
		return nil
	})
}

// SaveOffice inserts the office, or updates it when its id exists.
func (s *Store) SaveOffice(ctx context.Context, o booking.Office) error {
	if err := o.Validate(); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.NamedExecContext(ctx, `
			INSERT INTO booking_offices (`+officeColumns+`)
			VALUES (:id, :agency_id, :name, :street_address, :postal_code, :city, :directions,
			        :opening_notes, :accessibility_notes, :step_free_access, :hearing_loop, :accessible_parking,
			        :created_at, :updated_at, :retired_at)
			ON CONFLICT (id) DO UPDATE SET
			  name = excluded.name, street_address = excluded.street_address,
			  postal_code = excluded.postal_code, city = excluded.city, directions = excluded.directions,
			  opening_notes = excluded.opening_notes, accessibility_notes = excluded.accessibility_notes,
			  step_free_access = excluded.step_free_access, hearing_loop = excluded.hearing_loop,
			  accessible_parking = excluded.accessible_parking, updated_at = excluded.updated_at`,
			officeRow{
				ID: o.ID, AgencyID: o.AgencyID, Name: o.Name, StreetAddress: o.Address.Street,
				PostalCode: o.Address.PostalCode, City: o.Address.City, Directions: o.Directions, OpeningNotes: o.OpeningNotes,
				AccessibilityNotes: o.AccessibilityNotes, StepFreeAccess: o.StepFreeAccess, HearingLoop: o.HearingLoop,
				AccessibleParking: o.AccessibleParking, CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC(),
				RetiredAt: utcPtr(o.RetiredAt),
			})
		if err != nil {
			return fmt.Errorf("save office %s: %w", o.ID, db.MapError(err))
		}
		return nil
	})
}

// SaveMeetingType inserts the meeting type, or updates it when its id exists.
func (s *Store) SaveMeetingType(ctx context.Context, mt booking.MeetingType) error {
	if err := mt.Validate(); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.NamedExecContext(ctx, `
			INSERT INTO booking_meeting_types (`+meetingTypeColumns+`)
			VALUES (:id, :agency_id, :name_sv, :name_en, :description_sv, :description_en, :what_to_bring_sv, :what_to_bring_en,
			       :duration_minutes, :mode_phone, :mode_video, :mode_in_person, :buffer_before_minutes,
			       :buffer_after_minutes, :slot_step_minutes, :minimum_notice_minutes, :booking_horizon_days,
			       :cancellation_cutoff_minutes, :citizen_bookable, :max_active_per_citizen, :reminder_minutes,
			       :created_at, :updated_at, :retired_at)
			ON CONFLICT (id) DO UPDATE SET
			  name_sv = excluded.name_sv, name_en = excluded.name_en,
			  description_sv = excluded.description_sv, description_en = excluded.description_en,
			  what_to_bring_sv = excluded.what_to_bring_sv, what_to_bring_en = excluded.what_to_bring_en,
			  duration_minutes = excluded.duration_minutes, mode_phone = excluded.mode_phone,
			  mode_video = excluded.mode_video, mode_in_person = excluded.mode_in_person,
			  buffer_before_minutes = excluded.buffer_before_minutes, buffer_after_minutes = excluded.buffer_after_minutes,
			  slot_step_minutes = excluded.slot_step_minutes, minimum_notice_minutes = excluded.minimum_notice_minutes,
			  booking_horizon_days = excluded.booking_horizon_days,
			  cancellation_cutoff_minutes = excluded.cancellation_cutoff_minutes,
			  citizen_bookable = excluded.citizen_bookable, max_active_per_citizen = excluded.max_active_per_citizen,
			  reminder_minutes = excluded.reminder_minutes,
			  updated_at = excluded.updated_at`,
			meetingTypeToRow(mt))
		if err != nil {
			return fmt.Errorf("save meeting type %s: %w", mt.ID, db.MapError(err))
		}
		return nil
	})
}
