package booking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// CallbackStatus is where a call-back request is.
type CallbackStatus string

const (
	CallbackWaiting     CallbackStatus = "waiting"
	CallbackClaimed     CallbackStatus = "claimed"
	CallbackCompleted   CallbackStatus = "completed"
	CallbackWithdrawn   CallbackStatus = "withdrawn"
	CallbackUnreachable CallbackStatus = "unreachable"
)

// MaxCallbackAttempts is how many unanswered calls end a request.
const MaxCallbackAttempts = 3

// Callback is a citizen's "call me back" instead of waiting in a phone queue.
type Callback struct {
	ID            string
	AgencyID      string
	MeetingTypeID string
	Topic         string
	CitizenID     string
	PhoneNumber   string
	Earliest      time.Time
	Latest        time.Time
	CaseID        string
	Language      string
	Status        CallbackStatus
	Attempts      int
	ClaimedBy     string // staff account id
	ClaimedAt     *time.Time
	CompletedAt   *time.Time
	Version       int
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Position and EstimatedAt are computed when a request is placed.
	Position    int
	EstimatedAt *time.Time
}

// CallbackRequest asks to be called back.
type CallbackRequest struct {
	AgencyID      string
	MeetingTypeID string
	Topic         string
	Phone         string
	Earliest      time.Time
	Latest        time.Time
	CaseID        string
	Language      string
	Citizen       CitizenRef // staff and integrations: for whom
}

// CallbackFilter narrows the queue.
type CallbackFilter struct {
	AgencyID string
	Status   CallbackStatus
	Limit    int
}

func (s *service) RequestCallback(ctx context.Context, req CallbackRequest) (Callback, error) {
	p, err := core.Caller(ctx)
	if err != nil {
		return Callback{}, err
	}
	now := s.clock.Now()
	var v core.Validator
	v.Check(core.ValidID(req.AgencyID), "agency_id", "must be a UUID")
	v.Check(req.MeetingTypeID == "" || core.ValidID(req.MeetingTypeID), "meeting_type_id", "must be a UUID")
	v.Check(req.MeetingTypeID != "" || strings.TrimSpace(req.Topic) != "", "topic", "say what it is about, or give a meeting_type_id")
	v.Check(utf8.RuneCountInString(req.Topic) <= 500, "topic", "must be at most 500 characters")
	v.Check(req.CaseID == "" || core.ValidID(req.CaseID), "case_id", "must be a UUID")
	lang := req.Language
	v.Check(lang == "" || lang == "sv" || lang == "en", "language", "must be sv or en")
	v.Check(!req.Earliest.IsZero(), "earliest", "is required")
	v.Check(!req.Latest.IsZero(), "latest", "is required")
	v.Check(req.Latest.After(req.Earliest), "latest", "must be after earliest")
	v.Check(req.Latest.After(now.Add(15*time.Minute)), "latest", "must be at least 15 minutes from now")
	v.Check(req.Latest.Sub(now) <= 14*24*time.Hour, "latest", "must be within 14 days")
	if err := v.Err(); err != nil {
		return Callback{}, err
	}
	agency, err := s.GetAgency(ctx, req.AgencyID)
	if err != nil {
		return Callback{}, err
	}
	var mt MeetingType
	if req.MeetingTypeID != "" {
		if mt, err = s.ownMeetingType(ctx, agency.ID, req.MeetingTypeID); err != nil {
			return Callback{}, err
		}
		if !mt.Offers(Phone) {
			return Callback{}, core.Invalid("meeting_type_id", "is not offered by phone")
		}
	}
	if p.Kind != core.KindCitizen {
		if _, err := core.AuthorizeAgency(ctx, agency.ID, core.ScopeCallbacksWrite); err != nil {
			return Callback{}, err
		}
	}
	citizen, err := s.resolveCitizen(ctx, p, req.Citizen)
	if err != nil {
		return Callback{}, err
	}
	// Unless asked otherwise, call in the language the citizen chose, else
	// the agency's.
	for _, l := range []string{citizen.Language, string(agency.DefaultLanguage), "sv"} {
		if lang == "" && (l == "sv" || l == "en") {
			lang = l
		}
	}
	number := req.Phone
	if number == "" {
		number = citizen.Phone
	}
	phone, ok := core.NormalizePhone(number)
	if number == "" || !ok {
		return Callback{}, core.Invalid("phone", "we need a number to call, such as 070-123 45 67")
	}
	earliest := req.Earliest
	if earliest.Before(now) {
		earliest = now
	}
	c := Callback{ID: core.NewID(), AgencyID: agency.ID, MeetingTypeID: req.MeetingTypeID, Topic: strings.TrimSpace(req.Topic),
		CitizenID: citizen.ID, PhoneNumber: phone, Earliest: earliest.UTC(), Latest: req.Latest.UTC(), CaseID: req.CaseID,
		Language: lang, Status: CallbackWaiting, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.repo.CreateCallback(ctx, c, s.callbackEvent(ctx, EventCallbackRequested, c, "")); err != nil {
		return Callback{}, err
	}
	s.record(ctx, "callback.requested", "callback", c.ID, c.AgencyID)
	return s.withEstimate(ctx, c, agency, mt)
}

// withEstimate adds the queue position and when the call can be expected:
// the position-th free phone slot in the window, among the staff who take
// calls for the meeting type. Without a meeting type there is no estimate.
func (s *service) withEstimate(ctx context.Context, c Callback, agency Agency, mt MeetingType) (Callback, error) {
	pos, err := s.repo.CallbackPosition(ctx, c)
	if err != nil {
		return Callback{}, err
	}
	c.Position = pos
	if mt.ID == "" {
		return s.localCallback(c, agency), nil
	}
	now := s.clock.Now()
	data, err := s.repo.AvailabilityData(ctx, agency.ID, mt.ID, c.Earliest, c.Latest, now)
	if err != nil {
		return Callback{}, err
	}
	rules := mt.Rules()
	rules.MinNotice = 0 // a call can come at once
	slots := availability.Compute(availability.Query{Location: agency.Location(), Now: now, From: c.Earliest, To: c.Latest,
		Rules: rules, Mode: availability.Phone, Staff: data.Staff, Closures: data.Closures,
		Holidays: availability.HolidayPolicy{Open: agency.OpenHolidays}})
	free := 0
	for _, sl := range slots {
		free += len(sl.StaffIDs)
		if free >= pos {
			t := sl.Start
			c.EstimatedAt = &t
			break
		}
	}
	return s.localCallback(c, agency), nil
}

func (s *service) localCallback(c Callback, agency Agency) Callback {
	loc := agency.Location()
	c.Earliest, c.Latest = c.Earliest.In(loc), c.Latest.In(loc)
	if c.EstimatedAt != nil {
		t := c.EstimatedAt.In(loc)
		c.EstimatedAt = &t
	}
	return c
}

func (s *service) ListCallbacks(ctx context.Context, f CallbackFilter) ([]Callback, error) {
	p, err := core.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if f.Status != "" && f.Status != CallbackWaiting && f.Status != CallbackClaimed && f.Status != CallbackCompleted &&
		f.Status != CallbackWithdrawn && f.Status != CallbackUnreachable {
		return nil, core.Invalid("status", "must be one of waiting, claimed, completed, withdrawn, unreachable")
	}
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return nil, err
	}
	citizenID := ""
	if p.Kind == core.KindCitizen {
		citizenID, f.AgencyID = p.Subject, ""
	} else {
		if f.AgencyID == "" {
			f.AgencyID = p.AgencyID
		}
		if !core.ValidID(f.AgencyID) {
			return nil, core.Invalid("agency_id", "must be a UUID")
		}
		if _, err := core.AuthorizeAgency(ctx, f.AgencyID, core.ScopeCallbacksWrite); err != nil {
			return nil, err
		}
		// The agency's list is its queue unless another status is asked
		// for: in queue order, closed requests of past days would fill the
		// first pages.
		if f.Status == "" {
			f.Status = CallbackWaiting
		}
	}
	list, err := s.repo.Callbacks(ctx, f.AgencyID, citizenID, f.Status, limit)
	if err != nil {
		return nil, err
	}
	for i := range list {
		loc := s.zoneOf(ctx, list[i].AgencyID)
		list[i].Earliest, list[i].Latest = list[i].Earliest.In(loc), list[i].Latest.In(loc)
	}
	s.record(ctx, "callback.listed", "agency", f.AgencyID+citizenID, f.AgencyID)
	return list, nil
}

// staffCaller returns the caller when they are staff of the agency.
func staffCaller(ctx context.Context, agencyID string) (core.Principal, error) {
	p, err := core.AuthorizeAgency(ctx, agencyID, "")
	if err != nil {
		return p, err
	}
	if p.Kind != core.KindStaff {
		return p, fmt.Errorf("only staff make calls: %w", core.ErrForbidden)
	}
	return p, nil
}

// ClaimNextCallback gives the caller the first waiting request of their
// agency whose window has opened; exactly one caller gets each.
func (s *service) ClaimNextCallback(ctx context.Context, agencyID string) (Callback, error) {
	p, err := core.Caller(ctx)
	if err != nil {
		return Callback{}, err
	}
	if agencyID == "" {
		agencyID = p.AgencyID
	}
	if !core.ValidID(agencyID) {
		return Callback{}, core.Invalid("agency_id", "must be a UUID")
	}
	if p, err = staffCaller(ctx, agencyID); err != nil {
		return Callback{}, err
	}
	now := s.clock.Now()
	c, err := s.repo.ClaimNextCallback(ctx, agencyID, p.Subject, now, func(c Callback) Event {
		return s.callbackEvent(ctx, EventCallbackClaimed, c, "")
	})
	if errors.Is(err, core.ErrNotFound) {
		return Callback{}, fmt.Errorf("no call-back request is waiting: %w", core.ErrNotFound)
	}
	if err != nil {
		return Callback{}, err
	}
	s.record(ctx, "callback.claimed", "callback", c.ID, c.AgencyID)
	return s.localCallback(c, Agency{TimeZone: s.zoneOf(ctx, c.AgencyID).String()}), nil
}

func (s *service) loadCallback(ctx context.Context, id string) (Callback, core.Principal, error) {
	if !core.ValidID(id) {
		return Callback{}, core.Principal{}, core.Invalid("id", "must be a UUID")
	}
	p, err := core.Caller(ctx)
	if err != nil {
		return Callback{}, p, err
	}
	c, err := s.repo.Callback(ctx, id)
	if err != nil {
		return Callback{}, p, fmt.Errorf("callback %s: %w", id, err)
	}
	if _, err := core.AuthorizeCitizenData(ctx, c.CitizenID, c.AgencyID, core.ScopeCallbacksWrite); err != nil {
		if errors.Is(err, core.ErrForbidden) {
			return Callback{}, p, fmt.Errorf("callback %s: %w", id, core.ErrNotFound)
		}
		return Callback{}, p, err
	}
	return c, p, nil
}

// CallbackAction is claim, complete, no-answer or withdraw on one request.
type CallbackAction struct {
	ID   string
	Note string
}

func (s *service) ClaimCallback(ctx context.Context, a CallbackAction) (Callback, error) {
	return s.callbackStep(ctx, a, func(c *Callback, p core.Principal, now time.Time) (string, error) {
		if c.Status != CallbackWaiting {
			return "", fmt.Errorf("someone else has it, or it is closed (%s): %w", c.Status, core.ErrConflict)
		}
		c.Status, c.ClaimedBy, c.ClaimedAt = CallbackClaimed, p.Subject, &now
		return EventCallbackClaimed, nil
	}, true)
}

func (s *service) CompleteCallback(ctx context.Context, a CallbackAction) (Callback, error) {
	return s.callbackStep(ctx, a, func(c *Callback, p core.Principal, now time.Time) (string, error) {
		if c.Status != CallbackClaimed || c.ClaimedBy != p.Subject {
			return "", fmt.Errorf("claim the request before completing it: %w", core.ErrConflict)
		}
		c.Status, c.CompletedAt = CallbackCompleted, &now
		return EventCallbackCompleted, nil
	}, true)
}

// NoAnswerCallback puts the request back in the queue after an unanswered
// call; after MaxCallbackAttempts the citizen is told we could not reach them.
func (s *service) NoAnswerCallback(ctx context.Context, a CallbackAction) (Callback, error) {
	return s.callbackStep(ctx, a, func(c *Callback, p core.Principal, now time.Time) (string, error) {
		if c.Status != CallbackClaimed || c.ClaimedBy != p.Subject {
			return "", fmt.Errorf("claim the request before reporting the call: %w", core.ErrConflict)
		}
		c.Attempts++
		c.ClaimedBy, c.ClaimedAt = "", nil
		if c.Attempts >= MaxCallbackAttempts {
			c.Status = CallbackUnreachable
			return EventCallbackUnreachable, nil
		}
		c.Status = CallbackWaiting
		return EventCallbackNoAnswer, nil
	}, true)
}

func (s *service) WithdrawCallback(ctx context.Context, a CallbackAction) (Callback, error) {
	return s.callbackStep(ctx, a, func(c *Callback, p core.Principal, now time.Time) (string, error) {
		if c.Status != CallbackWaiting && c.Status != CallbackClaimed {
			return "", fmt.Errorf("the request is already %s: %w", c.Status, core.ErrConflict)
		}
		c.Status = CallbackWithdrawn
		return EventCallbackWithdrawn, nil
	}, false)
}

func (s *service) callbackStep(ctx context.Context, a CallbackAction, step func(*Callback, core.Principal, time.Time) (string, error), staffOnly bool) (Callback, error) {
	c, p, err := s.loadCallback(ctx, a.ID)
	if err != nil {
		return Callback{}, err
	}
	if staffOnly {
		if p, err = staffCaller(ctx, c.AgencyID); err != nil {
			return Callback{}, err
		}
	}
	now := s.clock.Now()
	expect := c.Version
	eventType, err := step(&c, p, now)
	if err != nil {
		return Callback{}, err
	}
	c.Version++
	c.UpdatedAt = now
	if err := s.repo.UpdateCallback(ctx, c, expect, s.callbackEvent(ctx, eventType, c, a.Note)); err != nil {
		if errors.Is(err, core.ErrPrecondition) {
			return Callback{}, fmt.Errorf("someone else changed the request just now: %w", core.ErrConflict)
		}
		return Callback{}, err
	}
	s.record(ctx, eventType, "callback", c.ID, c.AgencyID)
	loc := s.zoneOf(ctx, c.AgencyID)
	c.Earliest, c.Latest = c.Earliest.In(loc), c.Latest.In(loc)
	return c, nil
}

// CallbackEvent is the payload of booking's callback events.
type CallbackEvent struct {
	Callback struct {
		ID            string `json:"id"`
		AgencyID      string `json:"agency_id"`
		MeetingTypeID string `json:"meeting_type_id,omitempty"`
		CitizenID     string `json:"citizen_id"`
		CaseID        string `json:"case_id,omitempty"`
		Status        string `json:"status"`
		Attempts      int    `json:"attempts"`
		Language      string `json:"language"`
	} `json:"callback"`
	Change Change `json:"change"`
}

func (s *service) callbackEvent(ctx context.Context, typ string, c Callback, note string) Event {
	var e CallbackEvent
	e.Callback.ID, e.Callback.AgencyID, e.Callback.MeetingTypeID = c.ID, c.AgencyID, c.MeetingTypeID
	e.Callback.CitizenID, e.Callback.CaseID, e.Callback.Status = c.CitizenID, c.CaseID, string(c.Status)
	e.Callback.Attempts, e.Callback.Language = c.Attempts, c.Language
	by := "system"
	if p, ok := core.PrincipalFrom(ctx); ok {
		by = principalKey(p)
	}
	now := s.clock.Now()
	e.Change = Change{Type: typ, By: by, At: now.UTC().Format(time.RFC3339Nano), Reason: note}
	b, _ := json.Marshal(e)
	return Event{ID: core.NewID(), Type: typ, AggregateID: c.ID, AgencyID: c.AgencyID, Payload: b, OccurredAt: now}
}
