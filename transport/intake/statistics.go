package intake

import (
	"context"
	"net/http"
	"time"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/intake"
	"github.com/tidbok/tidbok/transport/httpkit"
)

func registerStatistics(mux *http.ServeMux, s intake.Service) {
	opts := httpkit.ServerOptions(kithttp.ServerAfter(httpkit.NoStore))
	mux.Handle("GET /v1/statistics/cases", kithttp.NewServer(httpkit.Unary(s.CaseStatistics), decodeCaseStatistics,
		httpkit.Encode(http.StatusOK, func(st intake.CaseStatistics) any { return caseStatisticsToJSON(st) }), opts...))
}

func decodeCaseStatistics(_ context.Context, r *http.Request) (any, error) {
	q, err := httpkit.Query(r)
	if err != nil {
		return nil, err
	}
	var v core.Validator
	req := intake.CaseStatisticsRequest{AgencyID: q.Get("agency_id"), From: parseDay(&v, "from", q.Get("from")), To: parseDay(&v, "to", q.Get("to"))}
	for _, d := range httpkit.QueryList(q, "group_by") {
		req.GroupBy = append(req.GroupBy, intake.Dimension(d))
	}
	return req, v.Err()
}

// parseDay reads a date; a missing one is left for the service to report
// as required.
func parseDay(v *core.Validator, field, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	d, err := time.Parse(time.DateOnly, s)
	v.Check(err == nil && d.Year() >= 1, field, "must be a date such as 2026-01-31")
	return d
}

type durationsJSON struct {
	Count  int      `json:"count"`
	Median *float64 `json:"median"`
	P90    *float64 `json:"p90"`
}

type deadlineJSON struct {
	Met    int      `json:"met"`
	Missed int      `json:"missed"`
	Share  *float64 `json:"share"`
}

type caseCountsJSON struct {
	Submitted                  int           `json:"submitted"`
	Resolved                   int           `json:"resolved"`
	Open                       int           `json:"open"`
	Withdrawn                  int           `json:"withdrawn"`
	TimeToFirstContactHours    durationsJSON `json:"time_to_first_contact_hours"`
	TimeToResolutionHours      durationsJSON `json:"time_to_resolution_hours"`
	FirstContactWithinDeadline deadlineJSON  `json:"first_contact_within_deadline"`
	ResolutionWithinDeadline   deadlineJSON  `json:"resolution_within_deadline"`
}

type caseGroupJSON struct {
	CategoryID   httpkit.Optional[string]   `json:"category_id,omitzero"`
	CategoryName httpkit.Optional[textJSON] `json:"category_name,omitzero"`
	Mode         httpkit.Optional[string]   `json:"mode,omitzero"`
	caseCountsJSON
}

type caseStatisticsJSON struct {
	AgencyID    string          `json:"agency_id"`
	From        string          `json:"from"`
	To          string          `json:"to"`
	TimeZone    string          `json:"time_zone"`
	GroupBy     []string        `json:"group_by"`
	GeneratedAt string          `json:"generated_at"`
	Totals      caseCountsJSON  `json:"totals"`
	Groups      []caseGroupJSON `json:"groups"`
}

func durationsToJSON(d intake.Durations) durationsJSON {
	j := durationsJSON{Count: d.Count}
	if d.Count > 0 {
		j.Median, j.P90 = httpkit.Rounded(d.Median.Hours(), 2), httpkit.Rounded(d.P90.Hours(), 2)
	}
	return j
}

func deadlineToJSON(d intake.Deadline) deadlineJSON {
	j := deadlineJSON{Met: d.Met, Missed: d.Missed}
	if share, ok := d.Share(); ok {
		j.Share = httpkit.Rounded(share, 4)
	}
	return j
}

func caseCountsToJSON(c intake.CaseCounts) caseCountsJSON {
	return caseCountsJSON{Submitted: c.Submitted, Resolved: c.Resolved, Open: c.Open, Withdrawn: c.Withdrawn,
		TimeToFirstContactHours: durationsToJSON(c.FirstContact), TimeToResolutionHours: durationsToJSON(c.Resolution),
		FirstContactWithinDeadline: deadlineToJSON(c.FirstContactDeadline), ResolutionWithinDeadline: deadlineToJSON(c.ResolutionDeadline)}
}

func caseStatisticsToJSON(st intake.CaseStatistics) caseStatisticsJSON {
	out := caseStatisticsJSON{AgencyID: st.AgencyID, From: st.From.Format(time.DateOnly), To: st.To.Format(time.DateOnly),
		TimeZone: st.TimeZone, GeneratedAt: st.GeneratedAt.Format(time.RFC3339), Totals: caseCountsToJSON(st.Totals),
		Groups: make([]caseGroupJSON, len(st.Groups))}
	grouped := map[intake.Dimension]bool{}
	for _, d := range st.GroupBy {
		out.GroupBy = append(out.GroupBy, string(d))
		grouped[d] = true
	}
	for i, g := range st.Groups {
		j := caseGroupJSON{caseCountsJSON: caseCountsToJSON(g.Counts)}
		if grouped[intake.ByCategory] {
			j.CategoryID, j.CategoryName = httpkit.Some(g.CategoryID, false), httpkit.Some(textJSON{g.NameSV, g.NameEN}, false)
		}
		if grouped[intake.ByMode] {
			j.Mode = httpkit.Some(g.Mode, g.Mode == "")
		}
		out.Groups[i] = j
	}
	return out
}
