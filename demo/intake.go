package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/intake"
)

// IntakeStore is what the demo needs to write intake's categories,
// reference prefixes and cases; db/intakestore implements it.
type IntakeStore interface {
	SaveCategory(ctx context.Context, c intake.Category) error
	SetReferencePrefix(ctx context.Context, agencyID, prefix string) error
	Case(ctx context.Context, id string) (intake.Case, error)
	CreateCase(ctx context.Context, c intake.Case, series intake.Series, first intake.Entry, ev intake.Event) (intake.Case, error)
	UpdateCase(ctx context.Context, c intake.Case, expectVersion int, entries []intake.Entry, ev *intake.Event) error
}

// ReferencePrefixes are the demo agencies' case reference prefixes.
var ReferencePrefixes = map[string]string{ExempelbyID: "EXB", VardcentralID: "VCE"}

func categoryID(key string) string { return core.StableID("case-category/" + key) }

// CaseCategories are the demo agencies' case categories: each routes to the
// meeting types that fit it, and each agency has its complaints category,
// whose deadline its description tells.
func CaseCategories() []intake.Category {
	cat := func(agency, key, sv, en, descSV, descEN string, firstContact, resolution int, pin, complaint bool, types ...string) intake.Category {
		return intake.Category{ID: categoryID(key), AgencyID: agency, NameSV: sv, NameEN: en, DescriptionSV: descSV, DescriptionEN: descEN,
			MeetingTypeIDs: types, FirstContactDays: firstContact, ResolutionDays: resolution, RequiresPIN: pin, IsComplaint: complaint,
			CreatedAt: epoch, UpdatedAt: epoch}
	}
	return []intake.Category{
		cat(ExempelbyID, "exempelby/building-permits", "Bygglov och marklov", "Building and land permits",
			"Frågor inför och om en ansökan om bygglov, marklov, rivningslov eller anmälan.",
			"Questions before and about an application for a building, land or demolition permit.",
			5, 56, false, false, mtID("exempelby/building-permit-advice")),
		cat(ExempelbyID, "exempelby/financial-assistance", "Ekonomiskt bistånd", "Financial assistance",
			"Ansökan om försörjningsstöd och annat ekonomiskt bistånd. Vi behöver ditt personnummer.",
			"Applying for income support and other financial assistance. We need your personal identity number.",
			2, 21, true, false, mtID("exempelby/social-first-meeting")),
		cat(ExempelbyID, "exempelby/debt-counselling", "Budget- och skuldrådgivning", "Budget and debt counselling",
			"Hjälp att få ordning på ekonomin och skulderna. Kostnadsfritt och med tystnadsplikt.",
			"Help with your budget and debts. Free of charge and confidential.",
			5, 30, false, false, mtID("exempelby/debt-counselling")),
		cat(ExempelbyID, "exempelby/elder-care", "Äldreomsorg och hemtjänst", "Elder care and home help",
			"Ansökan om hemtjänst, trygghetslarm eller särskilt boende.",
			"Applying for home help, a personal alarm or a care home.",
			3, 28, true, false, mtID("exempelby/elder-care-assessment"), mtID("exempelby/social-first-meeting")),
		cat(ExempelbyID, "exempelby/complaints", "Klagomål och synpunkter", "Complaints and feedback",
			"Berätta vad vi kan göra bättre. Du får svar inom 30 dagar.",
			"Tell us what we can do better. You get an answer within 30 days.",
			5, 30, false, true),
		cat(VardcentralID, "vardcentral/nurse-advice", "Rådgivning av sjuksköterska", "Advice from a nurse",
			"Besvär du vill ha råd om. En sjuksköterska hör av sig inom en arbetsdag.",
			"Symptoms you would like advice on. A nurse gets in touch within a working day.",
			1, 7, false, false, mtID("vardcentral/nurse-callback"), mtID("vardcentral/video-consultation")),
		cat(VardcentralID, "vardcentral/doctor", "Läkarbedömning", "A doctor's assessment",
			"Besvär som behöver bedömas av läkare. Vi behöver ditt personnummer.",
			"Symptoms a doctor needs to assess. We need your personal identity number.",
			3, 14, true, false, mtID("vardcentral/doctor-visit"), mtID("vardcentral/video-consultation")),
		cat(VardcentralID, "vardcentral/complaints", "Klagomål och synpunkter", "Complaints and feedback",
			"Berätta vad vi kan göra bättre. Du får svar inom 30 dagar.",
			"Tell us what we can do better. You get an answer within 30 days.",
			5, 30, false, true),
	}
}

// demoCase is one demo case and how it got where it is.
type demoCase struct {
	key, agency, category, subject, description string
	age                                         time.Duration // how long before the load it came in
	steps                                       []caseStep
}

// caseStep is one change after submission, at after its submission.
type caseStep struct {
	after    time.Duration
	assignee string        // assign to this staff account
	status   intake.Status // move here
	message  string        // a message to the citizen (with status: its note)
	actor    string
}

func staffKey(email string) string { return core.StableID("staff/" + email) }

// The staff who handle the demo cases.
var (
	caseworkerHanna = staffKey("handlaggare@exempelby.se")
	adminAdam       = staffKey("admin@exempelby.se")
	nurseSara       = staffKey("sjukskoterska@vardcentral.exempelby.se")
)

// demoCases are Anna's cases: one just submitted, one assigned,
// one waiting for her answer and one resolved complaint.
func demoCases() []demoCase {
	return []demoCase{
		{key: "exempelby/altan", agency: ExempelbyID, category: "exempelby/building-permits", age: 26 * time.Hour,
			subject: "Bygglov för inglasad altan", description: "Vi vill glasa in vår altan på 20 kvadratmeter. Behövs bygglov?"},
		{key: "exempelby/debts", agency: ExempelbyID, category: "exempelby/debt-counselling", age: 3 * 24 * time.Hour,
			subject: "Hjälp med skulder", description: "Jag har fått flera betalningspåminnelser och vet inte var jag ska börja.",
			steps: []caseStep{
				{after: 20 * time.Hour, assignee: caseworkerHanna, actor: "staff:" + adminAdam},
				{after: 22 * time.Hour, message: "Hej Anna! Jag heter Hanna och är din handläggare. Boka gärna ett första samtal med vår budget- och skuldrådgivare.", actor: "staff:" + caseworkerHanna},
			}},
		{key: "vardcentral/headache", agency: VardcentralID, category: "vardcentral/nurse-advice", age: 2 * 24 * time.Hour,
			subject: "Återkommande huvudvärk", description: "Jag har haft huvudvärk nästan varje dag i två veckor.",
			steps: []caseStep{
				{after: 3 * time.Hour, assignee: nurseSara, actor: "staff:" + nurseSara},
				{after: 4 * time.Hour, status: intake.WaitingForCitizen, message: "Hur länge brukar värken hålla i sig, och tar du någon medicin mot den?", actor: "staff:" + nurseSara},
			}},
		{key: "exempelby/snow", agency: ExempelbyID, category: "exempelby/complaints", age: 20 * 24 * time.Hour,
			subject: "Snöröjningen på Björkvägen", description: "Björkvägen plogades inte på fyra dagar efter snöfallet i januari.",
			steps: []caseStep{
				{after: 24 * time.Hour, assignee: adminAdam, actor: "staff:" + adminAdam},
				{after: 2 * 24 * time.Hour, message: "Tack för att du hörde av dig. Vi har tagit upp saken med entreprenören.", actor: "staff:" + adminAdam},
				{after: 10 * 24 * time.Hour, status: intake.Resolved, message: "Björkvägen ligger nu först i plogordningen för ert område. Tack för din synpunkt!", actor: "staff:" + adminAdam},
			}},
	}
}

// loadIntake writes the categories, the prefixes and the cases of Anna, a
// demo citizen (demo/appointments.go), registering her when citizens is
// given. Categories and prefixes are written as they are; Anna and each
// case only when missing, so a reload leaves them (and their references)
// alone. now places the cases a few days back.
func loadIntake(ctx context.Context, s IntakeStore, citizens CitizenStore, now time.Time) error {
	cats := map[string]intake.Category{}
	for _, c := range CaseCategories() {
		if err := s.SaveCategory(ctx, c); err != nil {
			return fmt.Errorf("demo case category %s: %w", c.NameSV, err)
		}
		cats[c.ID] = c
	}
	for _, a := range Agencies() {
		if err := s.SetReferencePrefix(ctx, a.ID, ReferencePrefixes[a.ID]); err != nil {
			return fmt.Errorf("demo reference prefix of %s: %w", a.Name, err)
		}
	}
	if citizens != nil {
		for _, c := range Citizens() {
			if c.ID != AnnaID {
				continue
			}
			if err := citizens.CreateCitizen(ctx, c, nil, ""); err != nil && !errors.Is(err, core.ErrConflict) {
				return fmt.Errorf("demo citizen %s: %w", c.Name, err)
			}
		}
	}
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		return err
	}
	for _, dc := range demoCases() {
		id := core.StableID("case/" + dc.key)
		if _, err := s.Case(ctx, id); err == nil {
			continue
		} else if !errors.Is(err, core.ErrNotFound) {
			return fmt.Errorf("demo case %s: %w", dc.subject, err)
		}
		if err := createDemoCase(ctx, s, id, dc, cats[categoryID(dc.category)], now.Add(-dc.age).UTC().Truncate(time.Second), stockholm); err != nil {
			return fmt.Errorf("demo case %s: %w", dc.subject, err)
		}
	}
	return nil
}

// createDemoCase submits the case and takes its steps as the intake
// service would: each change with its timeline entries and its event.
func createDemoCase(ctx context.Context, s IntakeStore, id string, dc demoCase, cat intake.Category, at time.Time, loc *time.Location) error {
	c := intake.Case{ID: id, AgencyID: dc.agency, CategoryID: cat.ID, Subject: dc.subject, Description: dc.description,
		CitizenID: AnnaID, ContactPreference: "email", Language: "sv", Priority: intake.Normal, Status: intake.Submitted,
		FirstContactDue: at.AddDate(0, 0, cat.FirstContactDays), ResolutionDue: at.AddDate(0, 0, cat.ResolutionDays),
		IsComplaint: cat.IsComplaint, CreatedBy: "citizen:" + AnnaID, Version: 1, CreatedAt: at, UpdatedAt: at}
	first := intake.Entry{ID: core.NewID(), CaseID: id, Kind: intake.EntryStatus, StatusTo: intake.Submitted, VisibleToCitizen: true,
		Actor: c.CreatedBy, CreatedAt: at}
	c, err := s.CreateCase(ctx, c, intake.Series{Prefix: ReferencePrefixes[dc.agency], Year: at.In(loc).Year()}, first,
		intake.NewCaseEvent("case.submitted", c, &first, at))
	if err != nil {
		return err
	}
	for _, st := range dc.steps {
		when := at.Add(st.after)
		expect := c.Version
		c.Version++
		c.UpdatedAt = when
		var entries []intake.Entry
		typ := "case.message_to_citizen"
		switch {
		case st.assignee != "":
			typ = "case.assigned"
			c.AssigneeID = st.assignee
			entries = append(entries, intake.Entry{ID: core.NewID(), CaseID: id, Kind: intake.EntryAssignment, Ref: st.assignee, Actor: st.actor, CreatedAt: when})
			if c.Status == intake.Submitted {
				entries = append(entries, intake.Entry{ID: core.NewID(), CaseID: id, Kind: intake.EntryStatus, StatusFrom: c.Status,
					StatusTo: intake.Assigned, VisibleToCitizen: true, Actor: st.actor, CreatedAt: when.Add(time.Microsecond)})
				c.Status = intake.Assigned
			}
		case st.status != "":
			typ = "case.status_changed"
			entries = append(entries, intake.Entry{ID: core.NewID(), CaseID: id, Kind: intake.EntryStatus, StatusFrom: c.Status,
				StatusTo: st.status, Body: st.message, VisibleToCitizen: true, Actor: st.actor, CreatedAt: when})
			if st.status == intake.WaitingForCitizen {
				c.ResumeStatus = c.Status
			}
			if st.status == intake.Resolved {
				c.ResolvedAt = &when
			}
			c.Status = st.status
		default:
			entries = append(entries, intake.Entry{ID: core.NewID(), CaseID: id, Kind: intake.EntryMessage, Body: st.message,
				VisibleToCitizen: true, Actor: st.actor, CreatedAt: when})
		}
		// A message the citizen can read is the agency's first contact.
		if st.message != "" && c.FirstContactAt == nil {
			c.FirstContactAt = &when
		}
		ev := intake.NewCaseEvent(typ, c, &entries[len(entries)-1], when)
		if err := s.UpdateCase(ctx, c, expect, entries, &ev); err != nil {
			return err
		}
	}
	return nil
}
