package bookingapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/services/booking"
)

// freeStaff returns the staff members free at start for mode, as staff see them.
func (e *apptEnv) freeStaff(t *testing.T, start time.Time, mode string) []string {
	t.Helper()
	q := fmt.Sprintf("/v1/availability?meeting_type_id=%s&mode=%s&from=%s&to=%s", e.meetingType, mode,
		urlTime(start), urlTime(start.Add(time.Minute)))
	r := e.call(t, "GET", q, e.workerA, nil)
	wantStatus(t, r, http.StatusOK)
	var res struct {
		Items []struct {
			Start    string   `json:"start"`
			StaffIDs []string `json:"staff_ids"`
		} `json:"items"`
	}
	decode(t, r, &res)
	for _, sl := range res.Items {
		if s, _ := time.Parse(time.RFC3339, sl.Start); s.Equal(start) {
			return sl.StaffIDs
		}
	}
	return nil
}

func urlTime(t time.Time) string { return strings.ReplaceAll(t.Format(time.RFC3339), "+", "%2B") }

func TestHolds(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		anna := e.signInCitizen(t, "anna@example.se")
		hold := func(t *testing.T, token string, start time.Time) (string, string) {
			t.Helper()
			r := e.call(t, "POST", "/v1/availability/holds", token, map[string]any{
				"meeting_type_id": e.meetingType, "mode": "video", "start": start.Format(time.RFC3339)})
			wantStatus(t, r, http.StatusCreated)
			var h struct {
				ID        string `json:"id"`
				ExpiresAt string `json:"expires_at"`
			}
			decode(t, r, &h)
			return h.ID, h.ExpiresAt
		}

		t.Run("a hold keeps the slot for ten minutes and booking with it takes the held staff member", func(t *testing.T) {
			slot := at(2, 9, 0)
			id, expires := hold(t, anna.Token, slot)
			if want := e.clock.Now().Add(10 * time.Minute).In(stockholm).Format(time.RFC3339); expires != want {
				t.Fatalf("expires_at = %s, want %s", expires, want)
			}
			free := e.freeStaff(t, slot, "video")
			if len(free) != 2 {
				t.Fatalf("free staff while held = %v, want two of three", free)
			}
			held := ""
			for _, s := range e.staff {
				if !slices.Contains(free, s) {
					held = s
				}
			}
			e.clock.Advance(9 * time.Minute)
			a := e.book(t, anna.Token, e.bookBody(slot, "video", "hold_id", id))
			if a.StaffID != held || a.CitizenID != anna.ID || a.Status != "booked" {
				t.Fatalf("booked %+v, want staff %s (the held one) for %s", a, held, anna.ID)
			}
			if n := e.count(t, "SELECT count(*) FROM booking_holds"); n != 0 {
				t.Fatalf("%d holds left after booking with the hold", n)
			}
			if evs := e.events(t, a.ID); !slices.Equal(eventTypes(evs), []string{"appointment.booked"}) {
				t.Fatalf("events = %v", eventTypes(evs))
			}
		})

		t.Run("an expired hold frees the slot and booking with it is refused naming hold_id", func(t *testing.T) {
			slot := at(2, 10, 0)
			id, _ := hold(t, anna.Token, slot)
			if free := e.freeStaff(t, slot, "video"); len(free) != 2 {
				t.Fatalf("free staff while held = %v", free)
			}
			e.clock.Advance(10*time.Minute + time.Second)
			if free := e.freeStaff(t, slot, "video"); len(free) != 3 {
				t.Fatalf("free staff after the hold expired = %v, want all three", free)
			}
			before := e.rowCounts(t)
			wantProblem(t, e.call(t, "POST", "/v1/appointments", anna.Token, e.bookBody(slot, "video", "hold_id", id)), http.StatusBadRequest, "hold_id")
			if after := e.rowCounts(t); !mapsEqual(before, after) {
				t.Fatalf("rows before %v, after %v", before, after)
			}
			// The expired hold's row may still be there; it must not keep
			// the third staff member from being booked.
			staff := map[string]bool{}
			for i := range 3 {
				a := e.book(t, e.workerA, e.bookBody(slot, "video", "citizen", map[string]any{"personal_identity_number": personalNumber(50 + i)}))
				staff[a.StaffID] = true
			}
			if len(staff) != 3 {
				t.Fatalf("booked staff = %v, want all three", staff)
			}
			if n := e.overlaps(t); n != 0 {
				t.Fatalf("%d overlapping blocks", n)
			}
		})

		t.Run("someone else's hold cannot be booked with", func(t *testing.T) {
			id, _ := hold(t, anna.Token, at(2, 11, 0))
			bo := e.signInCitizen(t, "bo@example.se")
			wantProblem(t, e.call(t, "POST", "/v1/appointments", bo.Token, e.bookBody(at(2, 11, 0), "video", "hold_id", id)), http.StatusBadRequest, "hold_id")
		})

		t.Run("a hold for another time than the booking is refused", func(t *testing.T) {
			id, _ := hold(t, anna.Token, at(2, 12, 0))
			wantProblem(t, e.call(t, "POST", "/v1/appointments", anna.Token, e.bookBody(at(2, 12, 30), "video", "hold_id", id)), http.StatusBadRequest, "hold_id")
		})

		t.Run("holds take the free staff one by one and then the slot is taken", func(t *testing.T) {
			// Staff hold for the agency, with no limit of their own.
			slot := at(3, 9, 0)
			for range 3 {
				hold(t, e.workerA, slot)
			}
			r := e.call(t, "POST", "/v1/availability/holds", anna.Token, map[string]any{
				"meeting_type_id": e.meetingType, "mode": "video", "start": slot.Format(time.RFC3339)})
			wantTaken(t, r)
			wantTaken(t, e.call(t, "POST", "/v1/appointments", e.workerA, e.bookBody(slot, "video",
				"citizen", map[string]any{"personal_identity_number": personalNumber(1)})))
		})

		t.Run("a citizen keeps at most three holds at once", func(t *testing.T) {
			cecilia := e.signInCitizen(t, "cecilia@example.se")
			for i := range booking.DefaultMaxCitizenHolds {
				hold(t, cecilia.Token, at(4, 9+i, 0))
			}
			fourth := func() response {
				return e.call(t, "POST", "/v1/availability/holds", cecilia.Token, map[string]any{
					"meeting_type_id": e.meetingType, "mode": "video", "start": at(4, 13, 0).Format(time.RFC3339)})
			}
			p := wantProblem(t, fourth(), http.StatusConflict)
			if !strings.Contains(p.Detail, "hold") {
				t.Fatalf("the fourth hold's 409 does not say why: %+v", p)
			}
			if free := e.freeStaff(t, at(4, 13, 0), "video"); len(free) != 3 {
				t.Fatalf("the refused hold took time: %d staff free at 13:00, want 3", len(free))
			}
			// Expired holds no longer count.
			e.clock.Advance(booking.DefaultHoldTTL + time.Minute)
			wantStatus(t, fourth(), http.StatusCreated)
		})
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestBooking(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		anna := e.signInCitizen(t, "anna@example.se")

		t.Run("a citizen books for themself without a hold", func(t *testing.T) {
			a := e.book(t, anna.Token, e.bookBody(at(2, 9, 0), "in_person", "notes", "Om bygglov", "accessibility", []string{"wheelchair"}))
			if a.CitizenID != anna.ID || a.Status != "booked" || a.Sequence != 0 || a.Version != 1 {
				t.Fatalf("appointment = %+v", a)
			}
			if !a.startTime(t).Equal(at(2, 9, 0)) || a.End != at(2, 9, 30).Format(time.RFC3339) {
				t.Fatalf("start, end = %s, %s", a.Start, a.End)
			}
			if a.OfficeID == nil || *a.OfficeID != e.officeA {
				t.Fatalf("in person meeting at office %v, want %s", a.OfficeID, e.officeA)
			}
			if a.Office == nil || a.Office.Name != "Medborgarkontoret" || a.Office.Address.Street != "Torget 1" {
				t.Fatalf("in person meeting without the office's address: %+v", a.Office)
			}
			r := e.call(t, "GET", "/v1/appointments/"+a.ID, anna.Token, nil)
			if got := wantAppointment(t, r, http.StatusOK); got.ID != a.ID || got.etag != `"1"` {
				t.Fatalf("read back %+v", got)
			}
			if evs := e.events(t, a.ID); len(evs) != 1 || evs[0].Type != "appointment.booked" || evs[0].Payload.Change.By != "citizen:"+anna.ID {
				t.Fatalf("events = %+v", evs)
			}
		})

		t.Run("a video meeting gets a unique unguessable link under the video base URL", func(t *testing.T) {
			seen := map[string]bool{}
			for i := range 3 {
				a := e.book(t, e.workerA, e.bookBody(at(3, 9, 0), "video", "citizen", map[string]any{"personal_identity_number": personalNumber(10 + i)}))
				tail, ok := strings.CutPrefix(a.VideoURL, "https://video.tidbok.test/")
				if !ok || len(tail) < 26 || strings.Contains(tail, "/") {
					t.Fatalf("video_url = %q", a.VideoURL)
				}
				if seen[a.VideoURL] {
					t.Fatalf("video link %s handed out twice", a.VideoURL)
				}
				seen[a.VideoURL] = true
				if a.OfficeID != nil || a.Phone != nil {
					t.Fatalf("video meeting with office or phone: %+v", a)
				}
			}
		})

		t.Run("a phone meeting needs a number", func(t *testing.T) {
			before := e.rowCounts(t)
			wantProblem(t, e.call(t, "POST", "/v1/appointments", anna.Token, e.bookBody(at(4, 9, 0), "phone")), http.StatusBadRequest, "phone_number")
			if after := e.rowCounts(t); !mapsEqual(before, after) {
				t.Fatalf("rows before %v, after %v", before, after)
			}
			a := e.book(t, anna.Token, e.bookBody(at(4, 9, 0), "phone", "phone", map[string]string{"number": "070-123 45 67"}))
			if a.Phone == nil || a.Phone.Number != "+46701234567" || a.Phone.Direction != "agency_calls" {
				t.Fatalf("phone = %+v", a.Phone)
			}
		})

		t.Run("a phone meeting booked by staff takes the number of the citizen record", func(t *testing.T) {
			a := e.book(t, e.workerA, e.bookBody(at(4, 10, 0), "phone",
				"citizen", map[string]any{"personal_identity_number": personalNumber(20), "phone": "0701112233"},
				"phone", map[string]string{"direction": "citizen_calls"}))
			if a.Phone == nil || a.Phone.Number != "+46701112233" || a.Phone.Direction != "citizen_calls" {
				t.Fatalf("phone = %+v", a.Phone)
			}
		})

		t.Run("staff and an integration book by personal identity number and the citizen is created once", func(t *testing.T) {
			citizens := e.count(t, "SELECT count(*) FROM auth_citizens")
			ref := map[string]any{"personal_identity_number": personalNumber(30), "email": "carl@example.se", "name": "Carl Carlsson"}
			first := e.book(t, e.workerA, e.bookBody(at(5, 9, 0), "in_person", "citizen", ref))
			if n := e.count(t, "SELECT count(*) FROM auth_citizens"); n != citizens+1 {
				t.Fatalf("citizens %d → %d, want one created", citizens, n)
			}
			second := e.book(t, e.client, e.bookBody(at(5, 10, 0), "video", "citizen", map[string]any{"personal_identity_number": personalNumber(30)}))
			if second.CitizenID != first.CitizenID {
				t.Fatalf("second booking for citizen %s, first for %s", second.CitizenID, first.CitizenID)
			}
			if n := e.count(t, "SELECT count(*) FROM auth_citizens"); n != citizens+1 {
				t.Fatalf("citizens %d → %d after booking again by the same number", citizens, n)
			}
			if evs := e.events(t, second.ID); len(evs) != 1 || !strings.HasPrefix(evs[0].Payload.Change.By, "client:") {
				t.Fatalf("events = %+v", evs)
			}
		})

		t.Run("a citizen may hold at most the meeting type's maximum of active bookings", func(t *testing.T) {
			bo := e.signInCitizen(t, "bo@example.se")
			e.book(t, bo.Token, e.bookBody(at(8, 9, 0), "video"))
			e.book(t, bo.Token, e.bookBody(at(8, 10, 0), "video"))
			before := e.rowCounts(t)
			p := wantProblem(t, e.call(t, "POST", "/v1/appointments", bo.Token, e.bookBody(at(8, 11, 0), "video")), http.StatusConflict)
			if strings.Contains(p.Detail, "/v1/availability") {
				t.Fatalf("the limit is not a taken time: %s", p.Detail)
			}
			if after := e.rowCounts(t); !mapsEqual(before, after) {
				t.Fatalf("rows before %v, after %v", before, after)
			}
		})
	})
}

// Staff are assigned by the rule orderCandidates documents: among the
// eligible staff free for the slot, the one with the fewest booked, arrived
// or fulfilled appointments on that local day; ties go to the lowest id.
func TestStaffAssignmentRule(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		s1, s2, s3 := e.staff[0], e.staff[1], e.staff[2]
		n := 0
		bookAs := func(t *testing.T, start time.Time, extra ...any) appointment {
			t.Helper()
			n++
			extra = append(extra, "citizen", map[string]any{"personal_identity_number": personalNumber(100 + n)})
			return e.book(t, e.workerA, e.bookBody(start, "video", extra...))
		}
		// Wednesday 3 June starts with s1 on one, s2 on none and s3 on two.
		// s2 also has three on Tuesday and a cancelled one on Wednesday: if
		// either counted, s1 would win the first pick below.
		bookAs(t, at(3, 8, 0), "staff_id", s1)
		bookAs(t, at(3, 8, 0), "staff_id", s3)
		bookAs(t, at(3, 8, 30), "staff_id", s3)
		for _, h := range []int{8, 9, 10} {
			bookAs(t, at(2, h, 0), "staff_id", s2)
		}
		cancelled := bookAs(t, at(3, 9, 0), "staff_id", s2)
		wantStatus(t, e.call(t, "POST", "/v1/appointments/"+cancelled.ID+"/cancel", e.workerA, map[string]string{"reason": "Sjuk"}), http.StatusOK)

		picks := []struct {
			hour int
			want string
			why  string
		}{
			{14, s2, "fewest (0 against 1 and 2)"},
			{14, s1, "s2 is busy; 1 against 2"},
			{14, s3, "the only one free"},
			{15, s2, "fewest (1 against 2 and 3)"},
			{15, s1, "s2 is busy; 2 against 3"},
			{13, s2, "fewest (2 against 3 and 3)"},
			{13, s1, "tie at 3: lowest id"},
			{12, s2, "tie of s2 and s3 at 3: lowest id"},
		}
		for i, p := range picks {
			a := bookAs(t, at(3, p.hour, 0))
			if a.StaffID != p.want {
				t.Fatalf("pick %d at %02d:00 went to %s, want %s: %s (staff in id order %v)", i+1, p.hour, a.StaffID, p.want, p.why, e.staff)
			}
		}
	})
}

func TestRescheduleCancelAndFollowUp(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		anna := e.signInCitizen(t, "anna@example.se")
		action := func(t *testing.T, a appointment, verb, token string, body any, header ...string) response {
			t.Helper()
			return e.call(t, "POST", "/v1/appointments/"+a.ID+"/"+verb, token, body, header...)
		}

		t.Run("reschedule keeps the id, raises the sequence and records old and new time", func(t *testing.T) {
			a := e.book(t, anna.Token, e.bookBody(at(3, 9, 0), "video"))
			moved := wantAppointment(t, action(t, a, "reschedule", anna.Token, map[string]string{"start": at(4, 13, 30).Format(time.RFC3339), "reason": "Krock"}), http.StatusOK)
			if moved.ID != a.ID || moved.Sequence != a.Sequence+1 || moved.Version != a.Version+1 || !moved.startTime(t).Equal(at(4, 13, 30)) {
				t.Fatalf("moved %+v from %+v", moved, a)
			}
			if moved.VideoURL != a.VideoURL {
				t.Fatalf("video link changed on reschedule: %s → %s", a.VideoURL, moved.VideoURL)
			}
			evs := e.events(t, a.ID)
			if !slices.Equal(eventTypes(evs), []string{"appointment.booked", "appointment.rescheduled"}) {
				t.Fatalf("events = %v", eventTypes(evs))
			}
			c := evs[1].Payload.Change
			if c.OldStart != at(3, 9, 0).UTC().Format(time.RFC3339) || c.NewStart != at(4, 13, 30).UTC().Format(time.RFC3339) || c.Reason != "Krock" {
				t.Fatalf("change = %+v", c)
			}
			// The old time is free again: three staff, the new one two.
			if free := e.freeStaff(t, at(3, 9, 0), "video"); len(free) != 3 {
				t.Fatalf("free at the old time = %v", free)
			}
			if free := e.freeStaff(t, at(4, 13, 30), "video"); len(free) != 2 {
				t.Fatalf("free at the new time = %v", free)
			}
		})

		t.Run("If-Match with a stale ETag is 412 and with the current one succeeds", func(t *testing.T) {
			a := e.book(t, anna.Token, e.bookBody(at(3, 10, 0), "video"))
			moved := wantAppointment(t, action(t, a, "reschedule", e.workerA, map[string]string{"start": at(3, 10, 30).Format(time.RFC3339)}, "If-Match", a.etag), http.StatusOK)
			before := e.rowCounts(t)
			wantProblem(t, action(t, a, "reschedule", e.workerA, map[string]string{"start": at(3, 11, 0).Format(time.RFC3339)}, "If-Match", a.etag), http.StatusPreconditionFailed)
			wantProblem(t, action(t, a, "cancel", e.workerA, map[string]string{"reason": "Fel"}, "If-Match", a.etag), http.StatusPreconditionFailed)
			if after := e.rowCounts(t); !mapsEqual(before, after) {
				t.Fatalf("rows before %v, after %v", before, after)
			}
			got := wantAppointment(t, e.call(t, "GET", "/v1/appointments/"+a.ID, e.workerA, nil), http.StatusOK)
			if got.etag != moved.etag || !got.startTime(t).Equal(at(3, 10, 30)) {
				t.Fatalf("after stale writes: %+v", got)
			}
			done := wantAppointment(t, action(t, a, "cancel", e.workerA, map[string]string{"reason": "Handläggaren sjuk"}, "If-Match", got.etag), http.StatusOK)
			if done.Status != "cancelled" || done.CancelReason != "Handläggaren sjuk" {
				t.Fatalf("cancelled = %+v", done)
			}
		})

		t.Run("a citizen cancels before the cutoff", func(t *testing.T) {
			a := e.book(t, anna.Token, e.bookBody(at(4, 9, 0), "video"))
			done := wantAppointment(t, action(t, a, "cancel", anna.Token, nil), http.StatusOK)
			if done.Status != "cancelled" || done.Sequence != a.Sequence+1 {
				t.Fatalf("cancelled = %+v", done)
			}
			if evs := e.events(t, a.ID); !slices.Equal(eventTypes(evs), []string{"appointment.booked", "appointment.cancelled"}) {
				t.Fatalf("events = %v", eventTypes(evs))
			}
			if free := e.freeStaff(t, at(4, 9, 0), "video"); len(free) != 3 {
				t.Fatalf("free after cancelling = %v", free)
			}
			wantProblem(t, action(t, a, "cancel", anna.Token, nil), http.StatusConflict)
		})

		t.Run("a citizen cannot cancel or move after the cutoff but staff can, with a reason", func(t *testing.T) {
			a := e.book(t, anna.Token, e.bookBody(at(1, 13, 0), "video"))
			before := e.rowCounts(t)
			wantProblem(t, action(t, a, "cancel", anna.Token, nil), http.StatusConflict)
			wantProblem(t, action(t, a, "reschedule", anna.Token, map[string]string{"start": at(5, 9, 0).Format(time.RFC3339)}), http.StatusConflict)
			wantProblem(t, action(t, a, "cancel", e.workerA, nil), http.StatusBadRequest, "reason")
			wantProblem(t, action(t, a, "cancel", e.workerA, map[string]string{"reason": "  "}), http.StatusBadRequest, "reason")
			if after := e.rowCounts(t); !mapsEqual(before, after) {
				t.Fatalf("rows before %v, after %v", before, after)
			}
			done := wantAppointment(t, action(t, a, "cancel", e.workerA, map[string]string{"reason": "Stängt"}), http.StatusOK)
			if done.Status != "cancelled" {
				t.Fatalf("status = %s", done.Status)
			}
		})

		t.Run("arrival, completion and no-show follow the life cycle", func(t *testing.T) {
			visit := e.book(t, anna.Token, e.bookBody(at(1, 11, 0), "in_person"))
			missed := e.book(t, e.workerA, e.bookBody(at(1, 11, 30), "phone", "citizen", map[string]any{"personal_identity_number": personalNumber(7), "phone": "0707654321"}))
			wantProblem(t, action(t, visit, "arrive", anna.Token, nil), http.StatusForbidden)
			wantProblem(t, action(t, visit, "complete", e.workerA, nil), http.StatusConflict) // not started
			e.clock.Set(at(1, 10, 50))
			arrived := wantAppointment(t, action(t, visit, "arrive", e.workerA, nil), http.StatusOK)
			if arrived.Status != "arrived" {
				t.Fatalf("status = %s", arrived.Status)
			}
			wantProblem(t, action(t, visit, "arrive", e.workerA, nil), http.StatusConflict)
			wantProblem(t, action(t, visit, "no-show", e.workerA, nil), http.StatusConflict)
			wantProblem(t, action(t, visit, "reschedule", e.workerA, map[string]string{"start": at(5, 9, 0).Format(time.RFC3339)}), http.StatusConflict)
			e.clock.Set(at(1, 11, 35))
			done := wantAppointment(t, action(t, visit, "complete", e.workerA, nil, "If-Match", arrived.etag), http.StatusOK)
			if done.Status != "fulfilled" {
				t.Fatalf("status = %s", done.Status)
			}
			for _, verb := range []string{"arrive", "complete", "no-show"} {
				wantProblem(t, action(t, visit, verb, e.workerA, nil), http.StatusConflict)
			}
			wantProblem(t, action(t, visit, "cancel", e.workerA, map[string]string{"reason": "Sent"}), http.StatusConflict)
			if evs := e.events(t, visit.ID); !slices.Equal(eventTypes(evs), []string{"appointment.booked", "appointment.arrived", "appointment.fulfilled"}) {
				t.Fatalf("events = %v", eventTypes(evs))
			}

			noshow := wantAppointment(t, action(t, missed, "no-show", e.workerA, nil), http.StatusOK)
			if noshow.Status != "noshow" {
				t.Fatalf("status = %s", noshow.Status)
			}
			for _, verb := range []string{"arrive", "complete", "no-show"} {
				wantProblem(t, action(t, missed, verb, e.workerA, nil), http.StatusConflict)
			}
			if evs := e.events(t, missed.ID); !slices.Equal(eventTypes(evs), []string{"appointment.booked", "appointment.noshow"}) {
				t.Fatalf("events = %v", eventTypes(evs))
			}
		})
	})
}

func TestListingAppointments(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		var booked []appointment
		for i, slot := range []time.Time{at(3, 9, 0), at(3, 9, 0), at(2, 15, 0), at(3, 13, 0), at(4, 8, 0), at(3, 9, 30)} {
			booked = append(booked, e.book(t, e.workerA, e.bookBody(slot, "video", "citizen", map[string]any{"personal_identity_number": personalNumber(70 + i)})))
		}
		wantStatus(t, e.call(t, "POST", "/v1/appointments/"+booked[3].ID+"/cancel", e.workerA, map[string]string{"reason": "Flyttat"}), http.StatusOK)
		list := func(t *testing.T, query string) ([]appointment, string) {
			t.Helper()
			r := e.call(t, "GET", "/v1/appointments"+query, e.workerA, nil)
			wantStatus(t, r, http.StatusOK)
			var page struct {
				Items      []appointment `json:"items"`
				NextCursor string        `json:"next_cursor"`
			}
			decode(t, r, &page)
			return page.Items, page.NextCursor
		}
		ids := func(l []appointment) []string {
			var out []string
			for _, a := range l {
				out = append(out, a.ID)
			}
			return out
		}

		t.Run("pages of two follow each other in start order without gaps or repeats", func(t *testing.T) {
			var all []appointment
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > 5 {
					t.Fatal("the cursor does not end")
				}
				q := "?limit=2"
				if cursor != "" {
					q += "&cursor=" + cursor
				}
				page, next := list(t, q)
				all = append(all, page...)
				if next == "" {
					break
				}
				cursor = next
			}
			if len(all) != len(booked) {
				t.Fatalf("listed %d, want %d", len(all), len(booked))
			}
			seen := map[string]bool{}
			for i, a := range all {
				if seen[a.ID] {
					t.Fatalf("%s listed twice", a.ID)
				}
				seen[a.ID] = true
				if i > 0 && a.startTime(t).Before(all[i-1].startTime(t)) {
					t.Fatalf("out of order: %s after %s", a.Start, all[i-1].Start)
				}
			}
		})

		t.Run("filters by staff member, status and day", func(t *testing.T) {
			got, _ := list(t, "?staff_id="+booked[0].StaffID)
			for _, a := range got {
				if a.StaffID != booked[0].StaffID {
					t.Fatalf("staff filter let through %+v", a)
				}
			}
			if len(got) == 0 {
				t.Fatal("nothing for the staff member")
			}
			got, _ = list(t, "?status=cancelled")
			if len(got) != 1 || got[0].ID != booked[3].ID {
				t.Fatalf("cancelled = %v", ids(got))
			}
			got, _ = list(t, "?date=2026-06-03")
			if want := []string{booked[0].ID, booked[1].ID, booked[5].ID, booked[3].ID}; !sameSet(ids(got), want) {
				t.Fatalf("3 June = %v, want %v", ids(got), want)
			}
			got, _ = list(t, "?from="+urlTime(at(3, 9, 0))+"&to="+urlTime(at(3, 9, 30)))
			if !sameSet(ids(got), []string{booked[0].ID, booked[1].ID}) {
				t.Fatalf("09:00–09:30 = %v", ids(got))
			}
			wantProblem(t, e.call(t, "GET", "/v1/appointments?status=maybe", e.workerA, nil), http.StatusBadRequest, "status")
			wantProblem(t, e.call(t, "GET", "/v1/appointments?date=3+June", e.workerA, nil), http.StatusBadRequest, "date")
			wantProblem(t, e.call(t, "GET", "/v1/appointments?cursor=forged", e.workerA, nil), http.StatusBadRequest, "cursor")
		})

		// A meeting at 00:30 in Stockholm on 2 June is on 2 June, though in
		// UTC it is still 1 June.
		t.Run("a day view is the agency's local day", func(t *testing.T) {
			night := e.newMeetingType(t, map[string]any{"modes": []string{"phone"}})
			e.newStaffMemberWithHours(t, "Nattjour", []map[string]string{{"weekday": "tuesday", "start": "00:00", "end": "02:00", "office_id": "remote"}}, night)
			a := e.book(t, e.workerA, map[string]any{"meeting_type_id": night, "mode": "phone", "start": at(2, 0, 30).Format(time.RFC3339),
				"citizen": map[string]any{"personal_identity_number": personalNumber(90), "phone": "0701231231"}})
			for _, c := range []struct {
				date string
				want int
			}{{"2026-06-02", 1}, {"2026-06-01", 0}} {
				r := e.call(t, "GET", "/v1/appointments?date="+c.date+"&staff_id="+a.StaffID, e.workerA, nil)
				wantStatus(t, r, http.StatusOK)
				var page struct {
					Items []appointment `json:"items"`
				}
				decode(t, r, &page)
				if len(page.Items) != c.want {
					t.Fatalf("day %s lists %d, want %d", c.date, len(page.Items), c.want)
				}
			}
		})
	})
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// A citizen moves a meeting only to times they could book themselves: not
// when its kind is no longer offered, nor when only the agency books it.
func TestCitizenMovesOnlyWhatTheyCouldBook(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		anna := e.signInCitizen(t, "anna@example.se")
		// book books a meeting of a meeting type of its own, served by a
		// staff member of its own, for Anna, by the caller of token.
		book := func(t *testing.T, token string, citizenBookable bool, start time.Time) appointment {
			t.Helper()
			mt := e.newMeetingType(t, map[string]any{"citizen_bookable": citizenBookable})
			e.newStaffMember(t, "Sam "+mt[:8], mt)
			body := e.bookBody(start, "video")
			if token != anna.Token {
				body = e.bookBody(start, "video", "citizen", map[string]any{"id": anna.ID})
			}
			body["meeting_type_id"] = mt
			return e.book(t, token, body)
		}
		move := func(a appointment, token string) response {
			return e.call(t, "POST", "/v1/appointments/"+a.ID+"/reschedule", token, map[string]string{"start": at(4, 14, 0).Format(time.RFC3339)})
		}

		t.Run("a retired kind of meeting cannot be moved by the citizen, only cancelled", func(t *testing.T) {
			a := book(t, anna.Token, true, at(3, 9, 0))
			wantStatus(t, e.call(t, "POST", "/v1/agencies/"+e.agencyA+"/meeting-types/"+a.MeetingTypeID+"/retire", e.adminA, nil), http.StatusNoContent)
			before := e.rowCounts(t)
			p := wantProblem(t, move(a, anna.Token), http.StatusConflict)
			if !strings.Contains(p.Detail, "no longer offered") {
				t.Fatalf("409 does not say why: %+v", p)
			}
			if after := e.rowCounts(t); !mapsEqual(before, after) {
				t.Fatalf("rows before %v, after %v", before, after)
			}
			wantStatus(t, e.call(t, "POST", "/v1/appointments/"+a.ID+"/cancel", anna.Token, nil), http.StatusOK)
		})

		t.Run("a kind of meeting only the agency books is moved by its staff, not the citizen", func(t *testing.T) {
			a := book(t, e.workerA, false, at(3, 10, 0))
			wantProblem(t, move(a, anna.Token), http.StatusForbidden)
			moved := wantAppointment(t, move(a, e.workerA), http.StatusOK)
			if !moved.startTime(t).Equal(at(4, 14, 0)) {
				t.Fatalf("staff moved it to %s", moved.Start)
			}
		})
	})
}
