package intakestore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/db/intakestore"
	"github.com/tidbok/tidbok/services/intake"
)

// statsAgencies knows every agency, in Stockholm.
type statsAgencies struct{}

func (statsAgencies) Agency(_ context.Context, id string) (intake.AgencyInfo, error) {
	return intake.AgencyInfo{ID: id, Name: "Exempelby kommun", TimeZone: "Europe/Stockholm"}, nil
}

func (statsAgencies) MeetingTypeIDs(context.Context, string) ([]string, error) { return nil, nil }

// BenchmarkCaseStatistics reads a month (about 4 000 cases) and a year
// (about 50 000) of the queue benchmark's agency of 100 000 cases, and
// summarises them through the service, on both databases; it logs the plan
// of the month:
//
//	TIDBOK_TEST_POSTGRES_URL=... go test -run '^$' -bench BenchmarkCaseStatistics -benchtime 20x ./db/intakestore
func BenchmarkCaseStatistics(b *testing.B) {
	for _, dialect := range []struct {
		name string
		open func(testing.TB) *db.DB
	}{{"sqlite", dbtest.SQLite}, {"postgres", dbtest.Postgres}} {
		b.Run(dialect.name, func(b *testing.B) {
			d := dialect.open(b)
			w := seedQueue(b, d)
			ctx := context.Background()
			from, to := benchQueueNow.AddDate(0, -1, 0), benchQueueNow
			explain := "EXPLAIN QUERY PLAN "
			if d.Dialect == db.Postgres {
				explain = "EXPLAIN "
			}
			rows, err := d.QueryxContext(ctx, explain+d.Rebind(intakestore.CaseTimingsQuery), w.agency, from, to)
			if err != nil {
				b.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				cols, err := rows.SliceScan()
				if err != nil {
					b.Fatal(err)
				}
				plan = append(plan, fmt.Sprint(cols[len(cols)-1]))
			}
			rows.Close()
			b.Logf("%s plan:\n%s", d.Dialect, strings.Join(plan, "\n"))
			svc := intake.NewService(intakestore.New(d), statsAgencies{}, nil, benchClock(benchQueueNow))
			admin := core.WithPrincipal(ctx, core.Principal{Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleAgencyAdmin, AgencyID: w.agency})
			for _, span := range []struct {
				name   string
				months int
				least  int
			}{{"month", 1, benchCases / 40}, {"year", 12, benchCases / 3}} {
				b.Run(span.name, func(b *testing.B) {
					req := intake.CaseStatisticsRequest{AgencyID: w.agency, From: to.AddDate(0, -span.months, 1), To: to}
					for b.Loop() {
						st, err := svc.CaseStatistics(admin, req)
						if err != nil || st.Totals.Submitted < span.least {
							b.Fatalf("statistics = %+v, %v", st.Totals, err)
						}
					}
				})
			}
		})
	}
}
