package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// ScheduleStore is what the demo needs to write staff members and absences.
type ScheduleStore interface {
	SaveStaffMember(ctx context.Context, m booking.StaffMember) error
	SaveAbsence(ctx context.Context, a booking.Absence, at time.Time) error
}

func mtID(key string) string { return core.StableID("meeting-type/" + key) }

// week builds weekly hours: the same intervals on each of days.
func week(days []time.Weekday, office string, spans ...[2]availability.Clock) availability.WeeklyHours {
	var out availability.WeeklyHours
	for _, d := range days {
		for _, s := range spans {
			out = append(out, availability.WeeklyInterval{Weekday: d, Start: s[0], End: s[1], OfficeID: office})
		}
	}
	return out
}

var (
	weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	morning  = [2]availability.Clock{availability.At(8, 0), availability.At(12, 0)}
	after    = [2]availability.Clock{availability.At(13, 0), availability.At(16, 30)}
)

// StaffMembers are the demo's bookable staff: every mode at both agencies,
// lunch breaks, a part-timer, remote phone hours and one on vacation.
func StaffMembers() []booking.StaffMember {
	member := func(key, agency, account, name, title string, types []string, modes []booking.Mode, offices []string, weekly availability.WeeklyHours) booking.StaffMember {
		first := strings.ToLower(strings.Fields(name)[0])
		domain := "exempelby.se"
		if agency == VardcentralID {
			domain = "vardcentral.exempelby.se"
		}
		return booking.StaffMember{ID: core.StableID("staff-member/" + key), AgencyID: agency, AccountID: account,
			Name: name, Title: title, Email: first + "@" + domain, MeetingTypeIDs: types, Modes: modes, OfficeIDs: offices,
			Schedule: availability.Schedule{Weekly: weekly}, CreatedAt: epoch, UpdatedAt: epoch}
	}
	all := []booking.Mode{booking.Phone, booking.Video, booking.InPerson}
	social := mtID("exempelby/social-first-meeting")
	permit := mtID("exempelby/building-permit-advice")
	debt := mtID("exempelby/debt-counselling")
	elder := mtID("exempelby/elder-care-assessment")
	// Wednesday afternoons at Medborgarkontoret, the rest of the week remote.
	hanna := week(weekdays[:2], MedborgarkontoretID, morning, after)
	hanna = append(hanna, week([]time.Weekday{time.Wednesday}, MedborgarkontoretID, morning)...)
	hanna = append(hanna, week([]time.Weekday{time.Wednesday}, availability.Remote, after)...)
	hanna = append(hanna, week([]time.Weekday{time.Thursday, time.Friday}, availability.Remote, morning, after)...)
	return []booking.StaffMember{
		member("exempelby/hanna", ExempelbyID, core.StableID("staff/handlaggare@exempelby.se"), "Hanna Handläggare", "Socialsekreterare",
			[]string{social}, all, []string{MedborgarkontoretID}, hanna),
		member("exempelby/bertil", ExempelbyID, "", "Bertil Bygglov", "Bygglovshandläggare",
			[]string{permit}, all, []string{StadshusetID},
			week(weekdays, StadshusetID, [2]availability.Clock{availability.At(8, 30), availability.At(12, 0)},
				[2]availability.Clock{availability.At(13, 0), availability.At(16, 0)})),
		// Part-time: mornings Tuesday to Thursday.
		member("exempelby/dalia", ExempelbyID, "", "Dalia Dahl", "Budget- och skuldrådgivare",
			[]string{debt}, []booking.Mode{booking.Phone, booking.InPerson}, []string{MedborgarkontoretID},
			week([]time.Weekday{time.Tuesday, time.Wednesday, time.Thursday}, MedborgarkontoretID, morning)),
		member("exempelby/elin", ExempelbyID, "", "Elin Ek", "Biståndshandläggare",
			[]string{elder, social}, []booking.Mode{booking.Phone, booking.InPerson}, []string{MedborgarkontoretID},
			week(weekdays, MedborgarkontoretID, morning, after)),
		member("vardcentral/sara", VardcentralID, core.StableID("staff/sjukskoterska@vardcentral.exempelby.se"), "Sara Sjuksköterska", "Distriktssköterska",
			[]string{mtID("vardcentral/nurse-callback"), mtID("vardcentral/video-consultation")}, []booking.Mode{booking.Phone, booking.Video},
			[]string{VardcentralOfficeID}, week(weekdays, VardcentralOfficeID, [2]availability.Clock{availability.At(7, 30), availability.At(12, 0)}, after)),
		member("vardcentral/lars", VardcentralID, "", "Lars Läkare", "Specialist i allmänmedicin",
			[]string{mtID("vardcentral/doctor-visit"), mtID("vardcentral/video-consultation")}, all,
			[]string{VardcentralOfficeID}, week(weekdays, VardcentralOfficeID, morning, after)),
		member("vardcentral/maja", VardcentralID, "", "Maja Mattsson", "Läkare",
			[]string{mtID("vardcentral/doctor-visit")}, []booking.Mode{booking.InPerson},
			[]string{VardcentralOfficeID}, week([]time.Weekday{time.Monday, time.Wednesday, time.Friday}, VardcentralOfficeID, morning, after)),
	}
}

// loadSchedules writes the demo staff members and puts Elin on vacation the
// week after the first load. Existing absences are left alone.
func loadSchedules(ctx context.Context, s ScheduleStore, now time.Time) error {
	for _, m := range StaffMembers() {
		if err := s.SaveStaffMember(ctx, m); err != nil {
			return fmt.Errorf("demo staff member %s: %w", m.Name, err)
		}
	}
	loc, _ := time.LoadLocation("Europe/Stockholm")
	today := availability.DateOf(now.In(loc))
	monday := today.AddDays((8 - int(today.Weekday())) % 7)
	if monday == today {
		monday = today.AddDays(7)
	}
	vacation := booking.Absence{ID: core.StableID("absence/exempelby/elin/vacation"), StaffID: core.StableID("staff-member/exempelby/elin"),
		Absence: availability.Absence{Kind: availability.Vacation,
			Start: availability.DateTime{Date: monday, Clock: 0}, End: availability.DateTime{Date: monday.AddDays(4), Clock: availability.EndOfDay}}}
	if err := s.SaveAbsence(ctx, vacation, epoch); err != nil && !errors.Is(err, core.ErrConflict) {
		return fmt.Errorf("demo vacation: %w", err)
	}
	return nil
}
