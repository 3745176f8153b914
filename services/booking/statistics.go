package booking

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// Statistics is what an agency's administrators read of how its meetings
// went: counts by meeting type, mode and office, never a person.
type Statistics interface {
	AppointmentStatistics(ctx context.Context, req StatisticsRequest) (AppointmentStatistics, error)
}

// StatisticsRepository counts meetings for the statistics.
type StatisticsRepository interface {
	// AppointmentOutcomes counts, by meeting type, mode, office and outcome,
	// the agency's appointments that start in [from, to) and its call-backs
	// that ended in [from, to): completed ones by completion time,
	// unreachable ones by the time of the last unanswered call. A booked
	// appointment is upcoming when it starts at or after now.
	AppointmentOutcomes(ctx context.Context, agencyID string, from, to, now time.Time) ([]OutcomeCount, error)
}

// Outcome is how a counted meeting turned out, as the repository reports it.
type Outcome string

const (
	// OutcomeUpcoming is a booked meeting still ahead.
	OutcomeUpcoming Outcome = "upcoming"
	// OutcomeUnrecorded is a meeting whose time has passed while it is still
	// booked (or the citizen arrived): nobody recorded how it went.
	OutcomeUnrecorded         Outcome = "unrecorded"
	OutcomeFulfilled          Outcome = "fulfilled"
	OutcomeNoShow             Outcome = "noshow"
	OutcomeCancelledByCitizen Outcome = "cancelled_by_citizen"
	OutcomeCancelledByStaff   Outcome = "cancelled_by_staff"
	// OutcomeCancelledByOther is a cancellation by an integration client, or
	// one whose canceller is not recorded.
	OutcomeCancelledByOther    Outcome = "cancelled_by_other"
	OutcomeCallbackCompleted   Outcome = "callback_completed"
	OutcomeCallbackUnreachable Outcome = "callback_unreachable"
)

// OutcomeCount is the number of meetings of one meeting type, mode and
// office with one outcome.
type OutcomeCount struct {
	MeetingTypeID string // "" for call-backs asked without a meeting type
	Mode          Mode
	OfficeID      string // meetings in person only
	Outcome       Outcome
	Count         int
}

// Dimension is what statistics can be grouped by.
type Dimension string

const (
	ByMeetingType Dimension = "meeting_type"
	ByMode        Dimension = "mode"
	ByOffice      Dimension = "office"
)

// Dimensions lists every dimension, in the order groups are keyed.
var Dimensions = []Dimension{ByMeetingType, ByMode, ByOffice}

// DefaultGroupBy is the grouping when none is asked for.
var DefaultGroupBy = []Dimension{ByMeetingType, ByMode}

// MaxStatisticsDays is the longest range statistics cover: a leap year.
const MaxStatisticsDays = 366

// StatisticsRequest asks for an agency's statistics over local dates.
type StatisticsRequest struct {
	AgencyID string
	// From and To are the first and last day, inclusive, in the agency's
	// time zone.
	From, To availability.Date
	GroupBy  []Dimension // empty: DefaultGroupBy
}

// OutcomeCounts are the meetings of one group by outcome. Completed
// call-backs count as fulfilled phone meetings (FulfilledByCallback says how
// many of Fulfilled they are); call-backs that could not be answered after
// every try are Unreachable.
type OutcomeCounts struct {
	Upcoming            int
	Unrecorded          int
	Fulfilled           int
	FulfilledByCallback int
	Cancelled           int
	CancelledByCitizen  int
	CancelledByStaff    int
	CancelledByOther    int
	NoShow              int
	Unreachable         int
}

func (c *OutcomeCounts) add(o Outcome, n int) {
	switch o {
	case OutcomeUpcoming:
		c.Upcoming += n
	case OutcomeUnrecorded:
		c.Unrecorded += n
	case OutcomeFulfilled:
		c.Fulfilled += n
	case OutcomeNoShow:
		c.NoShow += n
	case OutcomeCancelledByCitizen:
		c.Cancelled += n
		c.CancelledByCitizen += n
	case OutcomeCancelledByStaff:
		c.Cancelled += n
		c.CancelledByStaff += n
	case OutcomeCancelledByOther:
		c.Cancelled += n
		c.CancelledByOther += n
	case OutcomeCallbackCompleted:
		c.Fulfilled += n
		c.FulfilledByCallback += n
	case OutcomeCallbackUnreachable:
		c.Unreachable += n
	}
}

func (c *OutcomeCounts) plus(o OutcomeCounts) {
	c.Upcoming += o.Upcoming
	c.Unrecorded += o.Unrecorded
	c.Fulfilled += o.Fulfilled
	c.FulfilledByCallback += o.FulfilledByCallback
	c.Cancelled += o.Cancelled
	c.CancelledByCitizen += o.CancelledByCitizen
	c.CancelledByStaff += o.CancelledByStaff
	c.CancelledByOther += o.CancelledByOther
	c.NoShow += o.NoShow
	c.Unreachable += o.Unreachable
}

// Total is every meeting counted: appointments and ended call-backs.
func (c OutcomeCounts) Total() int {
	return c.Upcoming + c.Unrecorded + c.Fulfilled + c.Cancelled + c.NoShow + c.Unreachable
}

// Appointments is the booked appointments among them, call-backs left out.
func (c OutcomeCounts) Appointments() int {
	return c.Total() - c.FulfilledByCallback - c.Unreachable
}

func rate(n, of int) (float64, bool) {
	if of == 0 {
		return 0, false
	}
	return float64(n) / float64(of), true
}

// NoShowRate is the share of appointments that took place or were missed
// which the citizen missed. Call-backs are left out: a call that is not
// answered is tried again, and ends as unreachable, not as a no-show.
func (c OutcomeCounts) NoShowRate() (float64, bool) {
	return rate(c.NoShow, c.Fulfilled-c.FulfilledByCallback+c.NoShow)
}

// CancellationRate is the share of booked appointments that were cancelled.
func (c OutcomeCounts) CancellationRate() (float64, bool) {
	return rate(c.Cancelled, c.Appointments())
}

// UnreachableRate is the share of ended call-backs whose citizen was never reached.
func (c OutcomeCounts) UnreachableRate() (float64, bool) {
	return rate(c.Unreachable, c.FulfilledByCallback+c.Unreachable)
}

// AppointmentGroup is the counts of one group. Only the dimensions grouped
// by are set; a call-back without a meeting type has none even then.
type AppointmentGroup struct {
	MeetingTypeID   string
	MeetingTypeName Text
	Mode            Mode
	OfficeID        string
	OfficeName      string
	Counts          OutcomeCounts
}

// AppointmentStatistics is an agency's meetings over a range of days.
type AppointmentStatistics struct {
	AgencyID    string
	From, To    availability.Date
	TimeZone    string
	GroupBy     []Dimension
	Groups      []AppointmentGroup
	Totals      OutcomeCounts
	GeneratedAt time.Time
}

// validateStatistics checks the request and returns the grouping to use.
func validateStatistics(req StatisticsRequest) ([]Dimension, error) {
	var v core.Validator
	switch {
	case req.AgencyID == "":
		v.Add("agency_id", "is required")
	case !core.ValidID(req.AgencyID):
		v.Add("agency_id", "must be a UUID")
	}
	v.Check(req.From.Valid(), "from", "is required: the first day, such as 2026-01-01")
	v.Check(req.To.Valid(), "to", "is required: the last day, such as 2026-12-31")
	if req.From.Valid() && req.To.Valid() {
		v.Check(!req.To.Before(req.From), "to", "must not be before from")
		v.Check(req.To.Before(req.From.AddDays(MaxStatisticsDays)), "to", fmt.Sprintf("the range may span at most %d days", MaxStatisticsDays))
	}
	groupBy := req.GroupBy
	if len(groupBy) == 0 {
		groupBy = DefaultGroupBy
	}
	core.CheckChoices(&v, "group_by", groupBy, Dimensions)
	return groupBy, v.Err()
}

func (s *service) AppointmentStatistics(ctx context.Context, req StatisticsRequest) (AppointmentStatistics, error) {
	p, err := core.Caller(ctx)
	if err != nil {
		return AppointmentStatistics{}, err
	}
	if req.AgencyID == "" {
		req.AgencyID = p.AgencyID // staff and clients mean their own
	}
	groupBy, err := validateStatistics(req)
	if err != nil {
		return AppointmentStatistics{}, err
	}
	if _, err := core.AuthorizeStatistics(ctx, req.AgencyID); err != nil {
		return AppointmentStatistics{}, err
	}
	agency, err := s.GetAgency(ctx, req.AgencyID)
	if err != nil {
		return AppointmentStatistics{}, err
	}
	loc := agency.Location()
	now := s.clock.Now()
	counts, err := s.repo.AppointmentOutcomes(ctx, agency.ID, req.From.Start(loc).UTC(), req.To.AddDays(1).Start(loc).UTC(), now)
	if err != nil {
		return AppointmentStatistics{}, fmt.Errorf("statistics of agency %s: %w", agency.ID, err)
	}
	out := AppointmentStatistics{AgencyID: agency.ID, From: req.From, To: req.To, TimeZone: loc.String(),
		GroupBy: groupBy, Groups: []AppointmentGroup{}, GeneratedAt: now.In(loc)}
	type key struct{ meetingType, mode, office string }
	groups := map[key]*AppointmentGroup{}
	for _, c := range counts {
		var k key
		if slices.Contains(groupBy, ByMeetingType) {
			k.meetingType = c.MeetingTypeID
		}
		if slices.Contains(groupBy, ByMode) {
			k.mode = string(c.Mode)
		}
		if slices.Contains(groupBy, ByOffice) {
			k.office = c.OfficeID
		}
		g, ok := groups[k]
		if !ok {
			g = &AppointmentGroup{MeetingTypeID: k.meetingType, Mode: Mode(k.mode), OfficeID: k.office}
			groups[k] = g
		}
		g.Counts.add(c.Outcome, c.Count)
	}
	for _, g := range groups {
		// Names as they are now; a retired meeting type or office still has one.
		if g.MeetingTypeID != "" {
			if mt, err := s.repo.MeetingType(ctx, g.MeetingTypeID); err == nil {
				g.MeetingTypeName = mt.Name
			}
		}
		if g.OfficeID != "" {
			if o, err := s.repo.Office(ctx, g.OfficeID); err == nil {
				g.OfficeName = o.Name
			}
		}
		out.Totals.plus(g.Counts)
		out.Groups = append(out.Groups, *g)
	}
	slices.SortFunc(out.Groups, compareGroups)
	return out, nil
}

// compareGroups orders groups by meeting type name (those without a meeting
// type last), then mode as Modes lists them, then office name.
func compareGroups(a, b AppointmentGroup) int {
	if (a.MeetingTypeID == "") != (b.MeetingTypeID == "") {
		if a.MeetingTypeID == "" {
			return 1
		}
		return -1
	}
	return cmp.Or(
		cmp.Compare(a.MeetingTypeName.SV, b.MeetingTypeName.SV),
		cmp.Compare(a.MeetingTypeID, b.MeetingTypeID),
		cmp.Compare(slices.Index(Modes, a.Mode), slices.Index(Modes, b.Mode)),
		cmp.Compare(a.OfficeName, b.OfficeName),
		cmp.Compare(a.OfficeID, b.OfficeID),
	)
}

func (s *loggingService) AppointmentStatistics(ctx context.Context, req StatisticsRequest) (r0 AppointmentStatistics, err error) {
	defer func(begin time.Time) { s.log("AppointmentStatistics", begin, err) }(time.Now())
	return s.next.AppointmentStatistics(ctx, req)
}

func (s *instrumentingService) AppointmentStatistics(ctx context.Context, req StatisticsRequest) (r0 AppointmentStatistics, err error) {
	defer func(begin time.Time) { s.observe("AppointmentStatistics", begin, err) }(time.Now())
	return s.next.AppointmentStatistics(ctx, req)
}
