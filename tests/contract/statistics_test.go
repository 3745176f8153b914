package contract_test

import (
	"github.com/tidbok/tidbok/core"
)

// statistics asks for both kinds over the weeks the scenario booked in,
// after the call-backs and cases are done, and is refused or corrected
// where it should be.
func (e *env) statistics() {
	t := e.t
	year := "from=2026-01-01&to=2026-12-31"
	var appts struct {
		Totals struct {
			Total int `json:"total"`
		} `json:"totals"`
	}
	e.call("GET", "/v1/statistics/appointments?agency_id="+exb+"&"+year, e.admin, nil).want(t, 200).decode(t, &appts)
	must(t, appts.Totals.Total > 0, "no meetings counted: %+v", appts)
	e.call("GET", "/v1/statistics/appointments?"+year+"&group_by=office,mode", e.worker, nil).want(t, 200)
	e.call("GET", "/v1/statistics/appointments?agency_id="+exb+"&"+year, e.client, nil).want(t, 200)
	e.call("GET", "/v1/statistics/appointments?agency_id="+exb+"&"+year, e.karin.Token, nil).problem(t, 403)
	e.call("GET", "/v1/statistics/appointments?agency_id="+exb+"&"+year, e.adminVC, nil).problem(t, 403)
	e.call("GET", "/v1/statistics/appointments?agency_id="+exb+"&"+year, "", nil).problem(t, 401)
	e.call("GET", "/v1/statistics/appointments?agency_id="+exb+"&from=2026-12-31&to=2026-01-01", e.admin, nil).problem(t, 400)
	e.call("GET", "/v1/statistics/appointments?agency_id="+exb+"&"+year+"&group_by=staff", e.admin, nil, malformed()).problem(t, 400)
	e.call("GET", "/v1/statistics/appointments?agency_id="+core.NewID()+"&"+year, e.sysadmin, nil).problem(t, 404)

	var cases struct {
		Totals struct {
			Submitted int `json:"submitted"`
		} `json:"totals"`
	}
	e.call("GET", "/v1/statistics/cases?agency_id="+exb+"&"+year, e.admin, nil).want(t, 200).decode(t, &cases)
	must(t, cases.Totals.Submitted > 0, "no cases counted: %+v", cases)
	e.call("GET", "/v1/statistics/cases?"+year+"&group_by=mode", e.worker, nil).want(t, 200)
	e.call("GET", "/v1/statistics/cases?"+year+"&group_by=category", e.sysadmin, nil).problem(t, 400) // which agency?
	e.call("GET", "/v1/statistics/cases?agency_id="+exb+"&from=2025-01-01&to=2026-12-31", e.admin, nil).problem(t, 400)
	e.call("GET", "/v1/statistics/cases?agency_id="+exb+"&from=1+juni&to=2026-12-31", e.admin, nil, malformed()).problem(t, 400)
	e.call("GET", "/v1/statistics/cases?agency_id="+exb+"&"+year, e.karin.Token, nil).problem(t, 403)
	e.call("GET", "/v1/statistics/cases?agency_id="+core.NewID()+"&"+year, e.sysadmin, nil).problem(t, 404)
}
