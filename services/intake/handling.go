package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidbok/tidbok/core"
)

// First contact is the first time the agency reaches the citizen: a
// citizen-visible message or status note from staff, a meeting booked by
// staff, or the case moving to in progress. It is set once, exactly.
func markFirstContact(c *Case, at time.Time) {
	if c.FirstContactAt == nil {
		t := at
		c.FirstContactAt = &t
	}
}

func checkIfMatch(c Case, ifMatch string) error {
	if ifMatch == "" || ifMatch == "*" {
		return nil
	}
	for _, tag := range strings.Split(ifMatch, ",") {
		if strings.TrimPrefix(strings.TrimSpace(tag), "W/") == c.ETag() {
			return nil
		}
	}
	return fmt.Errorf("the case changed since you read it (now %s); read it again: %w", c.ETag(), core.ErrPrecondition)
}

// StatusChange moves a case, with a note internal or visible to the citizen.
type StatusChange struct {
	ID               string
	Status           Status
	Note             string
	VisibleToCitizen bool
	IfMatch          string
}

// staffOnCase allows the agency's staff and clients with cases:write. Who
// may read the case but not act on it (the citizen, a client with only
// cases:read) is refused; who may not even read it is told it is not there.
func (s *service) staffOnCase(ctx context.Context, id, ifMatch string) (Case, core.Principal, error) {
	c, _, err := s.loadCase(ctx, id, core.ScopeCasesRead)
	if err != nil {
		return Case{}, core.Principal{}, err
	}
	p, err := core.AuthorizeAgency(ctx, c.AgencyID, core.ScopeCasesWrite)
	if err != nil {
		return Case{}, p, err
	}
	if err := checkIfMatch(c, ifMatch); err != nil {
		return Case{}, p, err
	}
	return c, p, nil
}

func (s *service) ChangeStatus(ctx context.Context, req StatusChange) (Case, error) {
	var v core.Validator
	v.Check(req.Status.Valid(), "status", "is not a case status")
	v.Check(utf8.RuneCountInString(req.Note) <= 4000, "note", "must be at most 4000 characters")
	if err := v.Err(); err != nil {
		return Case{}, err
	}
	c, _, err := s.staffOnCase(ctx, req.ID, req.IfMatch)
	if err != nil {
		return Case{}, err
	}
	if req.Status == Withdrawn {
		return Case{}, fmt.Errorf("only the citizen withdraws a case; close it instead: %w", core.ErrConflict)
	}
	if !c.CanMoveTo(req.Status) {
		return Case{}, fmt.Errorf("a case that is %s cannot become %s: %w", c.Status, req.Status, core.ErrConflict)
	}
	now := s.clock.Now()
	expect := c.Version
	from := c.Status
	s.applyStatus(&c, req.Status, now)
	if req.VisibleToCitizen && strings.TrimSpace(req.Note) != "" || req.Status == InProgress {
		markFirstContact(&c, now)
	}
	e := Entry{ID: core.NewID(), CaseID: c.ID, Kind: EntryStatus, StatusFrom: from, StatusTo: req.Status,
		Body: strings.TrimSpace(req.Note), VisibleToCitizen: req.VisibleToCitizen, Actor: actorOf(ctx), CreatedAt: now}
	ev := s.caseEvent("case.status_changed", c, &e)
	if err := s.repo.UpdateCase(ctx, c, expect, []Entry{e}, &ev); err != nil {
		return Case{}, err
	}
	return s.answer(c), nil
}

// applyStatus sets the status and the timestamps that follow from it.
func (s *service) applyStatus(c *Case, to Status, now time.Time) {
	if to == WaitingForCitizen {
		c.ResumeStatus = c.Status
	}
	c.Status = to
	switch to {
	case Resolved:
		if c.ResolvedAt == nil {
			c.ResolvedAt = &now
		}
	case Closed:
		c.ClosedAt = &now
		if c.ResolvedAt == nil {
			c.ResolvedAt = &now
		}
	case InProgress:
		// A reopened case is no longer resolved.
		c.ResolvedAt = nil
	}
	c.Version++
	c.UpdatedAt = now
}

// Assignment gives a case to a staff member of the same agency.
type Assignment struct {
	ID      string
	StaffID string
	IfMatch string
}

func (s *service) Assign(ctx context.Context, req Assignment) (Case, error) {
	if !core.ValidID(req.StaffID) {
		return Case{}, core.Invalid("staff_id", "must be a UUID")
	}
	c, _, err := s.staffOnCase(ctx, req.ID, req.IfMatch)
	if err != nil {
		return Case{}, err
	}
	agencyID, err := s.people.StaffAgency(ctx, req.StaffID)
	if errors.Is(err, core.ErrNotFound) || (err == nil && agencyID != c.AgencyID) {
		return Case{}, core.Invalid("staff_id", "is not a staff member of this case's agency")
	}
	if err != nil {
		return Case{}, err
	}
	if !c.Status.Open() {
		return Case{}, fmt.Errorf("a %s case cannot be assigned: %w", c.Status, core.ErrConflict)
	}
	now := s.clock.Now()
	expect := c.Version
	from := c.Status
	c.AssigneeID = req.StaffID
	entries := []Entry{{ID: core.NewID(), CaseID: c.ID, Kind: EntryAssignment, Ref: req.StaffID, Actor: actorOf(ctx), CreatedAt: now}}
	if c.Status == Submitted || c.Status == Triaged {
		s.applyStatus(&c, Assigned, now)
		// A microsecond later, so the timeline reads assignment, then status.
		entries = append(entries, Entry{ID: core.NewID(), CaseID: c.ID, Kind: EntryStatus, StatusFrom: from, StatusTo: Assigned,
			VisibleToCitizen: true, Actor: actorOf(ctx), CreatedAt: now.Add(time.Microsecond)})
	} else {
		c.Version++
		c.UpdatedAt = now
	}
	ev := s.caseEvent("case.assigned", c, &entries[len(entries)-1])
	if err := s.repo.UpdateCase(ctx, c, expect, entries, &ev); err != nil {
		return Case{}, err
	}
	return s.answer(c), nil
}

func (s *service) SetPriority(ctx context.Context, id string, p Priority, ifMatch string) (Case, error) {
	if !p.Valid() {
		return Case{}, core.Invalid("priority", "must be low, normal, high or urgent")
	}
	c, _, err := s.staffOnCase(ctx, id, ifMatch)
	if err != nil {
		return Case{}, err
	}
	now := s.clock.Now()
	expect := c.Version
	e := Entry{ID: core.NewID(), CaseID: c.ID, Kind: EntryPriority, Body: string(p), Actor: actorOf(ctx), CreatedAt: now}
	c.Priority = p
	c.Version++
	c.UpdatedAt = now
	ev := s.caseEvent("case.priority_changed", c, &e)
	if err := s.repo.UpdateCase(ctx, c, expect, []Entry{e}, &ev); err != nil {
		return Case{}, err
	}
	return s.answer(c), nil
}

// Message is a message on a case: from the citizen (always visible to
// them), or from staff (visible unless Internal, then an internal note).
type Message struct {
	CaseID   string
	Body     string
	Internal bool
}

func (s *service) PostMessage(ctx context.Context, req Message) (Entry, error) {
	body := strings.TrimSpace(req.Body)
	var v core.Validator
	v.Check(body != "", "body", "is required")
	v.Check(utf8.RuneCountInString(body) <= 10000, "body", "must be at most 10000 characters")
	if err := v.Err(); err != nil {
		return Entry{}, err
	}
	c, p, err := s.loadCase(ctx, req.CaseID, core.ScopeCasesRead)
	if err != nil {
		return Entry{}, err
	}
	now := s.clock.Now()
	e := Entry{ID: core.NewID(), CaseID: c.ID, Kind: EntryMessage, Body: body, VisibleToCitizen: true, Actor: actorOf(ctx), CreatedAt: now}
	if p.Kind == core.KindCitizen {
		if req.Internal {
			return Entry{}, core.Invalid("internal", "is for staff notes")
		}
		if !c.Status.Open() {
			return Entry{}, fmt.Errorf("the case is %s; open a new one: %w", c.Status, core.ErrConflict)
		}
		// A reply to a question brings the case back to where it was.
		if c.Status == WaitingForCitizen {
			expect := c.Version
			resume := c.ResumeStatus
			if resume == "" {
				resume = Triaged
			}
			s.applyStatus(&c, resume, now)
			back := Entry{ID: core.NewID(), CaseID: c.ID, Kind: EntryStatus, StatusFrom: WaitingForCitizen, StatusTo: resume,
				VisibleToCitizen: true, Actor: actorOf(ctx), CreatedAt: now.Add(time.Microsecond)}
			// The event tells where the case is now, not where it waited.
			ev := s.caseEvent("case.message_from_citizen", c, &e)
			return e, s.repo.UpdateCase(ctx, c, expect, []Entry{e, back}, &ev)
		}
		ev := s.caseEvent("case.message_from_citizen", c, &e)
		return e, s.repo.AddEntry(ctx, e, &ev)
	}
	if _, err := core.AuthorizeAgency(ctx, c.AgencyID, core.ScopeCasesWrite); err != nil {
		return Entry{}, err
	}
	if req.Internal {
		e.Kind, e.VisibleToCitizen = EntryNote, false
		return e, s.repo.AddEntry(ctx, e, nil)
	}
	expect := c.Version
	markFirstContact(&c, now)
	c.Version++
	c.UpdatedAt = now
	ev := s.caseEvent("case.message_to_citizen", c, &e)
	return e, s.repo.UpdateCase(ctx, c, expect, []Entry{e}, &ev)
}

func (s *service) Withdraw(ctx context.Context, id, reason string) (Case, error) {
	c, p, err := s.loadCase(ctx, id, core.ScopeCasesRead)
	if err != nil {
		return Case{}, err
	}
	if p.Kind != core.KindCitizen {
		return Case{}, fmt.Errorf("only the citizen withdraws a case: %w", core.ErrForbidden)
	}
	if !c.Status.Open() {
		return Case{}, fmt.Errorf("a %s case cannot be withdrawn: %w", c.Status, core.ErrConflict)
	}
	if utf8.RuneCountInString(reason) > 2000 {
		return Case{}, core.Invalid("reason", "must be at most 2000 characters")
	}
	now := s.clock.Now()
	expect := c.Version
	from := c.Status
	s.applyStatus(&c, Withdrawn, now)
	e := Entry{ID: core.NewID(), CaseID: c.ID, Kind: EntryStatus, StatusFrom: from, StatusTo: Withdrawn,
		Body: strings.TrimSpace(reason), VisibleToCitizen: true, Actor: actorOf(ctx), CreatedAt: now}
	ev := s.caseEvent("case.withdrawn", c, &e)
	if err := s.repo.UpdateCase(ctx, c, expect, []Entry{e}, &ev); err != nil {
		return Case{}, err
	}
	return s.answer(c), nil
}

// CaseEvent is the payload of intake's events: what notify and webhooks read.
type CaseEvent struct {
	Case struct {
		ID         string `json:"id"`
		AgencyID   string `json:"agency_id"`
		Reference  string `json:"reference"`
		CitizenID  string `json:"citizen_id"`
		Status     string `json:"status"`
		Subject    string `json:"subject"`
		Language   string `json:"language"`
		AssigneeID string `json:"assignee_id,omitempty"`
	} `json:"case"`
	Entry *struct {
		Kind             string `json:"kind"`
		StatusFrom       string `json:"status_from,omitempty"`
		StatusTo         string `json:"status_to,omitempty"`
		Body             string `json:"body,omitempty"`
		VisibleToCitizen bool   `json:"visible_to_citizen"`
		Actor            string `json:"actor"`
	} `json:"entry,omitempty"`
}

func (s *service) caseEvent(typ string, c Case, e *Entry) Event {
	return NewCaseEvent(typ, c, e, s.clock.Now())
}

// NewCaseEvent builds the outbox event of a change to c at a time, with the
// timeline entry that records it. The body of an internal entry stays out.
func NewCaseEvent(typ string, c Case, e *Entry, at time.Time) Event {
	var p CaseEvent
	p.Case.ID, p.Case.AgencyID, p.Case.Reference, p.Case.CitizenID = c.ID, c.AgencyID, c.Reference, c.CitizenID
	p.Case.Status, p.Case.Subject, p.Case.Language, p.Case.AssigneeID = string(c.Status), c.Subject, c.Language, c.AssigneeID
	if e != nil {
		p.Entry = &struct {
			Kind             string `json:"kind"`
			StatusFrom       string `json:"status_from,omitempty"`
			StatusTo         string `json:"status_to,omitempty"`
			Body             string `json:"body,omitempty"`
			VisibleToCitizen bool   `json:"visible_to_citizen"`
			Actor            string `json:"actor"`
		}{e.Kind, string(e.StatusFrom), string(e.StatusTo), "", e.VisibleToCitizen, e.Actor}
		if e.VisibleToCitizen {
			p.Entry.Body = e.Body // internal notes never leave the service
		}
	}
	b, _ := json.Marshal(p)
	return Event{ID: core.NewID(), Type: typ, AggregateID: c.ID, AgencyID: c.AgencyID, Payload: b, OccurredAt: at}
}
