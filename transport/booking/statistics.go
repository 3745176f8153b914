package booking

import (
	"context"
	"net/http"
	"time"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/booking/availability"
	"github.com/tidbok/tidbok/transport/httpkit"
)

func registerStatistics(mux *http.ServeMux, s booking.Service) {
	opts := httpkit.ServerOptions(kithttp.ServerAfter(httpkit.NoStore))
	mux.Handle("GET /v1/statistics/appointments", kithttp.NewServer(httpkit.Unary(s.AppointmentStatistics), decodeStatisticsRequest,
		httpkit.Encode(http.StatusOK, func(st booking.AppointmentStatistics) any { return statisticsToJSON(st) }), opts...))
}

func decodeStatisticsRequest(_ context.Context, r *http.Request) (any, error) {
	q, err := httpkit.Query(r)
	if err != nil {
		return nil, err
	}
	var v core.Validator
	req := booking.StatisticsRequest{AgencyID: q.Get("agency_id"),
		From: parseDay(&v, "from", q.Get("from")), To: parseDay(&v, "to", q.Get("to"))}
	for _, d := range httpkit.QueryList(q, "group_by") {
		req.GroupBy = append(req.GroupBy, booking.Dimension(d))
	}
	return req, v.Err()
}

// parseDay reads a local date; a missing one is left for the service to
// report as required.
func parseDay(v *core.Validator, field, s string) availability.Date {
	if s == "" {
		return availability.Date{}
	}
	d, err := availability.ParseDate(s)
	v.Check(err == nil && d.Valid(), field, "must be a date such as 2026-01-31")
	return d
}

type outcomeCountsJSON struct {
	Total               int      `json:"total"`
	Upcoming            int      `json:"upcoming"`
	Unrecorded          int      `json:"unrecorded"`
	Fulfilled           int      `json:"fulfilled"`
	FulfilledByCallback int      `json:"fulfilled_by_callback"`
	Cancelled           int      `json:"cancelled"`
	CancelledByCitizen  int      `json:"cancelled_by_citizen"`
	CancelledByStaff    int      `json:"cancelled_by_staff"`
	CancelledByOther    int      `json:"cancelled_by_other"`
	NoShow              int      `json:"noshow"`
	Unreachable         int      `json:"unreachable"`
	NoShowRate          *float64 `json:"no_show_rate"`
	CancellationRate    *float64 `json:"cancellation_rate"`
	UnreachableRate     *float64 `json:"unreachable_rate"`
}

type statisticsGroupJSON struct {
	MeetingTypeID   httpkit.Optional[string]   `json:"meeting_type_id,omitzero"`
	MeetingTypeName httpkit.Optional[textJSON] `json:"meeting_type_name,omitzero"`
	Mode            httpkit.Optional[string]   `json:"mode,omitzero"`
	OfficeID        httpkit.Optional[string]   `json:"office_id,omitzero"`
	OfficeName      httpkit.Optional[string]   `json:"office_name,omitzero"`
	outcomeCountsJSON
}

type appointmentStatisticsJSON struct {
	AgencyID    string                `json:"agency_id"`
	From        string                `json:"from"`
	To          string                `json:"to"`
	TimeZone    string                `json:"time_zone"`
	GroupBy     []string              `json:"group_by"`
	GeneratedAt string                `json:"generated_at"`
	Totals      outcomeCountsJSON     `json:"totals"`
	Groups      []statisticsGroupJSON `json:"groups"`
}

// ratio is a rate rounded to four decimals, or null when nothing was counted.
func ratio(r float64, ok bool) *float64 {
	if !ok {
		return nil
	}
	return httpkit.Rounded(r, 4)
}

func outcomeCountsToJSON(c booking.OutcomeCounts) outcomeCountsJSON {
	return outcomeCountsJSON{Total: c.Total(), Upcoming: c.Upcoming, Unrecorded: c.Unrecorded, Fulfilled: c.Fulfilled,
		FulfilledByCallback: c.FulfilledByCallback, Cancelled: c.Cancelled, CancelledByCitizen: c.CancelledByCitizen,
		CancelledByStaff: c.CancelledByStaff, CancelledByOther: c.CancelledByOther, NoShow: c.NoShow, Unreachable: c.Unreachable,
		NoShowRate: ratio(c.NoShowRate()), CancellationRate: ratio(c.CancellationRate()), UnreachableRate: ratio(c.UnreachableRate())}
}

func statisticsToJSON(st booking.AppointmentStatistics) appointmentStatisticsJSON {
	out := appointmentStatisticsJSON{AgencyID: st.AgencyID, From: st.From.String(), To: st.To.String(), TimeZone: st.TimeZone,
		GeneratedAt: st.GeneratedAt.Format(time.RFC3339), Totals: outcomeCountsToJSON(st.Totals),
		Groups: make([]statisticsGroupJSON, len(st.Groups))}
	grouped := map[booking.Dimension]bool{}
	for _, d := range st.GroupBy {
		out.GroupBy = append(out.GroupBy, string(d))
		grouped[d] = true
	}
	for i, g := range st.Groups {
		j := statisticsGroupJSON{outcomeCountsJSON: outcomeCountsToJSON(g.Counts)}
		if grouped[booking.ByMeetingType] {
			none := g.MeetingTypeID == ""
			j.MeetingTypeID = httpkit.Some(g.MeetingTypeID, none)
			j.MeetingTypeName = httpkit.Some(textJSON{SV: g.MeetingTypeName.SV, EN: g.MeetingTypeName.EN}, none)
		}
		if grouped[booking.ByMode] {
			j.Mode = httpkit.Some(string(g.Mode), false)
		}
		if grouped[booking.ByOffice] {
			none := g.OfficeID == ""
			j.OfficeID = httpkit.Some(g.OfficeID, none)
			j.OfficeName = httpkit.Some(g.OfficeName, none)
		}
		out.Groups[i] = j
	}
	return out
}
