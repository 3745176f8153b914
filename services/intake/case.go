// Package intake is the intake service's domain: case categories, cases
// (ärenden) from citizens, staff and agency systems, their status history
// and timeline, and the link to the meetings booked for them. It knows
// nothing of HTTP or SQL.
package intake

import (
	"fmt"
	"slices"
	"time"

	"github.com/tidbok/tidbok/core"
)

// Status is where a case is.
type Status string

const (
	Submitted         Status = "submitted"
	Triaged           Status = "triaged"
	Assigned          Status = "assigned"
	Scheduled         Status = "scheduled"
	InProgress        Status = "in_progress"
	WaitingForCitizen Status = "waiting_for_citizen"
	Resolved          Status = "resolved"
	Closed            Status = "closed"
	Withdrawn         Status = "withdrawn"
)

// Statuses lists every status in the order of a case's life.
var Statuses = []Status{Submitted, Triaged, Assigned, Scheduled, InProgress, WaitingForCitizen, Resolved, Closed, Withdrawn}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Open reports whether the case is still being handled.
func (s Status) Open() bool { return s != Resolved && s != Closed && s != Withdrawn }

// staffMoves lists the transitions staff may make. Waiting for the citizen
// returns to where the case was (resume_status, see Case.CanMoveTo), or on.
var staffMoves = map[Status][]Status{
	Submitted:         {Triaged, Assigned, WaitingForCitizen, Resolved},
	Triaged:           {Assigned, WaitingForCitizen, Resolved},
	Assigned:          {Scheduled, InProgress, WaitingForCitizen, Resolved},
	Scheduled:         {Assigned, InProgress, WaitingForCitizen, Resolved},
	InProgress:        {Scheduled, WaitingForCitizen, Resolved},
	WaitingForCitizen: {Triaged, Assigned, Scheduled, InProgress, Resolved},
	Resolved:          {Closed, InProgress},
}

// CanMove reports whether staff may move a case from one status to another.
func CanMove(from, to Status) bool { return slices.Contains(staffMoves[from], to) }

// CanMoveTo reports whether staff may move c to status to: a move of the
// table, or a case waiting for the citizen going back to where it was,
// even when that is submitted.
func (c Case) CanMoveTo(to Status) bool {
	if c.Status == WaitingForCitizen && c.ResumeStatus != "" && to == c.ResumeStatus {
		return true
	}
	return CanMove(c.Status, to)
}

// followsMeeting is the status a booking event moves an open case to, and
// whether it moves it at all: the meeting is a fact, so any open case
// follows it, whatever staff could do by hand. Closed, resolved and
// withdrawn cases only note it.
func (c Case) followsMeeting(to Status) bool {
	return to != "" && c.Status.Open() && c.Status != to
}

// Priority orders the queue within a deadline.
type Priority string

const (
	Low    Priority = "low"
	Normal Priority = "normal"
	High   Priority = "high"
	Urgent Priority = "urgent"
)

// Valid reports whether p is a known priority.
func (p Priority) Valid() bool { return p == Low || p == Normal || p == High || p == Urgent }

// Category is a kind of matter an agency handles, with its targets.
type Category struct {
	ID               string
	AgencyID         string
	NameSV, NameEN   string
	DescriptionSV    string
	DescriptionEN    string
	MeetingTypeIDs   []string // the meeting types a case of this kind is booked as
	FirstContactDays int      // target days from submission to first contact
	ResolutionDays   int      // target days from submission to resolution
	RequiresPIN      bool     // a personal identity number must be known
	IsComplaint      bool     // complaints stay visible to the agency's admins
	RetiredAt        *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Validate checks every field.
func (c Category) Validate() error {
	var v core.Validator
	v.Check(core.ValidID(c.ID), "id", "must be a UUID")
	v.Check(core.ValidID(c.AgencyID), "agency_id", "must be a UUID")
	v.Check(c.NameSV != "" && len(c.NameSV) <= 200, "name.sv", "is required, at most 200 characters")
	v.Check(c.NameEN != "" && len(c.NameEN) <= 200, "name.en", "is required, at most 200 characters")
	v.Check(len(c.DescriptionSV) <= 4000, "description.sv", "must be at most 4000 characters")
	v.Check(len(c.DescriptionEN) <= 4000, "description.en", "must be at most 4000 characters")
	for i, id := range c.MeetingTypeIDs {
		v.Check(core.ValidID(id), fmt.Sprintf("meeting_type_ids[%d]", i), "must be a UUID")
	}
	v.Check(c.FirstContactDays >= 0 && c.FirstContactDays <= 365, "first_contact_days", "must be between 0 and 365")
	v.Check(c.ResolutionDays >= 1 && c.ResolutionDays <= 3650, "resolution_days", "must be between 1 and 3650")
	v.Check(c.ResolutionDays >= c.FirstContactDays, "resolution_days", "must not be shorter than first_contact_days")
	return v.Err()
}

// Case is a citizen's matter at an agency.
type Case struct {
	ID                  string
	AgencyID            string
	Reference           string // e.g. EXB-2026-000123
	CategoryID          string
	Subject             string
	Description         string
	CitizenID           string
	PreferredModes      []string
	PreferredTimes      string
	ContactPreference   string // email, sms, phone
	Language            string
	InterpreterLanguage string
	Priority            Priority
	AssigneeID          string
	Status              Status
	ResumeStatus        Status // where waiting_for_citizen returns to
	FirstContactAt      *time.Time
	ResolvedAt          *time.Time
	ClosedAt            *time.Time
	FirstContactDue     time.Time
	ResolutionDue       time.Time
	IsComplaint         bool
	CreatedBy           string
	Version             int
	CreatedAt           time.Time
	UpdatedAt           time.Time
	// IsOverdue is Overdue at the time the service answered; not stored.
	IsOverdue bool
}

// ETag is the case's entity tag.
func (c Case) ETag() string { return fmt.Sprintf(`"%d"`, c.Version) }

// Overdue reports whether a target has passed unmet at now.
func (c Case) Overdue(now time.Time) bool {
	if !c.Status.Open() {
		return false
	}
	return now.After(c.ResolutionDue) || (c.FirstContactAt == nil && now.After(c.FirstContactDue))
}

// TimeToFirstContact is how long the citizen waited for the agency, once known.
func (c Case) TimeToFirstContact() (time.Duration, bool) {
	if c.FirstContactAt == nil {
		return 0, false
	}
	return c.FirstContactAt.Sub(c.CreatedAt), true
}

// TimeToResolution is how long the case took, once resolved.
func (c Case) TimeToResolution() (time.Duration, bool) {
	if c.ResolvedAt == nil {
		return 0, false
	}
	return c.ResolvedAt.Sub(c.CreatedAt), true
}

// Entry is one line of a case's timeline.
type Entry struct {
	ID               string
	CaseID           string
	Kind             string // status, assignment, message, note, appointment, priority
	StatusFrom       Status
	StatusTo         Status
	Body             string
	VisibleToCitizen bool
	Actor            string // kind:id, or system
	Ref              string // e.g. the appointment id
	CreatedAt        time.Time
}

// Entry kinds.
const (
	EntryStatus      = "status"
	EntryAssignment  = "assignment"
	EntryMessage     = "message"
	EntryNote        = "note"
	EntryAppointment = "appointment"
	EntryPriority    = "priority"
)

// Event is one entry of intake's outbox.
type Event struct {
	Seq         int64
	ID          string
	Type        string
	AggregateID string
	AgencyID    string
	Payload     []byte
	OccurredAt  time.Time
}
