package notifyapi_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/services/notify"
)

// remind runs the reminder planner once and returns how many appointments
// it reminded of.
func (e *env) remind(t *testing.T) int {
	t.Helper()
	n, err := e.server.Notifier.SendReminders(context.Background())
	if err != nil {
		t.Fatalf("send reminders: %v", err)
	}
	return n
}

// reminders returns the stored reminders of an appointment by channel.
func (e *env) reminders(t *testing.T, appointmentID string) map[string][]notify.StoredMessage {
	t.Helper()
	out := map[string][]notify.StoredMessage{}
	for _, m := range e.messages(t, "") {
		if strings.HasPrefix(m.DedupeKey, "reminder:"+appointmentID+":") {
			out[m.Channel] = append(out[m.Channel], m)
		}
	}
	return out
}

func TestRemindersGoOutOnceADayBeforeTheMeeting(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d) // no gateway configured: texts go to files
		karin := e.signInCitizen(t, "karin@example.se", "sv")
		wantStatus(t, e.call(t, "PATCH", "/v1/me", karin.Token, map[string]any{"phone": "070-123 45 67", "notify_sms": true}), http.StatusOK)
		olle := map[string]string{"email": "olle@example.se", "name": "Olle Berg"} // e-mail only

		kept := e.book(t, local(time.March, 25, 10, 0), map[string]string{"id": karin.ID})
		cancelled := e.book(t, local(time.March, 25, 13, 0), map[string]string{"id": karin.ID})
		moved := e.book(t, local(time.March, 25, 11, 0), olle)
		e.deliver(t)
		e.act(t, cancelled.ID, "cancel", map[string]string{"reason": "Dubbelbokat"})
		e.act(t, moved.ID, "reschedule", map[string]string{"start": local(time.March, 30, 11, 0).Format(time.RFC3339)})
		e.deliver(t)

		t.Run("nothing 25 hours before", func(t *testing.T) {
			e.clock.Set(kept.start(t).Add(-25 * time.Hour))
			if n := e.remind(t); n != 0 {
				t.Fatalf("reminded of %d meetings", n)
			}
		})

		t.Run("one e-mail and one text 23 hours before, for the citizen's channels", func(t *testing.T) {
			// Also past the moved meeting's old reminder time (Wednesday 11:00).
			e.clock.Set(kept.start(t).Add(-23 * time.Hour))
			if n := e.remind(t); n != 1 {
				t.Fatalf("reminded of %d meetings, want 1", n)
			}
			got := e.reminders(t, kept.ID)
			if len(got[notify.ChannelEmail]) != 1 || len(got[notify.ChannelSMS]) != 1 {
				t.Fatalf("stored reminders %v, want one e-mail and one text", got)
			}
			before := len(e.mailTo(karin.Email))
			e.deliver(t)
			mails := e.mailTo(karin.Email)[before:]
			if len(mails) != 1 || mails[0].Subject != "Påminnelse: Bygglovsrådgivning, torsdag 25 mars 2027 kl. 10.00–10.30" ||
				mails[0].CalendarPart() != nil {
				t.Fatalf("reminder mails %d: %v", len(mails), subjects(mails))
			}
			var texts []string
			for _, s := range smsFiles(t, e.dataDir) {
				if strings.Contains(s, "Påminnelse") {
					texts = append(texts, s)
				}
			}
			if len(texts) != 1 || !strings.Contains(texts[0], "To: +46701234567") || !strings.Contains(texts[0], "Påminnelse: Exempelby kommun, 25 mar kl 10.00") {
				t.Fatalf("texts written: %q", texts)
			}
		})

		t.Run("a second run stores nothing more", func(t *testing.T) {
			count := len(e.messages(t, ""))
			if n := e.remind(t); n != 0 {
				t.Fatalf("reminded again of %d", n)
			}
			e.clock.Advance(time.Hour)
			if n := e.remind(t); n != 0 || len(e.messages(t, "")) != count {
				t.Fatalf("reminded again of %d; %d messages stored, had %d", n, len(e.messages(t, "")), count)
			}
		})

		t.Run("a cancelled meeting gets none", func(t *testing.T) {
			e.clock.Set(cancelled.start(t).Add(-time.Hour))
			if n := e.remind(t); n != 0 || len(e.reminders(t, cancelled.ID)) != 0 {
				t.Fatalf("reminded of %d; reminders %v", n, e.reminders(t, cancelled.ID))
			}
		})

		t.Run("a moved meeting gets one, for its new time only", func(t *testing.T) {
			if got := e.reminders(t, moved.ID); len(got) != 0 {
				t.Fatalf("reminded for the old time: %v", got)
			}
			newStart := local(time.March, 30, 11, 0)
			e.clock.Set(newStart.Add(-25 * time.Hour))
			if n := e.remind(t); n != 0 {
				t.Fatalf("reminded 25 hours before the new time")
			}
			e.clock.Set(newStart.Add(-23 * time.Hour))
			if n := e.remind(t); n != 1 {
				t.Fatalf("reminded of %d, want the moved meeting", n)
			}
			got := e.reminders(t, moved.ID)
			if len(got[notify.ChannelEmail]) != 1 || len(got[notify.ChannelSMS]) != 0 {
				t.Fatalf("reminders %v, want one e-mail (Olle allowed no texts)", got)
			}
			if m := got[notify.ChannelEmail][0]; !strings.HasSuffix(m.DedupeKey, ":1:citizen") || !strings.Contains(m.Subject, "tisdag 30 mars 2027 kl. 11.00") {
				t.Fatalf("reminder %s %q, want the new version's", m.DedupeKey, m.Subject)
			}
		})

		t.Run("a reminder planned before a move the pump has not read yet waits for the new time", func(t *testing.T) {
			a := e.book(t, local(time.April, 6, 10, 0), olle)
			e.deliver(t)
			later := local(time.April, 8, 10, 0)
			e.act(t, a.ID, "reschedule", map[string]string{"start": later.Format(time.RFC3339)})
			// The reminder planner runs before notify has read the move.
			e.clock.Set(local(time.April, 5, 11, 0))
			if n := e.remind(t); n != 0 {
				t.Fatalf("reminded of the moved meeting %s early", later.Sub(e.clock.Now()))
			}
			e.deliver(t)
			e.clock.Set(later.Add(-23 * time.Hour))
			if n := e.remind(t); n != 1 || len(e.reminders(t, a.ID)[notify.ChannelEmail]) != 1 {
				t.Fatalf("reminded of %d at the new time; reminders %v", n, e.reminders(t, a.ID))
			}
		})
	})
}

func subjects(ms []*inbound) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Subject
	}
	return out
}

// smsFiles reads the texts the file gateway wrote, oldest first.
func smsFiles(t *testing.T, dataDir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dataDir, "sms"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, en := range entries {
		b, err := os.ReadFile(filepath.Join(dataDir, "sms", en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// The reminder's lead time is the meeting type's: two hours for one, none
// at all for another.
func TestReminderLeadTimeIsPerMeetingType(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		setReminder := func(minutes int) {
			t.Helper()
			if _, err := d.ExecContext(context.Background(), d.Rebind(`UPDATE booking_meeting_types SET reminder_minutes = ? WHERE id = ?`),
				minutes, permitAdvice); err != nil {
				t.Fatal(err)
			}
		}
		setReminder(120)
		soon := e.book(t, local(time.March, 25, 10, 0), map[string]string{"email": "tva@example.se", "name": "Två Timmar"})
		e.deliver(t)
		e.clock.Set(soon.start(t).Add(-3 * time.Hour))
		if n := e.remind(t); n != 0 {
			t.Fatalf("reminded %d meetings three hours ahead, with a two-hour lead time", n)
		}
		e.clock.Set(soon.start(t).Add(-90 * time.Minute))
		if n := e.remind(t); n != 1 || len(e.reminders(t, soon.ID)[notify.ChannelEmail]) != 1 {
			t.Fatalf("reminded %d meetings 90 minutes ahead, want the one", n)
		}

		setReminder(0)
		none := e.book(t, local(time.March, 30, 10, 0), map[string]string{"email": "ingen@example.se", "name": "Ingen Påminnelse"})
		e.deliver(t)
		e.clock.Set(none.start(t).Add(-time.Hour))
		e.remind(t)
		if got := e.reminders(t, none.ID); len(got) != 0 {
			t.Fatalf("a meeting type without reminders got %v", got)
		}
	})
}
