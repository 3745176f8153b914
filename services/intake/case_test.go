package intake

import (
	"testing"
	"time"
)

func TestOverdue(t *testing.T) {
	due := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	contacted := due.Add(-time.Hour)
	tests := []struct {
		name string
		c    Case
		now  time.Time
		want bool
	}{
		{"at_the_first_contact_deadline_is_not_late", Case{Status: Submitted, FirstContactDue: due, ResolutionDue: due.Add(48 * time.Hour)}, due, false},
		{"past_it_without_contact_is_late", Case{Status: Submitted, FirstContactDue: due, ResolutionDue: due.Add(48 * time.Hour)}, due.Add(time.Second), true},
		{"past_it_after_contact_is_not", Case{Status: Assigned, FirstContactDue: due, ResolutionDue: due.Add(48 * time.Hour), FirstContactAt: &contacted}, due.Add(time.Hour), false},
		{"past_the_resolution_deadline_is_late", Case{Status: InProgress, FirstContactDue: due, ResolutionDue: due, FirstContactAt: &contacted}, due.Add(time.Second), true},
		{"waiting_for_the_citizen_still_counts", Case{Status: WaitingForCitizen, FirstContactDue: due, ResolutionDue: due, FirstContactAt: &contacted}, due.Add(time.Second), true},
		{"resolved_is_never_late", Case{Status: Resolved, FirstContactDue: due, ResolutionDue: due}, due.Add(time.Hour), false},
		{"closed_is_never_late", Case{Status: Closed, FirstContactDue: due, ResolutionDue: due}, due.Add(time.Hour), false},
		{"withdrawn_is_never_late", Case{Status: Withdrawn, FirstContactDue: due, ResolutionDue: due}, due.Add(time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Overdue(tt.now); got != tt.want {
				t.Fatalf("Overdue = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCanMoveTo(t *testing.T) {
	tests := []struct {
		name string
		c    Case
		to   Status
		want bool
	}{
		{"waiting_goes_back_to_submitted_when_it_came_from_there", Case{Status: WaitingForCitizen, ResumeStatus: Submitted}, Submitted, true},
		{"waiting_does_not_go_back_to_where_it_did_not_come_from", Case{Status: WaitingForCitizen, ResumeStatus: Assigned}, Submitted, false},
		{"waiting_goes_on", Case{Status: WaitingForCitizen, ResumeStatus: Submitted}, InProgress, true},
		{"the_table_holds_elsewhere", Case{Status: Closed, ResumeStatus: Submitted}, Submitted, false},
		{"no_status_moves_to_itself", Case{Status: Triaged}, Triaged, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.CanMoveTo(tt.to); got != tt.want {
				t.Fatalf("CanMoveTo(%s) from %s = %v, want %v", tt.to, tt.c.Status, got, tt.want)
			}
		})
	}
}

func TestMeetingsMoveOpenCasesOnly(t *testing.T) {
	for _, s := range Statuses {
		c := Case{Status: s}
		if got, want := c.followsMeeting(Scheduled), s.Open() && s != Scheduled; got != want {
			t.Errorf("a %s case follows a booked meeting: %v, want %v", s, got, want)
		}
	}
}

func TestReferencesAndPrefixes(t *testing.T) {
	for q, want := range map[string]bool{
		"EXB-2026-000123": true, "exb-2026-000123": true, "ABCDEF-2027-000001": true,
		"EXB-2026-00012": false, "EXB-26-000123": false, "E-2026-000123": false, "bygglov": false, "EXB-2026-000123 ": false,
	} {
		if got := IsReference(q); got != want {
			t.Errorf("IsReference(%q) = %v, want %v", q, got, want)
		}
	}
	for name, want := range map[string]string{
		"Exempelby kommun": "EXE", "Vårdcentral Exempelby": "VAR", "Örebro kommun": "ORE", "Å": "AX", "Ö1": "OX",
	} {
		if got := defaultPrefix(name); got != want {
			t.Errorf("defaultPrefix(%q) = %q, want %q", name, got, want)
		}
	}
}
