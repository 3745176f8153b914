package intake

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/tidbok/tidbok/core"
)

// Statistics of an agency's cases for its administrators: how many came in
// per category and channel, what became of them and how long the citizens
// waited. Counts and durations only, never a person or a case's text.

// MaxStatisticsDays is the longest range statistics cover: a leap year.
const MaxStatisticsDays = 366

// CaseStatisticsRequest asks for the statistics of the cases submitted on
// the days From to To, inclusive, in the agency's time zone. Only the dates
// of From and To count, not their time or location.
type CaseStatisticsRequest struct {
	AgencyID string
	From, To time.Time
	GroupBy  []Dimension // empty: DefaultGroupBy
}

// Dimension is what case statistics can be grouped by.
type Dimension string

const (
	ByCategory Dimension = "category"
	ByMode     Dimension = "mode"
)

// Dimensions lists every dimension.
var Dimensions = []Dimension{ByCategory, ByMode}

// DefaultGroupBy is the grouping when none is asked for.
var DefaultGroupBy = []Dimension{ByCategory, ByMode}

// CaseTiming is a case as statistics read it: its category, channel, status
// and timestamps.
type CaseTiming struct {
	CategoryID      string
	Mode            string // the citizen's first preferred mode; "" for none
	Status          Status
	CreatedAt       time.Time
	FirstContactAt  *time.Time
	ResolvedAt      *time.Time
	FirstContactDue time.Time
	ResolutionDue   time.Time
}

// StatisticsRepository reads cases for the statistics.
type StatisticsRepository interface {
	// CaseTimings returns the agency's cases submitted in [from, to).
	CaseTimings(ctx context.Context, agencyID string, from, to time.Time) ([]CaseTiming, error)
}

// Durations summarises how long something took: how many cases, and the
// median and 90th percentile, interpolated between the nearest ranks as
// PostgreSQL's percentile_cont does.
type Durations struct {
	Count       int
	Median, P90 time.Duration
}

// Deadline counts the cases whose target is decided: met in time, or missed
// (late, or still not done after the deadline). Cases whose deadline is still
// ahead, and withdrawn or closed ones that never reached the step, are in
// neither.
type Deadline struct {
	Met, Missed int
}

// Share is the part met, when anything is decided.
func (d Deadline) Share() (float64, bool) {
	if d.Met+d.Missed == 0 {
		return 0, false
	}
	return float64(d.Met) / float64(d.Met+d.Missed), true
}

// CaseCounts are the cases of one group.
type CaseCounts struct {
	Submitted            int
	Resolved             int // resolved or closed by now
	Open                 int
	Withdrawn            int
	FirstContact         Durations
	Resolution           Durations
	FirstContactDeadline Deadline
	ResolutionDeadline   Deadline
}

// CaseGroup is the cases of one category and preferred channel; only the
// dimensions grouped by are set.
type CaseGroup struct {
	CategoryID     string
	NameSV, NameEN string
	Mode           string // "" when the citizen named no preferred mode
	Counts         CaseCounts
}

// CaseStatistics is an agency's cases over a range of days.
type CaseStatistics struct {
	AgencyID    string
	From, To    time.Time // dates
	TimeZone    string
	GroupBy     []Dimension
	Groups      []CaseGroup
	Totals      CaseCounts
	GeneratedAt time.Time
}

// Statistics is what an agency's administrators read of its cases.
type Statistics interface {
	CaseStatistics(ctx context.Context, req CaseStatisticsRequest) (CaseStatistics, error)
}

func dateOnly(t time.Time) (int, time.Month, int) { return t.Date() }

func validateCaseStatistics(req CaseStatisticsRequest) ([]Dimension, error) {
	var v core.Validator
	switch {
	case req.AgencyID == "":
		v.Add("agency_id", "is required")
	case !core.ValidID(req.AgencyID):
		v.Add("agency_id", "must be a UUID")
	}
	v.Check(!req.From.IsZero(), "from", "is required: the first day, such as 2026-01-01")
	v.Check(!req.To.IsZero(), "to", "is required: the last day, such as 2026-12-31")
	if !req.From.IsZero() && !req.To.IsZero() {
		fy, fm, fd := dateOnly(req.From)
		ty, tm, td := dateOnly(req.To)
		from, to := time.Date(fy, fm, fd, 0, 0, 0, 0, time.UTC), time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC)
		v.Check(!to.Before(from), "to", "must not be before from")
		v.Check(to.Before(from.AddDate(0, 0, MaxStatisticsDays)), "to", fmt.Sprintf("the range may span at most %d days", MaxStatisticsDays))
	}
	groupBy := req.GroupBy
	if len(groupBy) == 0 {
		groupBy = DefaultGroupBy
	}
	core.CheckChoices(&v, "group_by", groupBy, Dimensions)
	return groupBy, v.Err()
}

func (s *service) CaseStatistics(ctx context.Context, req CaseStatisticsRequest) (CaseStatistics, error) {
	p, err := core.Caller(ctx)
	if err != nil {
		return CaseStatistics{}, err
	}
	if req.AgencyID == "" {
		req.AgencyID = p.AgencyID // staff and clients mean their own
	}
	groupBy, err := validateCaseStatistics(req)
	if err != nil {
		return CaseStatistics{}, err
	}
	if _, err := core.AuthorizeStatistics(ctx, req.AgencyID); err != nil {
		return CaseStatistics{}, err
	}
	agency, err := s.agencies.Agency(ctx, req.AgencyID)
	if err != nil {
		return CaseStatistics{}, err
	}
	loc := s.location(agency.TimeZone)
	fy, fm, fd := dateOnly(req.From)
	ty, tm, td := dateOnly(req.To)
	from, to := time.Date(fy, fm, fd, 0, 0, 0, 0, loc), time.Date(ty, tm, td+1, 0, 0, 0, 0, loc)
	// One agency's cases of at most a year are read whole (no text, eight
	// columns each) and summarised here: exact percentiles the same way on
	// both engines.
	cases, err := s.repo.CaseTimings(ctx, agency.ID, from.UTC(), to.UTC())
	if err != nil {
		return CaseStatistics{}, fmt.Errorf("case statistics of agency %s: %w", agency.ID, err)
	}
	now := s.clock.Now()
	type key struct{ category, mode string }
	type acc struct {
		counts              CaseCounts
		contact, resolution []time.Duration
	}
	groups := map[key]*acc{}
	var all acc
	for _, c := range cases {
		var k key
		if slices.Contains(groupBy, ByCategory) {
			k.category = c.CategoryID
		}
		if slices.Contains(groupBy, ByMode) {
			k.mode = c.Mode
		}
		g, ok := groups[k]
		if !ok {
			g = &acc{}
			groups[k] = g
		}
		for _, a := range []*acc{g, &all} {
			a.counts.tally(c, now)
			if c.FirstContactAt != nil {
				a.contact = append(a.contact, c.FirstContactAt.Sub(c.CreatedAt))
			}
			if c.resolved() {
				a.resolution = append(a.resolution, c.ResolvedAt.Sub(c.CreatedAt))
			}
		}
	}
	out := CaseStatistics{AgencyID: agency.ID, From: time.Date(fy, fm, fd, 0, 0, 0, 0, time.UTC),
		To: time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC), TimeZone: loc.String(), GroupBy: groupBy, Groups: []CaseGroup{}, GeneratedAt: now.In(loc)}
	names := map[string]Category{}
	for k, g := range groups {
		cat, ok := names[k.category]
		if !ok && k.category != "" {
			// Retired categories keep their names; a read error leaves the id alone.
			cat, _ = s.repo.Category(ctx, k.category)
			names[k.category] = cat
		}
		g.counts.FirstContact, g.counts.Resolution = summarise(g.contact), summarise(g.resolution)
		out.Groups = append(out.Groups, CaseGroup{CategoryID: k.category, NameSV: cat.NameSV, NameEN: cat.NameEN, Mode: k.mode, Counts: g.counts})
	}
	all.counts.FirstContact, all.counts.Resolution = summarise(all.contact), summarise(all.resolution)
	out.Totals = all.counts
	modeOrder := []string{"phone", "video", "in_person", ""}
	slices.SortFunc(out.Groups, func(a, b CaseGroup) int {
		return cmp.Or(cmp.Compare(a.NameSV, b.NameSV), cmp.Compare(a.CategoryID, b.CategoryID),
			cmp.Compare(slices.Index(modeOrder, a.Mode), slices.Index(modeOrder, b.Mode)))
	})
	return out, nil
}

// resolved reports whether the case is resolved or closed: a reopened case
// is not, whatever it was before.
func (c CaseTiming) resolved() bool {
	return c.ResolvedAt != nil && (c.Status == Resolved || c.Status == Closed)
}

// tally counts c as of now.
func (n *CaseCounts) tally(c CaseTiming, now time.Time) {
	n.Submitted++
	switch {
	case c.Status == Withdrawn:
		n.Withdrawn++
	case c.Status.Open():
		n.Open++
	case c.Status == Resolved || c.Status == Closed:
		n.Resolved++
	}
	switch {
	case c.FirstContactAt != nil && !c.FirstContactAt.After(c.FirstContactDue):
		n.FirstContactDeadline.Met++
	case c.FirstContactAt != nil || (c.Status.Open() && now.After(c.FirstContactDue)):
		n.FirstContactDeadline.Missed++
	}
	resolved := c.resolved()
	switch {
	case resolved && !c.ResolvedAt.After(c.ResolutionDue):
		n.ResolutionDeadline.Met++
	case resolved || (c.Status.Open() && now.After(c.ResolutionDue)):
		n.ResolutionDeadline.Missed++
	}
}

func summarise(ds []time.Duration) Durations {
	if len(ds) == 0 {
		return Durations{}
	}
	slices.Sort(ds)
	return Durations{Count: len(ds), Median: percentile(ds, 0.5), P90: percentile(ds, 0.9)}
}

// percentile of sorted ds by linear interpolation between the closest
// ranks (PostgreSQL's percentile_cont, Excel's PERCENTILE.INC).
func percentile(ds []time.Duration, p float64) time.Duration {
	rank := p * float64(len(ds)-1)
	lo, hi := int(math.Floor(rank)), int(math.Ceil(rank))
	return ds[lo] + time.Duration(float64(ds[hi]-ds[lo])*(rank-float64(lo)))
}

func (s *loggingService) CaseStatistics(ctx context.Context, req CaseStatisticsRequest) (r0 CaseStatistics, err error) {
	defer func(begin time.Time) { s.log("CaseStatistics", begin, err) }(time.Now())
	return s.next.CaseStatistics(ctx, req)
}

func (s *instrumentingService) CaseStatistics(ctx context.Context, req CaseStatisticsRequest) (r0 CaseStatistics, err error) {
	defer func(begin time.Time) { s.observe("CaseStatistics", begin, err) }(time.Now())
	return s.next.CaseStatistics(ctx, req)
}
