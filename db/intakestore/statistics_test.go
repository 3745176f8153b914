package intakestore_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/core/coretest"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/db/intakestore"
	"github.com/tidbok/tidbok/services/intake"
)

// knownAgencies is a directory of the given agencies, all in Stockholm.
type knownAgencies map[string]bool

func (k knownAgencies) Agency(_ context.Context, id string) (intake.AgencyInfo, error) {
	if !k[id] {
		return intake.AgencyInfo{}, fmt.Errorf("agency %s: %w", id, core.ErrNotFound)
	}
	return intake.AgencyInfo{ID: id, Name: "Statby kommun", TimeZone: "Europe/Stockholm"}, nil
}

func (knownAgencies) MeetingTypeIDs(context.Context, string) ([]string, error) { return nil, nil }

func hours(d time.Duration) float64 { return math.Round(d.Hours()*100) / 100 }

func TestCaseStatistics(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := intakestore.New(d)
		agency, other := core.NewID(), core.NewID()
		bygglov := newCategory(t, s, agency) // first contact in 2 days, resolution in 28
		klagomal := intake.Category{ID: core.NewID(), AgencyID: agency, NameSV: "Klagomål", NameEN: "Complaints",
			FirstContactDays: 1, ResolutionDays: 14, IsComplaint: true, CreatedAt: t0, UpdatedAt: t0}
		if err := s.SaveCategory(context.Background(), klagomal); err != nil {
			t.Fatal(err)
		}
		otherCat := newCategory(t, s, other)
		utc := func(v string) time.Time {
			tm, err := time.Parse(time.RFC3339, v)
			if err != nil {
				t.Fatal(err)
			}
			return tm
		}
		n := 0
		add := func(cat intake.Category, created string, modes []string, status intake.Status, contact, resolved time.Duration) {
			t.Helper()
			c := newCase(cat, utc(created), "Ärende")
			c.PreferredModes, c.Status = modes, status
			if contact > 0 {
				at := c.CreatedAt.Add(contact)
				c.FirstContactAt = &at
			}
			if resolved > 0 {
				at := c.CreatedAt.Add(resolved)
				c.ResolvedAt = &at
				if status == intake.Closed {
					c.ClosedAt = &at
				}
			}
			n++
			create(t, s, c, fmt.Sprintf("ST%c", 'A'+n))
		}
		h := time.Hour
		// 2–29 March 2026 in Stockholm is [2026-03-01T23:00Z, 2026-03-29T22:00Z).
		add(bygglov, "2026-03-01T23:00:00Z", []string{"phone"}, intake.Resolved, 4*h, 48*h)
		add(bygglov, "2026-03-03T08:00:00Z", []string{"phone", "video"}, intake.Closed, 72*h, 720*h)
		add(bygglov, "2026-03-04T08:00:00Z", []string{"phone"}, intake.InProgress, 10*h, 0)
		add(bygglov, "2026-03-05T08:00:00Z", []string{"video"}, intake.Withdrawn, 0, 0)
		add(bygglov, "2026-03-29T21:30:00Z", nil, intake.Submitted, 0, 0)
		add(klagomal, "2026-03-10T08:00:00Z", []string{"in_person"}, intake.Resolved, 20*h, 100*h)
		// Outside: the evening before, the night after, another agency.
		add(bygglov, "2026-03-01T22:30:00Z", []string{"phone"}, intake.Resolved, h, 2*h)
		add(bygglov, "2026-03-29T22:00:00Z", []string{"phone"}, intake.Submitted, 0, 0)
		add(otherCat, "2026-03-10T08:00:00Z", []string{"phone"}, intake.Submitted, 0, 0)

		clock := coretest.NewClock(utc("2026-04-20T12:00:00Z"))
		svc := intake.NewService(s, knownAgencies{agency: true, other: true}, nil, clock)
		admin := core.WithPrincipal(context.Background(), core.Principal{Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleAgencyAdmin, AgencyID: agency})
		date := func(v string) time.Time {
			tm, err := time.Parse(time.DateOnly, v)
			if err != nil {
				t.Fatal(err)
			}
			return tm
		}
		march := intake.CaseStatisticsRequest{AgencyID: agency, From: date("2026-03-02"), To: date("2026-03-29")}

		type row struct {
			name, mode                           string
			submitted, resolved, open, withdrawn int
			contact, resolution                  [3]float64 // count, median, p90 in hours
			contactDeadline, resolutionDeadline  intake.Deadline
		}
		summary := func(c intake.CaseCounts, name, mode string) row {
			return row{name, mode, c.Submitted, c.Resolved, c.Open, c.Withdrawn,
				[3]float64{float64(c.FirstContact.Count), hours(c.FirstContact.Median), hours(c.FirstContact.P90)},
				[3]float64{float64(c.Resolution.Count), hours(c.Resolution.Median), hours(c.Resolution.P90)},
				c.FirstContactDeadline, c.ResolutionDeadline}
		}

		t.Run("counts, percentiles and deadlines per category and channel are exact", func(t *testing.T) {
			st, err := svc.CaseStatistics(admin, march)
			if err != nil {
				t.Fatal(err)
			}
			var got []row
			for _, g := range st.Groups {
				got = append(got, summary(g.Counts, g.NameSV, g.Mode))
			}
			want := []row{
				// Contact after 4, 10 and 72 hours: median 10, p90 10 + 0.8 × 62.
				{"Bygglov", "phone", 3, 2, 1, 0, [3]float64{3, 10, 59.6}, [3]float64{2, 384, 652.8}, intake.Deadline{Met: 2, Missed: 1}, intake.Deadline{Met: 1, Missed: 2}},
				{"Bygglov", "video", 1, 0, 0, 1, [3]float64{}, [3]float64{}, intake.Deadline{}, intake.Deadline{}},
				// No contact three weeks on: missed; resolution due 26 April: undecided.
				{"Bygglov", "", 1, 0, 1, 0, [3]float64{}, [3]float64{}, intake.Deadline{Missed: 1}, intake.Deadline{}},
				{"Klagomål", "in_person", 1, 1, 0, 0, [3]float64{1, 20, 20}, [3]float64{1, 100, 100}, intake.Deadline{Met: 1}, intake.Deadline{Met: 1}},
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("groups\n got %v\nwant %v", got, want)
			}
			// The totals are computed from every case, not from the groups.
			wantTotals := row{"", "", 6, 3, 2, 1, [3]float64{4, 15, 56.4}, [3]float64{3, 100, 596}, intake.Deadline{Met: 3, Missed: 2}, intake.Deadline{Met: 2, Missed: 2}}
			if got := summary(st.Totals, "", ""); fmt.Sprint(got) != fmt.Sprint(wantTotals) {
				t.Fatalf("totals\n got %v\nwant %v", got, wantTotals)
			}
			if share, ok := st.Totals.FirstContactDeadline.Share(); !ok || share != 0.6 {
				t.Fatalf("first contact share = %v, %v", share, ok)
			}
			if st.TimeZone != "Europe/Stockholm" || st.Groups[3].NameEN != "Complaints" {
				t.Fatalf("zone %s, names %+v", st.TimeZone, st.Groups[3])
			}
		})

		t.Run("grouped by mode alone, categories together", func(t *testing.T) {
			req := march
			req.GroupBy = []intake.Dimension{intake.ByMode}
			st, err := svc.CaseStatistics(admin, req)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, g := range st.Groups {
				got = append(got, fmt.Sprintf("%s%s:%d", g.CategoryID, g.Mode, g.Counts.Submitted))
			}
			if fmt.Sprint(got) != "[phone:3 video:1 in_person:1 :1]" {
				t.Fatalf("by mode = %v", got)
			}
		})

		t.Run("one local day at each end of the range", func(t *testing.T) {
			for _, tc := range []struct {
				day  string
				want int
			}{{"2026-03-01", 1}, {"2026-03-02", 1}, {"2026-03-29", 1}, {"2026-03-30", 1}, {"2026-03-31", 0}} {
				st, err := svc.CaseStatistics(admin, intake.CaseStatisticsRequest{AgencyID: agency, From: date(tc.day), To: date(tc.day)})
				if err != nil || st.Totals.Submitted != tc.want {
					t.Fatalf("%s: %d cases, %v; want %d", tc.day, st.Totals.Submitted, err, tc.want)
				}
			}
		})

		t.Run("an empty range has no groups and nothing to share", func(t *testing.T) {
			st, err := svc.CaseStatistics(admin, intake.CaseStatisticsRequest{AgencyID: agency, From: date("2025-01-01"), To: date("2025-12-31")})
			if err != nil || st.Groups == nil || len(st.Groups) != 0 || st.Totals != (intake.CaseCounts{}) {
				t.Fatalf("empty range = %+v, %v", st, err)
			}
			if _, ok := st.Totals.ResolutionDeadline.Share(); ok {
				t.Fatal("a share of nothing")
			}
		})

		t.Run("bad requests name their field and unknown agencies are not found", func(t *testing.T) {
			for _, tc := range []struct {
				name  string
				req   intake.CaseStatisticsRequest
				field string
			}{
				{"bad agency", intake.CaseStatisticsRequest{AgencyID: "x", From: date("2026-03-01"), To: date("2026-03-02")}, "agency_id"},
				{"no to", intake.CaseStatisticsRequest{AgencyID: agency, From: date("2026-03-01")}, "to"},
				{"to before from", intake.CaseStatisticsRequest{AgencyID: agency, From: date("2026-03-02"), To: date("2026-03-01")}, "to"},
				{"367 days", intake.CaseStatisticsRequest{AgencyID: agency, From: date("2026-01-01"), To: date("2027-01-02")}, "to"},
				{"unknown dimension", intake.CaseStatisticsRequest{AgencyID: agency, From: date("2026-03-01"), To: date("2026-03-02"), GroupBy: []intake.Dimension{"priority"}}, "group_by"},
			} {
				_, err := svc.CaseStatistics(admin, tc.req)
				var ve *core.ValidationError
				if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != tc.field {
					t.Fatalf("%s: err = %v, want one error naming %s", tc.name, err, tc.field)
				}
			}
			sys := core.WithPrincipal(context.Background(), core.Principal{Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleSystemAdmin})
			if _, err := svc.CaseStatistics(sys, intake.CaseStatisticsRequest{AgencyID: agency, From: date("2028-01-01"), To: date("2028-12-31")}); err != nil {
				t.Fatalf("366 days: %v", err)
			}
			if _, err := svc.CaseStatistics(sys, intake.CaseStatisticsRequest{AgencyID: core.NewID(), From: date("2026-01-01"), To: date("2026-01-31")}); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("unknown agency: %v", err)
			}
			// The other agency's admin is refused before anything is read.
			otherAdmin := core.WithPrincipal(context.Background(), core.Principal{Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleAgencyAdmin, AgencyID: other})
			if _, err := svc.CaseStatistics(otherAdmin, march); !errors.Is(err, core.ErrForbidden) {
				t.Fatalf("another agency's admin: %v", err)
			}
		})
	})
}
