package intakeapi_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// consumerName is the cursor the booking-to-intake consumer keeps.
const consumerName = "intake<-booking"

type slot struct {
	Start string `json:"start"`
}

func (s slot) time(t testing.TB) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s.Start)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// slots asks availability for a meeting type in a mode over the next two weeks.
func (e *env) slots(t testing.TB, meetingType, mode string) []slot {
	t.Helper()
	q := url.Values{"meeting_type_id": {meetingType}, "mode": {mode}, "from": {e.clock.Now().Format(time.RFC3339)},
		"to": {e.clock.Now().Add(14 * 24 * time.Hour).Format(time.RFC3339)}}
	r := e.call(t, "GET", "/v1/availability?"+q.Encode(), "", nil)
	wantStatus(t, r, http.StatusOK)
	var l struct {
		Items []slot `json:"items"`
	}
	decode(t, r, &l)
	if len(l.Items) < 4 {
		t.Fatalf("only %d free times for %s", len(l.Items), meetingType)
	}
	return l.Items
}

// apart returns n free times at least an hour apart, so that booking one
// (with its buffer) leaves the others free.
func apart(t testing.TB, free []slot, n int) []slot {
	t.Helper()
	var out []slot
	for _, s := range free {
		if len(out) == 0 || s.time(t).Sub(out[len(out)-1].time(t)) >= time.Hour {
			out = append(out, s)
		}
		if len(out) == n {
			return out
		}
	}
	t.Fatalf("fewer than %d free times an hour apart", n)
	return nil
}

// book books a meeting for a case and returns the appointment id.
func (e *env) book(t testing.TB, token, meetingType, mode string, s slot, caseID string, extra ...any) string {
	t.Helper()
	body := map[string]any{"meeting_type_id": meetingType, "mode": mode, "start": s.Start, "case_id": caseID}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	r := e.call(t, "POST", "/v1/appointments", token, body)
	wantStatus(t, r, http.StatusCreated)
	var a struct {
		ID string `json:"id"`
	}
	decode(t, r, &a)
	return a.ID
}

// lastEntries returns the last n timeline entries the token sees.
func (e *env) lastEntries(t testing.TB, token, caseID string, n int) []entryJSON {
	t.Helper()
	tl := e.timeline(t, token, caseID)
	if len(tl) < n {
		t.Fatalf("timeline has %d entries, want at least %d", len(tl), n)
	}
	return tl[len(tl)-n:]
}

func bookingEventsMoveTheCaseAlongOnce(t *testing.T, e *env) {
	anna := e.signInCitizen(t, "anna@example.se")
	c := e.submit(t, anna.Token, submitBody(exempelby, e.permitCat, "Bygglov för uterum"))
	if got := e.getCase(t, anna.Token, c.ID).MeetingTypeIDs; !slices.Equal(got, []string{permitType}) {
		t.Fatalf("meeting_type_ids = %v, want the category's [%s]", got, permitType)
	}
	free := apart(t, e.slots(t, permitType, "video"), 2)
	later := e.slots(t, permitType, "video")
	later2 := later[len(later)-1]

	// The citizen books: scheduled, but the agency has not reached out yet.
	a1 := e.book(t, anna.Token, permitType, "video", free[0], c.ID)
	if got := e.getCase(t, e.hanna, c.ID).Status; got != "submitted" {
		t.Fatalf("before the consumer ran the case is %s", got)
	}
	if n := e.poll(t); n == 0 {
		t.Fatal("the consumer read no events")
	}
	got := e.getCase(t, e.hanna, c.ID)
	if got.Status != "scheduled" || got.FirstContactAt != nil {
		t.Fatalf("after the citizen booked: status %s, first contact %v", got.Status, got.FirstContactAt)
	}
	es := e.lastEntries(t, anna.Token, c.ID, 2)
	if es[0].Kind != "appointment" || es[0].Ref != a1 || !strings.HasPrefix(es[0].Body, "meeting booked") || !es[0].VisibleToCitizen ||
		es[1].StatusFrom != "submitted" || es[1].StatusTo != "scheduled" {
		t.Fatalf("timeline ends %+v", es)
	}

	// Staff book a second meeting: that is the agency's first contact.
	bookedAt := e.clock.Advance(time.Minute)
	a2 := e.book(t, e.hanna, permitType, "video", free[1], c.ID, "citizen", map[string]string{"id": anna.ID})
	e.poll(t)
	got = e.getCase(t, e.hanna, c.ID)
	if got.Status != "scheduled" || got.FirstContactAt == nil || !sameInstant(*got.FirstContactAt, bookedAt) {
		t.Fatalf("after staff booked: status %s, first contact %v, want %s", got.Status, got.FirstContactAt, bookedAt)
	}
	if es := e.lastEntries(t, e.hanna, c.ID, 1); es[0].Ref != a2 || es[0].Actor != "staff:"+hannaID {
		t.Fatalf("staff booking entry = %+v", es[0])
	}

	// The first meeting is held: in progress. The second is missed: noted.
	e.clock.Set(free[1].time(t).Add(5 * time.Minute))
	wantStatus(t, e.call(t, "POST", "/v1/appointments/"+a1+"/complete", e.hanna, nil), http.StatusOK)
	e.poll(t)
	got = e.getCase(t, e.hanna, c.ID)
	if got.Status != "in_progress" || !sameInstant(*got.FirstContactAt, bookedAt) {
		t.Fatalf("after the meeting was held: status %s, first contact %v", got.Status, got.FirstContactAt)
	}
	if es := e.lastEntries(t, anna.Token, c.ID, 2); es[0].Body != "meeting held" || es[0].Ref != a1 || es[1].StatusTo != "in_progress" {
		t.Fatalf("timeline ends %+v", es)
	}
	e.clock.Advance(time.Minute)
	wantStatus(t, e.call(t, "POST", "/v1/appointments/"+a2+"/no-show", e.hanna, nil), http.StatusOK)
	e.poll(t)
	if got := e.getCase(t, e.hanna, c.ID); got.Status != "in_progress" {
		t.Fatalf("a no-show moved the case to %s", got.Status)
	}
	if es := e.lastEntries(t, anna.Token, c.ID, 1); es[0].Ref != a2 || !strings.Contains(es[0].Body, "did not come") {
		t.Fatalf("no-show entry = %+v", es[0])
	}

	// A follow-up meeting, booked and then cancelled by the citizen.
	e.clock.Advance(time.Minute)
	a3 := e.book(t, anna.Token, permitType, "video", later2, c.ID)
	e.poll(t)
	if got := e.getCase(t, e.hanna, c.ID); got.Status != "scheduled" {
		t.Fatalf("a follow-up meeting left the case %s", got.Status)
	}
	e.clock.Advance(time.Minute)
	wantStatus(t, e.call(t, "POST", "/v1/appointments/"+a3+"/cancel", anna.Token, map[string]string{"reason": "Förhindrad"}), http.StatusOK)
	e.poll(t)
	if got := e.getCase(t, e.hanna, c.ID); got.Status != "assigned" {
		t.Fatalf("after the only meeting ahead was cancelled the case is %s, want assigned", got.Status)
	}
	if es := e.lastEntries(t, anna.Token, c.ID, 2); es[0].Ref != a3 || es[0].Body != "meeting cancelled" || es[1].StatusTo != "assigned" {
		t.Fatalf("timeline ends %+v", es)
	}

	// Replaying every event, twice at once, changes nothing.
	pos, err := e.store.Cursor(context.Background(), consumerName)
	if err != nil || pos == 0 {
		t.Fatalf("cursor of %s = %d, %v", consumerName, pos, err)
	}
	before := e.written(t, c.ID)
	if err := e.store.SetCursor(context.Background(), consumerName, 0); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	reads := make([]int, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() { reads[i], errs[i] = e.consumer().Poll(context.Background()) })
	}
	wg.Wait()
	// Poll counts the events it read past the cursor it found. Whichever
	// replay read the cursor first found it at 0 and read every event again;
	// the other may have found it moved on already and read none.
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("replay %d: %v", i, errs[i])
		}
	}
	all, err := e.server.Booking.Events(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if max(reads[0], reads[1]) != len(all) {
		t.Fatalf("the replays read %v events, want one to read all %d again", reads, len(all))
	}
	if after := e.written(t, c.ID); !after.equal(before) {
		t.Fatalf("replaying changed the case: %+v → %+v", before, after)
	}
	if n := len(e.timeline(t, e.hanna, c.ID)); n != before.entries {
		t.Fatalf("timeline has %d entries after the replay, %d before", n, before.entries)
	}
}

func bookingsForSomeoneElsesCaseLeaveItAlone(t *testing.T, e *env) {
	anna := e.signInCitizen(t, "anna@example.se")
	bo := e.signInCitizen(t, "bo@example.se")
	c := e.submit(t, anna.Token, submitBody(exempelby, e.permitCat, "Bygglov för friggebod"))
	before := e.written(t, c.ID)
	// Another citizen names Anna's case in a booking of their own.
	e.book(t, bo.Token, permitType, "video", e.slots(t, permitType, "video")[0], c.ID)
	// Another agency's staff name it in a booking of theirs.
	e.book(t, e.sara(t), doctorType, "in_person", e.slots(t, doctorType, "in_person")[0], c.ID, "citizen", map[string]string{"id": anna.ID})
	if n := e.poll(t); n < 2 {
		t.Fatalf("the consumer read %d events, want the two bookings", n)
	}
	if after := e.written(t, c.ID); !after.equal(before) {
		t.Fatalf("bookings that are not the case's changed it: %+v → %+v", before, after)
	}
}

func aCaseListsTheMeetingTypesItsCategoryRoutesTo(t *testing.T, e *env) {
	anna := e.signInCitizen(t, "anna@example.se")
	none := e.newCategory(t, e.adminA(t), exempelby, map[string]any{"name": map[string]string{"sv": "Klagomål och synpunkter", "en": "Complaints and feedback"},
		"first_contact_days": 5, "resolution_days": 30, "is_complaint": true})
	// A category routed to a meeting type that is later retired.
	walkIn := wantCreated(t, e.call(t, "POST", "/v1/agencies/"+exempelby+"/meeting-types", e.adminA(t), map[string]any{
		"name": map[string]string{"sv": "Drop-in", "en": "Walk-in"}, "duration_minutes": 15, "modes": []string{"in_person"}}))
	both := e.newCategory(t, e.adminA(t), exempelby, map[string]any{"name": map[string]string{"sv": "Bygglov, drop-in", "en": "Permits, walk-in"},
		"meeting_type_ids": []string{permitType, walkIn}, "first_contact_days": 2, "resolution_days": 28})
	wantStatus(t, e.call(t, "POST", "/v1/agencies/"+exempelby+"/meeting-types/"+walkIn+"/retire", e.adminA(t), nil), http.StatusNoContent)
	tests := []struct {
		name     string
		category string
		want     []string
	}{
		{"routed_category_lists_its_types", e.permitCat, []string{permitType}},
		{"unrouted_category_lists_none", none, []string{}},
		{"retired_types_are_left_out", both, []string{permitType}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.submit(t, anna.Token, submitBody(exempelby, tt.category, "Ett ärende"))
			for _, token := range []string{anna.Token, e.hanna} {
				got := e.getCase(t, token, c.ID)
				if _, present := got.raw["meeting_type_ids"]; !present || !slices.Equal(got.MeetingTypeIDs, tt.want) {
					t.Fatalf("meeting_type_ids = %v (present %v), want %v", got.MeetingTypeIDs, present, tt.want)
				}
			}
		})
	}
}

// TestBookingLink: booking's events, read by the consumer the binary runs,
// move cases along once. The clock only moves forward, so the order matters.
func TestBookingLink(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		t.Run("a_case_lists_the_meeting_types_its_category_routes_to", func(t *testing.T) { aCaseListsTheMeetingTypesItsCategoryRoutesTo(t, e) })
		t.Run("bookings_for_someone_elses_case_leave_it_alone", func(t *testing.T) { bookingsForSomeoneElsesCaseLeaveItAlone(t, e) })
		t.Run("booking_events_move_the_case_along_once", func(t *testing.T) { bookingEventsMoveTheCaseAlongOnce(t, e) })
	})
}
