package availability

import (
	"fmt"
	"time"

	"github.com/tidbok/tidbok/core"
)

// MeetingRules are the parts of a meeting type that decide its slots.
type MeetingRules struct {
	MeetingTypeID string
	Duration      time.Duration // the meeting itself
	BufferBefore  time.Duration // preparation, kept free before the meeting
	BufferAfter   time.Duration // notes and follow-up, kept free after it
	Step          time.Duration // distance between possible starts, e.g. 15 min
	MinNotice     time.Duration // a slot starts at least this long after now
	Horizon       time.Duration // and at most this long after now
	Modes         []Mode        // the modes the meeting type allows
}

// Limits of MeetingRules.
const (
	MaxBuffer  = 4 * time.Hour
	MaxNotice  = 90 * 24 * time.Hour
	MaxHorizon = 2 * 365 * 24 * time.Hour
)

// Allows reports whether the rules allow mode m.
func (r MeetingRules) Allows(m Mode) bool {
	for _, have := range r.Modes {
		if have == m {
			return true
		}
	}
	return false
}

// Validate checks every field and reports all that are wrong. Durations are
// whole minutes because schedules are.
func (r MeetingRules) Validate() error {
	var v core.Validator
	wholeMinutes := func(d, lo, hi time.Duration) bool { return d >= lo && d <= hi && d%time.Minute == 0 }
	v.Check(core.ValidID(r.MeetingTypeID), "meeting_type_id", "must be a UUID")
	v.Check(wholeMinutes(r.Duration, 5*time.Minute, 8*time.Hour), "duration_minutes", "must be whole minutes between 5 and 480")
	v.Check(wholeMinutes(r.BufferBefore, 0, MaxBuffer), "buffer_before_minutes", "must be whole minutes between 0 and 240")
	v.Check(wholeMinutes(r.BufferAfter, 0, MaxBuffer), "buffer_after_minutes", "must be whole minutes between 0 and 240")
	v.Check(wholeMinutes(r.Step, 5*time.Minute, 8*time.Hour), "slot_step_minutes", "must be whole minutes between 5 and 480")
	v.Check(wholeMinutes(r.MinNotice, 0, MaxNotice), "minimum_notice_minutes", "must be whole minutes between 0 and 90 days")
	v.Check(wholeMinutes(r.Horizon, time.Hour, MaxHorizon), "booking_horizon_minutes", "must be whole minutes between 1 hour and 730 days")
	v.Check(r.Horizon > r.MinNotice, "booking_horizon_minutes", "must be longer than the minimum notice")
	v.Check(len(r.Modes) > 0, "modes", "must allow at least one of phone, video, in_person")
	seen := map[Mode]bool{}
	for i, m := range r.Modes {
		v.Check(m.Valid(), fmt.Sprintf("modes[%d]", i), "must be one of phone, video, in_person")
		v.Check(!seen[m], fmt.Sprintf("modes[%d]", i), "is listed twice")
		seen[m] = true
	}
	return v.Err()
}
