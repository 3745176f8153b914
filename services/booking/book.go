package booking

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// CitizenRef names the citizen an appointment is for: by id, or — when staff
// or an integration book — by personal identity number and/or contact details.
type CitizenRef struct {
	ID                     string
	PersonalIdentityNumber string
	Email                  string
	Phone                  string
	Name                   string
}

// CitizenContact is what booking needs to know of a citizen.
type CitizenContact struct {
	ID       string
	Name     string
	Email    string
	Phone    string
	Language string
}

// Citizens is booking's view of the citizen register, which the auth service
// keeps. cmd/tidbok wires it.
type Citizens interface {
	// ResolveCitizen finds the citizen ref names, creating the record when
	// staff or an integration book for someone not yet known.
	ResolveCitizen(ctx context.Context, ref CitizenRef) (CitizenContact, error)
	Citizen(ctx context.Context, id string) (CitizenContact, error)
}

// AuditLog records reads and changes of personal data.
type AuditLog interface {
	Record(ctx context.Context, action, targetKind, targetID, agencyID string)
}

// Option configures the service.
type Option func(*service)

// WithCitizens gives booking the citizen register.
func WithCitizens(c Citizens) Option { return func(s *service) { s.citizens = c } }

// WithAuditLog gives booking the audit log.
func WithAuditLog(a AuditLog) Option { return func(s *service) { s.audit = a } }

// WithVideoBaseURL sets the base of generated video meeting links; an empty
// u keeps the default, so a link is never relative.
func WithVideoBaseURL(u string) Option {
	return func(s *service) {
		if u = strings.TrimSuffix(strings.TrimSpace(u), "/"); u != "" {
			s.videoBaseURL = u
		}
	}
}

// WithHoldTTL sets how long a hold keeps a slot.
func WithHoldTTL(d time.Duration) Option { return func(s *service) { s.holdTTL = d } }

// DefaultHoldTTL is how long a hold keeps a slot unless configured.
const DefaultHoldTTL = 10 * time.Minute

// WithMaxCitizenHolds sets how many unexpired holds one citizen may keep at
// once; 0 or less means no limit.
func WithMaxCitizenHolds(n int) Option { return func(s *service) { s.maxCitizenHolds = n } }

// DefaultMaxCitizenHolds is how many unexpired holds one citizen may keep
// unless configured: enough to compare a few times, too few to empty a
// day's calendar. Staff and integrations hold for the agency, unlimited.
const DefaultMaxCitizenHolds = 3

// BookRequest books a meeting.
type BookRequest struct {
	MeetingTypeID       string
	Mode                Mode
	Start               time.Time
	HoldID              string
	OfficeID            string
	StaffID             string
	CaseID              string
	Citizen             CitizenRef
	Notes               string
	InterpreterLanguage string
	Accessibility       []Accessibility
	AccessibilityOther  string
	PhoneNumber         string
	PhoneDirection      PhoneDirection
	Room                string
}

func principalKey(p core.Principal) string { return string(p.Kind) + ":" + p.Subject }

func (s *service) record(ctx context.Context, action, kind, id, agencyID string) {
	if s.audit != nil {
		s.audit.Record(ctx, action, kind, id, agencyID)
	}
}

// validateBookRequest checks what can be checked without the store.
func validateBookRequest(req BookRequest) error {
	var v core.Validator
	v.Check(core.ValidID(req.MeetingTypeID), "meeting_type_id", "must be a UUID")
	_, err := ParseMode(string(req.Mode))
	v.Check(err == nil, "mode", "must be one of phone, video, in_person")
	v.Check(!req.Start.IsZero(), "start", "is required: an RFC 3339 time from /v1/availability")
	for _, f := range []struct{ name, id string }{{"hold_id", req.HoldID}, {"office_id", req.OfficeID}, {"staff_id", req.StaffID}, {"case_id", req.CaseID}} {
		v.Check(f.id == "" || core.ValidID(f.id), f.name, "must be a UUID")
	}
	v.Check(utf8.RuneCountInString(req.Notes) <= 2000, "notes", "must be at most 2000 characters")
	v.Check(utf8.RuneCountInString(req.InterpreterLanguage) <= 50, "interpreter_language", "must be at most 50 characters")
	v.Check(utf8.RuneCountInString(req.AccessibilityOther) <= 500, "accessibility_other", "must be at most 500 characters")
	v.Check(utf8.RuneCountInString(req.Room) <= 100, "room", "must be at most 100 characters")
	for i, a := range req.Accessibility {
		v.Check(slices.Contains(Accessibilities, a), fmt.Sprintf("accessibility[%d]", i), "must be one of wheelchair, hearing_loop, sign_language, other")
	}
	v.Check(req.PhoneDirection == "" || req.PhoneDirection == AgencyCalls || req.PhoneDirection == CitizenCalls,
		"phone_direction", "must be agency_calls or citizen_calls")
	return v.Err()
}

// bookingContext is what booking and holding share: the meeting type, the
// agency, the caller and, for bookings, the citizen.
type bookingContext struct {
	mt      MeetingType
	agency  Agency
	caller  core.Principal
	citizen CitizenContact
}

func (s *service) loadForBooking(ctx context.Context, meetingTypeID string, mode Mode) (bookingContext, error) {
	p, err := core.Caller(ctx)
	if err != nil {
		return bookingContext{}, err
	}
	mt, agency, err := s.repo.MeetingTypeAgency(ctx, meetingTypeID)
	if errors.Is(err, core.ErrNotFound) || (err == nil && mt.RetiredAt != nil) {
		return bookingContext{}, fmt.Errorf("meeting_type_id %s: no such meeting type: %w", meetingTypeID, core.ErrNotFound)
	}
	if err != nil {
		return bookingContext{}, err
	}
	if !mt.Offers(mode) {
		return bookingContext{}, core.Invalid("mode", fmt.Sprintf("%s is not offered for this meeting type", mode))
	}
	switch p.Kind {
	case core.KindCitizen:
		if !mt.CitizenBookable {
			return bookingContext{}, fmt.Errorf("this meeting type is booked by the agency; ask them for a time: %w", core.ErrForbidden)
		}
	default:
		if _, err := core.AuthorizeAgency(ctx, agency.ID, core.ScopeAppointmentsWrite); err != nil {
			return bookingContext{}, err
		}
	}
	return bookingContext{mt: mt, agency: agency, caller: p}, nil
}

// checkWindow refuses a start the meeting type's rules never allow, naming
// the rule.
func checkWindow(mt MeetingType, start, now time.Time) error {
	switch {
	case start.Before(now):
		return core.Invalid("start", "is in the past")
	case start.Before(now.Add(mt.MinNotice)):
		return core.Invalid("start", fmt.Sprintf("must be at least %s from now for this meeting type", humanDuration(mt.MinNotice)))
	case start.After(now.Add(mt.Horizon)):
		return core.Invalid("start", fmt.Sprintf("is beyond the %d days ahead this meeting type can be booked", int(mt.Horizon/(24*time.Hour))))
	}
	return nil
}

func humanDuration(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	}
	return fmt.Sprintf("%d minutes", int(d/time.Minute))
}

// findSlot returns the slots that start at start (one, or in person without
// an office one per office, in office order), or the reason there is none:
// a conflict when the time is bookable in principle but taken, invalid when
// it never is. ignore is a block of the appointment being moved.
//
// Unless fresh (or moving), the slots' staff may include some who are
// already taken, and a slot may have no one free: the store's SlotData
// leaves out busy time it would have to read (see Repository.SlotData). The
// caller inserts a block for each candidate in turn, slot by slot, and the
// database refuses the taken ones, so the first who is free in the
// assignment order gets the meeting, as with fresh data; only the refusal
// of a time that was already taken comes later, after the insert.
func (s *service) findSlot(ctx context.Context, bc bookingContext, mode Mode, start time.Time, officeID, staffID string, ignore *Appointment, fresh bool) ([]Slot, error) {
	if officeID != "" {
		if _, err := s.ownOffice(ctx, bc.agency.ID, officeID); err != nil {
			return nil, err
		}
	}
	now := s.clock.Now()
	var data AvailabilityData
	var err error
	if fresh || ignore != nil {
		// Moving checks against fresh busy time: its new block goes in
		// beside the one it gives up.
		data, err = s.repo.AvailabilityData(ctx, bc.agency.ID, bc.mt.ID, start, start.Add(time.Minute), now)
	} else {
		data, err = s.repo.SlotData(ctx, bc.agency.ID, bc.mt.ID, staffID, start, start.Add(time.Minute), now)
	}
	if err != nil {
		return nil, err
	}
	// The data holds the agency's staff who serve the meeting type: a
	// staff member asked for must be one of them.
	if staffID != "" && !slices.ContainsFunc(data.Staff, func(st availability.Staff) bool { return st.ID == staffID }) {
		return nil, fmt.Errorf("staff_id %s: no staff member of this agency serves this meeting type: %w", staffID, core.ErrNotFound)
	}
	if ignore != nil {
		from, to := ignore.Blocked()
		for i := range data.Staff {
			if data.Staff[i].ID == ignore.StaffID {
				// The store may share the busy time with other calls: edit a copy.
				data.Staff[i].Busy = slices.DeleteFunc(slices.Clone(data.Staff[i].Busy), func(b availability.Busy) bool {
					return b.Blocked().Start.Equal(from) && b.Blocked().End.Equal(to)
				})
			}
		}
	}
	q := availability.Query{
		Location: bc.agency.Location(), Now: now, From: start, To: start.Add(time.Minute),
		Rules: bc.mt.Rules(), Mode: availability.Mode(mode), OfficeID: officeID, StaffID: staffID,
		Staff: data.Staff, Closures: data.Closures, Holidays: availability.HolidayPolicy{Open: bc.agency.OpenHolidays},
	}
	pick := func(slots []availability.Slot) []Slot {
		var out []Slot
		for _, sl := range slots {
			if sl.Start.Equal(start) && (officeID == "" || sl.OfficeID == officeID) {
				out = append(out, Slot{Start: sl.Start, End: sl.End, Mode: mode, OfficeID: sl.OfficeID, StaffIDs: sl.StaffIDs})
			}
		}
		return out
	}
	if sl := pick(availability.Compute(q)); len(sl) > 0 {
		return sl, nil
	}
	for i := range q.Staff {
		q.Staff[i].Busy = nil
	}
	if len(pick(availability.Compute(q))) > 0 {
		return nil, errTaken(bc.mt.ID, mode)
	}
	return nil, core.Invalid("start", "is not a bookable time for this meeting type and mode; choose one from /v1/availability")
}

func errTaken(meetingTypeID string, mode Mode) error {
	return fmt.Errorf("that time was just taken; fetch free times again from /v1/availability?meeting_type_id=%s&mode=%s: %w",
		meetingTypeID, mode, core.ErrConflict)
}

// orderCandidates puts the slot's free staff in the order the service
// assigns them: the one with the fewest appointments that local day first,
// then by id, so the load spreads and the choice is predictable.
func (s *service) orderCandidates(ctx context.Context, bc bookingContext, slot Slot, prefer string) ([]string, error) {
	ids := slices.Clone(slot.StaffIDs)
	if len(ids) < 2 {
		return ids, nil // nothing to choose between
	}
	loc := bc.agency.Location()
	local := slot.Start.In(loc)
	dayStart := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	counts, err := s.repo.AppointmentCounts(ctx, ids, dayStart, dayStart.AddDate(0, 0, 1))
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(ids, func(a, b string) int {
		if a == prefer {
			return -1
		}
		if b == prefer {
			return 1
		}
		if d := counts[a] - counts[b]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return ids, nil
}

func (s *service) videoURL() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return s.videoBaseURL + "/tidbok-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// Book checks everything that does not depend on the citizen — the window,
// the slot or the hold, the phone number given — before it resolves the
// citizen, because resolving may create the citizen's record: a refused
// booking writes nothing.
func (s *service) Book(ctx context.Context, req BookRequest) (Appointment, error) {
	if err := validateBookRequest(req); err != nil {
		return Appointment{}, err
	}
	bc, err := s.loadForBooking(ctx, req.MeetingTypeID, req.Mode)
	if err != nil {
		return Appointment{}, err
	}
	if bc.caller.Kind == core.KindCitizen && req.StaffID != "" {
		return Appointment{}, core.Invalid("staff_id", "citizens cannot choose the staff member")
	}
	now := s.clock.Now()
	if err := checkWindow(bc.mt, req.Start, now); err != nil {
		return Appointment{}, err
	}
	var (
		hold  Hold
		slots []Slot
	)
	if req.HoldID != "" {
		if hold, err = s.usableHold(ctx, bc, req, now); err != nil {
			return Appointment{}, err
		}
		slots = []Slot{{OfficeID: hold.OfficeID, StaffIDs: []string{hold.StaffID}}}
	} else {
		// Naming the citizen other than by id may create their record
		// (resolveCitizen, below); a time already taken must be refused
		// before that, so it is checked against fresh busy time.
		mayCreate := bc.caller.Kind != core.KindCitizen && req.Citizen.ID == ""
		if slots, err = s.findSlot(ctx, bc, req.Mode, req.Start, req.OfficeID, req.StaffID, nil, mayCreate); err != nil {
			return Appointment{}, err
		}
		// The first slot's order now, before anything is written; further
		// slots (other offices) only if its candidates are all taken.
		if slots[0].StaffIDs, err = s.orderCandidates(ctx, bc, slots[0], req.StaffID); err != nil {
			return Appointment{}, err
		}
	}
	phone := ""
	if req.Mode == Phone {
		var ok bool
		switch {
		case req.PhoneNumber != "":
			if phone, ok = core.NormalizePhone(req.PhoneNumber); !ok {
				return Appointment{}, errPhoneNumber
			}
		case req.Citizen.Phone == "" && req.Citizen.ID == "" && bc.caller.Kind != core.KindCitizen:
			// Resolving a citizen named by personal identity number or
			// e-mail may create the record before we could tell whether it
			// holds a number, and a refused booking must write nothing.
			return Appointment{}, core.Invalid("phone_number", "give the number to call in phone.number or citizen.phone when the citizen is not named by id")
		}
	}

	if bc.citizen, err = s.resolveCitizen(ctx, bc.caller, req.Citizen); err != nil {
		return Appointment{}, err
	}
	a := Appointment{
		ID: core.NewID(), AgencyID: bc.agency.ID, MeetingTypeID: bc.mt.ID, CitizenID: bc.citizen.ID, CaseID: req.CaseID,
		Mode: req.Mode, Status: Booked, Start: req.Start.UTC(), End: req.Start.Add(bc.mt.Duration).UTC(),
		BufferBefore: bc.mt.BufferBefore, BufferAfter: bc.mt.BufferAfter, Notes: strings.TrimSpace(req.Notes),
		InterpreterLanguage: strings.TrimSpace(req.InterpreterLanguage), Accessibility: req.Accessibility,
		AccessibilityOther: strings.TrimSpace(req.AccessibilityOther), BookedBy: principalKey(bc.caller),
		Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	switch req.Mode {
	case Phone:
		// The number given for the meeting, else the citizen's on record,
		// else the one staff gave for the citizen (an existing record keeps
		// its own contact details).
		for _, n := range []string{bc.citizen.Phone, req.Citizen.Phone} {
			if phone == "" {
				phone, _ = core.NormalizePhone(n)
			}
		}
		if phone == "" {
			return Appointment{}, errPhoneNumber
		}
		a.PhoneNumber, a.PhoneDirection = phone, req.PhoneDirection
		if a.PhoneDirection == "" {
			a.PhoneDirection = AgencyCalls
		}
	case Video:
		a.VideoURL = s.videoURL()
	case InPerson:
		if bc.caller.Kind != core.KindCitizen {
			a.Room = strings.TrimSpace(req.Room)
		}
	}
	// The most active bookings per citizen is checked by the store, in the
	// booking's transaction, where a citizen's concurrent bookings take
	// turns (ErrTooManyActive).

	// Without a hold two bookings may pick the same staff member at once,
	// and a candidate may be taken already (see findSlot); the database
	// lets one through and the other tries the next colleague. A hold's
	// block becomes the appointment's and cannot be lost.
	tried := map[string]bool{}
	for i, slot := range slots {
		candidates := slot.StaffIDs
		if i > 0 {
			if candidates, err = s.orderCandidates(ctx, bc, slot, req.StaffID); err != nil {
				return Appointment{}, err
			}
		}
		a.OfficeID = ""
		if req.Mode == InPerson {
			a.OfficeID = slot.OfficeID
		}
		for _, staffID := range candidates {
			if tried[staffID] {
				continue
			}
			tried[staffID] = true
			a.StaffID = staffID
			err := s.repo.BookAppointment(ctx, a, s.blockFor(a), hold.ID, s.appointmentEvent(ctx, EventAppointmentBooked, a, nil, ""))
			switch {
			case hold.ID != "" && errors.Is(err, core.ErrNotFound):
				return Appointment{}, core.Invalid("hold_id", "the hold has expired; choose a time again")
			case errors.Is(err, core.ErrConflict) && !errors.Is(err, ErrTooManyActive):
				continue
			case err != nil:
				return Appointment{}, err
			}
			s.record(ctx, "appointment.booked", "appointment", a.ID, a.AgencyID)
			return s.local(ctx, a), nil
		}
	}
	return Appointment{}, errTaken(bc.mt.ID, req.Mode)
}

var errPhoneNumber = core.Invalid("phone_number", "a phone meeting needs the citizen's phone number, such as 070-123 45 67")

func (s *service) blockFor(a Appointment) Block {
	from, to := a.Blocked()
	return Block{ID: core.NewID(), StaffID: a.StaffID, Kind: "appointment", Start: a.Start, End: a.End, From: from, To: to}
}

// usableHold returns the caller's live hold for exactly what req asks; the
// booking then turns its block into the appointment's, so the slot cannot
// be lost to anyone else in between.
func (s *service) usableHold(ctx context.Context, bc bookingContext, req BookRequest, now time.Time) (Hold, error) {
	h, err := s.repo.Hold(ctx, req.HoldID)
	if errors.Is(err, core.ErrNotFound) || (err == nil && !h.ExpiresAt.After(now)) {
		return Hold{}, core.Invalid("hold_id", "the hold has expired or does not exist; choose a time again")
	}
	if err != nil {
		return Hold{}, err
	}
	if h.Holder != principalKey(bc.caller) {
		return Hold{}, core.Invalid("hold_id", "is not a hold of yours")
	}
	if h.MeetingTypeID != req.MeetingTypeID || h.Mode != req.Mode || !h.Start.Equal(req.Start) || (req.OfficeID != "" && req.OfficeID != h.OfficeID) {
		return Hold{}, core.Invalid("hold_id", "holds another time, mode or meeting type than the one asked for")
	}
	if req.StaffID != "" && req.StaffID != h.StaffID {
		return Hold{}, core.Invalid("staff_id", "differs from the staff member the hold reserved")
	}
	return h, nil
}

func (s *service) resolveCitizen(ctx context.Context, p core.Principal, ref CitizenRef) (CitizenContact, error) {
	if s.citizens == nil {
		return CitizenContact{}, fmt.Errorf("the citizen register (auth service) is not reachable from this booking process: %w", core.ErrUnavailable)
	}
	if p.Kind == core.KindCitizen {
		if ref.ID != "" && ref.ID != p.Subject {
			return CitizenContact{}, fmt.Errorf("citizens book for themselves only: %w", core.ErrForbidden)
		}
		return s.citizens.Citizen(ctx, p.Subject)
	}
	if ref == (CitizenRef{}) {
		return CitizenContact{}, core.Invalid("citizen", "name the citizen by id, personal identity number, e-mail or phone")
	}
	return s.citizens.ResolveCitizen(ctx, ref)
}

// ---- holds ----

// HoldRequest reserves a slot for a while.
type HoldRequest struct {
	MeetingTypeID string
	Mode          Mode
	Start         time.Time
	OfficeID      string
}

func (s *service) PlaceHold(ctx context.Context, req HoldRequest) (Hold, error) {
	if err := validateBookRequest(BookRequest{MeetingTypeID: req.MeetingTypeID, Mode: req.Mode, Start: req.Start, OfficeID: req.OfficeID}); err != nil {
		return Hold{}, err
	}
	bc, err := s.loadForBooking(ctx, req.MeetingTypeID, req.Mode)
	if err != nil {
		return Hold{}, err
	}
	now := s.clock.Now()
	if err := checkWindow(bc.mt, req.Start, now); err != nil {
		return Hold{}, err
	}
	slots, err := s.findSlot(ctx, bc, req.Mode, req.Start, req.OfficeID, "", nil, false)
	if err != nil {
		return Hold{}, err
	}
	h := Hold{ID: core.NewID(), AgencyID: bc.agency.ID, MeetingTypeID: bc.mt.ID, Mode: req.Mode, Start: req.Start.UTC(),
		End: req.Start.Add(bc.mt.Duration).UTC(), ExpiresAt: now.Add(s.holdTTL), Holder: principalKey(bc.caller), CreatedAt: now}
	maxHeld := 0
	if bc.caller.Kind == core.KindCitizen {
		maxHeld = s.maxCitizenHolds
	}
	tried := map[string]bool{}
	for _, slot := range slots {
		candidates, err := s.orderCandidates(ctx, bc, slot, "")
		if err != nil {
			return Hold{}, err
		}
		if req.Mode == InPerson {
			h.OfficeID = slot.OfficeID
		}
		for _, staffID := range candidates {
			if tried[staffID] {
				continue
			}
			tried[staffID] = true
			h.StaffID = staffID
			expires := h.ExpiresAt
			b := Block{ID: h.ID, StaffID: staffID, Kind: "hold", Start: h.Start, End: h.End,
				From: h.Start.Add(-bc.mt.BufferBefore), To: h.End.Add(bc.mt.BufferAfter), ExpiresAt: &expires}
			err := s.repo.CreateHold(ctx, h, b, now, maxHeld)
			if errors.Is(err, core.ErrConflict) && !errors.Is(err, ErrTooManyHolds) {
				continue
			}
			if err != nil {
				return Hold{}, err
			}
			loc := bc.agency.Location()
			h.Start, h.End, h.ExpiresAt = h.Start.In(loc), h.End.In(loc), h.ExpiresAt.In(loc)
			return h, nil
		}
	}
	return Hold{}, errTaken(bc.mt.ID, req.Mode)
}

// ---- events ----

// AppointmentEvent is the payload of booking's appointment events, the
// contract that notify, intake and webhooks read.
type AppointmentEvent struct {
	Appointment AppointmentSnapshot `json:"appointment"`
	Change      Change              `json:"change"`
}

// AppointmentSnapshot is the appointment as it is after the change.
type AppointmentSnapshot struct {
	ID                  string   `json:"id"`
	AgencyID            string   `json:"agency_id"`
	MeetingTypeID       string   `json:"meeting_type_id"`
	StaffID             string   `json:"staff_id"`
	CitizenID           string   `json:"citizen_id"`
	CaseID              string   `json:"case_id,omitempty"`
	Mode                string   `json:"mode"`
	OfficeID            string   `json:"office_id,omitempty"`
	Room                string   `json:"room,omitempty"`
	PhoneNumber         string   `json:"phone_number,omitempty"`
	PhoneDirection      string   `json:"phone_direction,omitempty"`
	VideoURL            string   `json:"video_url,omitempty"`
	Status              string   `json:"status"`
	Start               string   `json:"start"`
	End                 string   `json:"end"`
	InterpreterLanguage string   `json:"interpreter_language,omitempty"`
	Accessibility       []string `json:"accessibility,omitempty"`
	Sequence            int      `json:"sequence"`
}

// Change says who changed what, when and why.
type Change struct {
	Type     string `json:"type"`
	By       string `json:"by"`
	At       string `json:"at"`
	Reason   string `json:"reason,omitempty"`
	OldStart string `json:"old_start,omitempty"`
	OldEnd   string `json:"old_end,omitempty"`
	NewStart string `json:"new_start,omitempty"`
	NewEnd   string `json:"new_end,omitempty"`
}

func (s *service) appointmentEvent(ctx context.Context, typ string, a Appointment, old *Appointment, reason string) Event {
	acc := make([]string, len(a.Accessibility))
	for i, x := range a.Accessibility {
		acc[i] = string(x)
	}
	by := "system"
	if p, ok := core.PrincipalFrom(ctx); ok {
		by = principalKey(p)
	}
	now := s.clock.Now()
	payload := AppointmentEvent{
		Appointment: AppointmentSnapshot{ID: a.ID, AgencyID: a.AgencyID, MeetingTypeID: a.MeetingTypeID, StaffID: a.StaffID,
			CitizenID: a.CitizenID, CaseID: a.CaseID, Mode: string(a.Mode), OfficeID: a.OfficeID, Room: a.Room,
			PhoneNumber: a.PhoneNumber, PhoneDirection: string(a.PhoneDirection), VideoURL: a.VideoURL, Status: string(a.Status),
			Start: a.Start.UTC().Format(time.RFC3339), End: a.End.UTC().Format(time.RFC3339),
			InterpreterLanguage: a.InterpreterLanguage, Accessibility: acc, Sequence: a.Sequence},
		Change: Change{Type: typ, By: by, At: now.UTC().Format(time.RFC3339Nano), Reason: reason,
			NewStart: a.Start.UTC().Format(time.RFC3339), NewEnd: a.End.UTC().Format(time.RFC3339)},
	}
	if old != nil {
		payload.Change.OldStart = old.Start.UTC().Format(time.RFC3339)
		payload.Change.OldEnd = old.End.UTC().Format(time.RFC3339)
	}
	b, _ := json.Marshal(payload)
	return Event{ID: core.NewID(), Type: typ, AggregateID: a.ID, AgencyID: a.AgencyID, Payload: b, OccurredAt: now}
}
