package bookingstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// Booking checks a slot against the busy time the store holds without
// reading blocks (SlotData) and lets the database refuse an overlap. These
// tests run two services on one database, as two processes would, so that
// one's cache is out of date after the other's writes: bookings must still
// land where fresh data would put them.

type bookClock time.Time

func (c bookClock) Now() time.Time { return time.Time(c).UTC() }

// bookCitizens knows everyone named by id, and counts the citizens it would
// have to create: those named otherwise.
type bookCitizens struct{ created *atomic.Int64 }

func (c bookCitizens) ResolveCitizen(_ context.Context, ref booking.CitizenRef) (booking.CitizenContact, error) {
	if ref.ID == "" {
		c.created.Add(1)
		ref.ID = core.NewID()
	}
	return booking.CitizenContact{ID: ref.ID, Phone: "+46701234567", Language: "sv"}, nil
}

func (bookCitizens) Citizen(_ context.Context, id string) (booking.CitizenContact, error) {
	return booking.CitizenContact{ID: id, Phone: "+46701234567", Language: "sv"}, nil
}

var bookOrgs atomic.Int64

// bookWorld is an agency with a 30-minute phone meeting type and two staff
// members working Mondays 08:00–12:00, first and second in id order.
type bookWorld struct {
	agency, meetingType string
	first, second       string
}

func newBookWorld(t *testing.T, s *bookingstore.Store) bookWorld {
	t.Helper()
	ctx := context.Background()
	a := agency("Bokby kommun", fmt.Sprintf("2124%02d-0000", bookOrgs.Add(1)))
	if err := s.SaveAgency(ctx, a); err != nil {
		t.Fatal(err)
	}
	w := bookWorld{agency: a.ID, meetingType: core.NewID()}
	if err := s.SaveMeetingType(ctx, booking.MeetingType{ID: w.meetingType, AgencyID: a.ID, Name: booking.Text{SV: "Samtal", EN: "Call"},
		Duration: 30 * time.Minute, Modes: []booking.Mode{booking.Phone}, SlotStep: 30 * time.Minute, Horizon: 60 * 24 * time.Hour,
		CitizenBookable: true, MaxActivePerCitizen: 5, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	weekly := availability.WeeklyHours{{Weekday: time.Monday, Start: availability.At(8, 0), End: availability.At(12, 0), OfficeID: availability.Remote}}
	w.first, w.second = core.NewID(), core.NewID() // time-ordered ids: first < second
	for i, id := range []string{w.first, w.second} {
		if err := s.SaveStaffMember(ctx, booking.StaffMember{ID: id, AgencyID: a.ID, Name: fmt.Sprintf("Handläggare %d", i),
			MeetingTypeIDs: []string{w.meetingType}, Modes: []booking.Mode{booking.Phone},
			Schedule: availability.Schedule{Weekly: weekly}, CreatedAt: t0, UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func TestBookingWithAnOutdatedCache(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		stockholm, err := time.LoadLocation("Europe/Stockholm")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 9, 4, 10, 0, 0, 0, stockholm)
		monday := func(hour, minute int) time.Time { return time.Date(2026, 9, 7, hour, minute, 0, 0, stockholm) }
		one, other := bookingstore.New(d), bookingstore.New(d)
		w := newBookWorld(t, one)
		var created atomic.Int64
		svc := func(s *bookingstore.Store) booking.Service {
			return booking.NewService(s, bookClock(now), booking.WithCitizens(bookCitizens{&created}))
		}
		here, there := svc(one), svc(other)
		ctx := core.WithPrincipal(context.Background(), core.Principal{Kind: core.KindStaff, Subject: core.NewID(),
			Role: core.RoleCaseworker, AgencyID: w.agency})
		book := func(t *testing.T, s booking.Service, start time.Time, staffID string) (booking.Appointment, error) {
			t.Helper()
			return s.Book(ctx, booking.BookRequest{MeetingTypeID: w.meetingType, Mode: booking.Phone, Start: start,
				StaffID: staffID, Citizen: booking.CitizenRef{ID: core.NewID()}})
		}
		free := func(t *testing.T, s booking.Service, start time.Time) bool {
			t.Helper()
			res, err := s.Availability(ctx, booking.AvailabilityRequest{MeetingTypeID: w.meetingType, Mode: booking.Phone,
				From: start, To: start.Add(time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			return len(res.Slots) == 1
		}

		// The first staff member is booked at 10:00, the second at 11:00;
		// this process reads availability, so it holds both as busy then.
		ten, err := book(t, here, monday(10, 0), w.first)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := book(t, here, monday(11, 0), w.second); err != nil {
			t.Fatal(err)
		}
		if !free(t, here, monday(10, 0)) {
			t.Fatal("10:00 should still be free with the second staff member")
		}

		t.Run("a time freed by another process is bookable, by the rule's choice", func(t *testing.T) {
			// The other process cancels 10:00; this one's cache still
			// has the first staff member busy then. Both now have no
			// appointment at 10:00 and the first has fewer that day (0
			// against the second's 1), so the rule gives 10:00 to the first.
			if _, err := there.Cancel(ctx, booking.CancelRequest{ID: ten.ID, Reason: "test"}); err != nil {
				t.Fatal(err)
			}
			a, err := book(t, here, monday(10, 0), "")
			if err != nil {
				t.Fatal(err)
			}
			if a.StaffID != w.first {
				t.Fatalf("10:00 went to %s, want the first staff member %s (fewest appointments that day)", a.StaffID, w.first)
			}
		})

		t.Run("a time taken by another process is refused, then the next colleague", func(t *testing.T) {
			// This process reads 09:00 as free for both; the other books
			// the first staff member then. Asking for the first at 09:00
			// is refused as taken; asking for anyone gives the second.
			if !free(t, here, monday(9, 0)) {
				t.Fatal("09:00 should be free")
			}
			if _, err := book(t, there, monday(9, 0), w.first); err != nil {
				t.Fatal(err)
			}
			if _, err := book(t, here, monday(9, 0), w.first); !errors.Is(err, core.ErrConflict) {
				t.Fatalf("booking the first at 09:00 again: err = %v, want a conflict", err)
			}
			a, err := book(t, here, monday(9, 0), "")
			if err != nil {
				t.Fatal(err)
			}
			if a.StaffID != w.second {
				t.Fatalf("09:00 went to %s, want the second staff member %s", a.StaffID, w.second)
			}
			if _, err := book(t, here, monday(9, 0), ""); !errors.Is(err, core.ErrConflict) {
				t.Fatalf("a third booking at 09:00: err = %v, want a conflict", err)
			}
		})

		t.Run("a taken time is refused before a new citizen's record is made", func(t *testing.T) {
			// Booking for someone named by personal identity number may
			// create their record, so it must know the time is taken
			// first, however old this process's view.
			if !free(t, here, monday(8, 0)) {
				t.Fatal("08:00 should be free")
			}
			for _, staff := range []string{w.first, w.second} {
				if _, err := book(t, there, monday(8, 0), staff); err != nil {
					t.Fatal(err)
				}
			}
			before := created.Load()
			_, err := here.Book(ctx, booking.BookRequest{MeetingTypeID: w.meetingType, Mode: booking.Phone, Start: monday(8, 0),
				Citizen: booking.CitizenRef{PersonalIdentityNumber: "198001019802", Phone: "+46701234567"}})
			if !errors.Is(err, core.ErrConflict) {
				t.Fatalf("err = %v, want a conflict", err)
			}
			if n := created.Load() - before; n != 0 {
				t.Fatalf("%d citizen records would have been made for a refused booking", n)
			}
		})

		t.Run("a time outside the schedule is still refused as invalid", func(t *testing.T) {
			if _, err := book(t, here, monday(13, 0), ""); !errors.Is(err, core.ErrInvalid) {
				t.Fatalf("13:00: err = %v, want invalid", err)
			}
		})
	})
}
