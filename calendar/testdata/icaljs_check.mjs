// Reads iCalendar documents with ical.js, a parser independent of go-ical, and
// prints what it understood, for calendar's Go tests (icaljs_test.go) to compare.
//
// stdin:  [{"name": "...", "ics": "...", "probes": ["20260329T030000", ...]}, ...]
// stdout: [{"name", "method", "uid", "sequence", "status", "tzid", "start", "end",
//           "summary", "description", "location", "organizer", "attendees",
//           "probes": [unix seconds of each probe, a wall-clock time in the DTSTART's
//                      zone, as the document's VTIMEZONE resolves it]}]
//
// Each document is read with only its own VTIMEZONEs registered: ical.js knows
// no zone database, so every local time is resolved through the VTIMEZONE the
// document carries. A TZID left unresolved is an error, not a floating time.
import ICAL from 'ical.js';
import { readFileSync } from 'node:fs';

const input = JSON.parse(readFileSync(0, 'utf8'));
const utc = ICAL.Timezone.utcTimezone;

function unix(time, what) {
  if (time.zone !== utc && !(time.zone && time.zone.component)) {
    throw new Error(`${what}: zone ${time.zone && time.zone.tzid} is not from a VTIMEZONE`);
  }
  return time.toUnixTime();
}

function person(prop) {
  if (!prop) return null;
  return { cn: prop.getParameter('cn') ?? '', value: prop.getFirstValue() };
}

const out = input.map(({ name, ics, probes }) => {
  ICAL.TimezoneService.reset();
  const cal = new ICAL.Component(ICAL.parse(ics));
  const zones = cal.getAllSubcomponents('vtimezone').map((c) => new ICAL.Timezone(c));
  for (const z of zones) ICAL.TimezoneService.register(z);

  const vevent = cal.getFirstSubcomponent('vevent');
  if (!vevent) throw new Error(`${name}: no VEVENT`);
  const ev = new ICAL.Event(vevent);
  const startProp = vevent.getFirstProperty('dtstart');
  const tzid = startProp.getParameter('tzid') ?? '';
  if (tzid && !ICAL.TimezoneService.has(tzid)) {
    throw new Error(`${name}: TZID ${tzid} has no VTIMEZONE in the document`);
  }

  // Local to UTC is the direction DTSTART takes. (ical.js's UTC-to-local
  // conversion is approximate within an hour of a transition, so it is not
  // what is probed.)
  const zone = tzid ? ICAL.TimezoneService.get(tzid) : utc;
  const resolved = (probes ?? []).map((p) => {
    const n = (from, to) => Number(p.slice(from, to));
    const t = new ICAL.Time({
      year: n(0, 4), month: n(4, 6), day: n(6, 8), hour: n(9, 11), minute: n(11, 13), second: n(13, 15), isDate: false,
    }, zone);
    return unix(t, `${name} probe ${p}`);
  });

  return {
    name,
    method: cal.getFirstPropertyValue('method') ?? '',
    uid: ev.uid,
    sequence: ev.sequence,
    status: vevent.getFirstPropertyValue('status') ?? '',
    tzid,
    start: unix(ev.startDate, `${name} DTSTART`),
    end: unix(ev.endDate, `${name} DTEND`),
    summary: ev.summary ?? '',
    description: ev.description ?? '',
    location: ev.location ?? '',
    organizer: person(vevent.getFirstProperty('organizer')),
    attendees: vevent.getAllProperties('attendee').map(person),
    probes: resolved,
  };
});

process.stdout.write(JSON.stringify(out));
