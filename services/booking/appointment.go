package booking

import (
	"fmt"
	"slices"
	"time"

	"github.com/tidbok/tidbok/core"
)

// Status is where an appointment is in its life. The names are FHIR R4's
// Appointment.status where the meaning is the same.
type Status string

const (
	Booked    Status = "booked"
	Arrived   Status = "arrived"
	Fulfilled Status = "fulfilled"
	Cancelled Status = "cancelled"
	NoShow    Status = "noshow"
)

// transitions lists the legal moves. Phone and video meetings have no
// arrival, so booked may go straight to fulfilled.
var transitions = map[Status][]Status{
	Booked:  {Arrived, Fulfilled, Cancelled, NoShow},
	Arrived: {Fulfilled},
}

// ErrTooManyActive is the conflict of a booking beyond the meeting type's
// maximum of active bookings per citizen. The store checks it inside the
// booking's transaction, where concurrent bookings of one citizen take
// turns, so a double click cannot pass it.
var ErrTooManyActive = fmt.Errorf("cancel or attend one first: %w", core.ErrConflict)

// ErrTooManyHolds is the conflict of a hold beyond what one citizen may
// keep at once: without a limit, one person could hold every free time.
var ErrTooManyHolds = fmt.Errorf("book one of them or let it expire first: %w", core.ErrConflict)

// Active reports whether the appointment still holds its time.
func (s Status) Active() bool { return s == Booked || s == Arrived }

// PhoneDirection says who calls whom in a phone meeting.
type PhoneDirection string

const (
	AgencyCalls  PhoneDirection = "agency_calls"
	CitizenCalls PhoneDirection = "citizen_calls"
)

// Accessibility is a need the citizen has told about.
type Accessibility string

const (
	Wheelchair   Accessibility = "wheelchair"
	HearingLoop  Accessibility = "hearing_loop"
	SignLanguage Accessibility = "sign_language"
	OtherNeed    Accessibility = "other"
)

// Accessibilities lists every accessibility need Tidbok records.
var Accessibilities = []Accessibility{Wheelchair, HearingLoop, SignLanguage, OtherNeed}

// Appointment is a booked meeting between a citizen and a staff member.
type Appointment struct {
	ID                  string
	AgencyID            string
	MeetingTypeID       string
	StaffID             string
	CitizenID           string
	CaseID              string
	Mode                Mode
	OfficeID            string  // in person
	Office              *Office // in person: the office with its address, as the service shows it
	Room                string  // in person
	PhoneNumber         string  // phone: the citizen's number
	PhoneDirection      PhoneDirection
	VideoURL            string // video
	Status              Status
	Start, End          time.Time
	BufferBefore        time.Duration // copied from the meeting type when booked
	BufferAfter         time.Duration
	Notes               string
	InterpreterLanguage string
	Accessibility       []Accessibility
	AccessibilityOther  string
	CancelReason        string
	BookedBy            string // kind:id of who booked
	// Sequence is the iCalendar SEQUENCE: raised on every change of time,
	// place or status, so calendars replace the event they already have.
	Sequence int
	// Version is raised on every change, for ETag and If-Match.
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ETag is the appointment's current entity tag.
func (a Appointment) ETag() string { return fmt.Sprintf(`"%d"`, a.Version) }

// Blocked is the staff member's time the appointment takes, buffers included.
func (a Appointment) Blocked() (time.Time, time.Time) {
	return a.Start.Add(-a.BufferBefore), a.End.Add(a.BufferAfter)
}

// moveTo changes the status, refusing what the life cycle does not allow.
func (a *Appointment) moveTo(to Status, now time.Time) error {
	if !slices.Contains(transitions[a.Status], to) {
		return fmt.Errorf("an appointment that is %s cannot become %s: %w", a.Status, to, core.ErrConflict)
	}
	a.Status = to
	a.Sequence++
	a.Version++
	a.UpdatedAt = now
	return nil
}

// Block is a stretch of a staff member's time taken by an appointment or a hold.
type Block struct {
	ID         string
	StaffID    string
	Kind       string // appointment or hold
	Start, End time.Time
	From, To   time.Time // with buffers
	ExpiresAt  *time.Time
}

// Hold reserves a slot for a short while as a citizen fills in the details.
type Hold struct {
	ID            string
	AgencyID      string
	MeetingTypeID string
	Mode          Mode
	OfficeID      string
	StaffID       string
	Start, End    time.Time
	ExpiresAt     time.Time
	Holder        string // kind:id of who holds it, or anonymous
	CreatedAt     time.Time
}

// Event is one entry of booking's outbox.
type Event struct {
	Seq         int64
	ID          string
	Type        string
	AggregateID string
	AgencyID    string
	Payload     []byte // JSON
	OccurredAt  time.Time
}

// Event types booking publishes.
const (
	EventAppointmentBooked      = "appointment.booked"
	EventAppointmentRescheduled = "appointment.rescheduled"
	EventAppointmentCancelled   = "appointment.cancelled"
	EventAppointmentArrived     = "appointment.arrived"
	EventAppointmentFulfilled   = "appointment.fulfilled"
	EventAppointmentNoShow      = "appointment.noshow"
	EventCallbackRequested      = "callback.requested"
	EventCallbackClaimed        = "callback.claimed"
	EventCallbackCompleted      = "callback.completed"
	EventCallbackNoAnswer       = "callback.no_answer"
	EventCallbackUnreachable    = "callback.unreachable"
	EventCallbackWithdrawn      = "callback.withdrawn"
)
