// Package availability computes the bookable slots of a meeting type: pure
// code over plain values, with no storage, clock or transport. The booking
// service loads schedules and busy times from its store, builds a Query and
// calls Compute (or Days, for a calendar picker).
//
// # Time
//
// Schedules are written in the agency's local wall-clock time (Clock, Date,
// DateTime) and turned into instants per date with the agency's IANA zone, so
// 09:00 stays 09:00 on both sides of a daylight-saving change. Busy times and
// the returned slots are instants. A wall-clock range [S, E) on a date covers
// the instants from the first moment the clock shows S to the last moment
// before it shows E: on the spring-forward day a range that starts or ends in
// the missing hour starts or ends at the change, and on the fall-back day a
// range over the repeated hour covers both passes of it (a night shift really
// is an hour longer).
//
// # Rules
//
// Working time. A staff member works the weekly hours of the date's weekday,
// unless a DateException closes the date; the exception's hours are added
// (so "closed" plus hours replaces the day). Hours at an office serve every
// mode; Remote hours serve phone and video only. For in-person meetings only
// the hours at the slot's office count. On each date the hours that serve the
// query (all of them for phone and video, one office's for in person) are
// merged, so 08:00–12:00 plus 12:00–16:00 is one working interval 08:00–16:00.
// A meeting never crosses midnight.
//
// Closed time. Absences (per staff member), agency Closures and the Swedish
// holidays the agency has not opened (HolidayPolicy) remove time; they win
// over every kind of working hours, including a DateException.
//
// Buffers. Buffer time is work: the span [start−BufferBefore,
// end+BufferAfter) of a slot must lie inside one working interval and must
// not overlap anything busy. A Busy entry is the meeting itself plus the
// buffers it was booked with (copied from its meeting type when it was
// booked); it blocks [Start−BufferBefore, End+BufferAfter). The queried
// meeting type's buffers are never applied to other bookings, so
// neighbouring meetings' buffers never overlap each other.
//
// Grid. Slots start on a grid of MeetingRules.Step aligned to the start of the
// working interval in local wall-clock time: with hours from 08:10 and a
// 15-minute step, slots may start at 08:10, 08:25, ... A grid time that does
// not exist (spring forward) gives no slot; one that occurs twice (fall back)
// gives a slot for each occurrence, two different instants with different
// UTC offsets, never the same instant twice. An absence or booking does not
// shift the grid.
//
// Window. A slot is offered when its start t satisfies From ≤ t < To,
// t ≥ Now+MinNotice and t ≤ Now+Horizon, and at least one eligible staff
// member (serves the meeting type, offers the mode, works at the office for
// in person) is free as above. Holidays are those of
// github.com/rickar/cal/v2/se (the public holidays and the eves
// midsommarafton, julafton and nyårsafton) plus the Sunday holidays påskdagen
// and pingstdagen; every one is closed unless HolidayPolicy opens it.
//
// Slots list the free eligible staff in Query.Staff order, so the caller can
// pick one (or hide them from anonymous users). Days answers "which dates
// have any slot" and stops at the first slot of each date.
package availability
