package notify

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// The words of every message, in Swedish and English. Times are written in
// the agency's zone, as the citizen will live them.

var weekdaysSV = []string{"söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"}
var monthsSV = []string{"", "januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"}

func local(a AppointmentInfo, t time.Time) time.Time {
	if loc, err := location(a.TimeZone); err == nil {
		return t.In(loc)
	}
	return t
}

// zones caches loaded locations: time.LoadLocation reads the zone database
// from disk on every call, and every message needs its zone several times.
var zones sync.Map // name → *time.Location

func location(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}

func when(lang string, a AppointmentInfo) string {
	s, e := local(a, a.Start), local(a, a.End)
	if lang == "en" {
		return s.Format("Monday 2 January 2006, 15:04") + "–" + e.Format("15:04")
	}
	return fmt.Sprintf("%s %d %s %d kl. %s–%s", weekdaysSV[s.Weekday()], s.Day(), monthsSV[s.Month()], s.Year(),
		s.Format("15.04"), e.Format("15.04"))
}

func meetingName(lang string, a AppointmentInfo) string {
	switch {
	case lang == "en" && a.MeetingTypeEN != "":
		return a.MeetingTypeEN
	case a.MeetingTypeSV != "":
		return a.MeetingTypeSV
	case lang == "en":
		// The meeting type was retired since the booking: booking no
		// longer lists it, but the meeting still needs a name.
		return "Meeting"
	}
	return "Möte"
}

func locationText(lang string, a AppointmentInfo) string {
	switch a.Mode {
	case "video":
		if lang == "en" {
			return "Video meeting: " + a.VideoURL
		}
		return "Videomöte: " + a.VideoURL
	case "phone":
		if a.PhoneDirection == "citizen_calls" {
			if lang == "en" {
				return "Phone: you call us"
			}
			return "Telefon: du ringer oss"
		}
		if lang == "en" {
			return "Phone: we call you on " + a.PhoneNumber
		}
		return "Telefon: vi ringer dig på " + a.PhoneNumber
	}
	place := strings.TrimSpace(a.OfficeName + ", " + a.OfficeAddress)
	if a.Room != "" {
		if lang == "en" {
			place += ", room " + a.Room
		} else {
			place += ", rum " + a.Room
		}
	}
	return strings.Trim(place, ", ")
}

func description(lang string, a AppointmentInfo) string {
	var b strings.Builder
	desc := a.DescriptionSV
	if lang == "en" && a.DescriptionEN != "" {
		desc = a.DescriptionEN
	}
	if desc != "" {
		b.WriteString(desc + "\n\n")
	}
	if a.StaffName != "" {
		if lang == "en" {
			b.WriteString("You meet: " + a.StaffName + "\n")
		} else {
			b.WriteString("Du träffar: " + a.StaffName + "\n")
		}
	}
	b.WriteString(locationText(lang, a) + "\n")
	if bring := whatToBring(lang, a); bring != "" && a.Status != "cancelled" {
		b.WriteString(pick(lang, "Ta med: ", "Bring: ") + bring + "\n")
	}
	if a.InterpreterLanguage != "" {
		if lang == "en" {
			b.WriteString("An interpreter is booked: " + a.InterpreterLanguage + "\n")
		} else {
			b.WriteString("Tolk är bokad: " + a.InterpreterLanguage + "\n")
		}
	}
	if a.Mode == "in_person" && a.AccessibilityNotes != "" {
		if lang == "en" {
			b.WriteString("Accessibility: " + a.AccessibilityNotes + "\n")
		} else {
			b.WriteString("Tillgänglighet: " + a.AccessibilityNotes + "\n")
		}
	}
	link := a.manageURL
	switch {
	case a.Status == "cancelled":
		link = "" // nothing is left to manage
	case link != "" && lang == "en":
		link += "?lang=en" // the page is Swedish unless asked
	}
	switch {
	case link != "" && lang == "en":
		b.WriteString("\nSee, move or cancel the meeting here, without signing in: " + link)
	case link != "":
		b.WriteString("\nSe, flytta eller avboka mötet här, utan att logga in: " + link)
	case lang == "en":
		b.WriteString("\nTo move or cancel the meeting, sign in to " + a.AgencyName + "'s booking page, or reply to this e-mail.")
	default:
		b.WriteString("\nVill du flytta eller avboka mötet? Logga in på " + a.AgencyName + "s bokningssida eller svara på det här mejlet.")
	}
	return b.String()
}

// whatToBring is the meeting type's list of things to bring in lang, or in
// the other language when lang's is empty: a line in the wrong language
// helps more than none. Line breaks fold to spaces, to keep it one line.
func whatToBring(lang string, a AppointmentInfo) string {
	first, second := a.WhatToBringSV, a.WhatToBringEN
	if lang == "en" {
		first, second = second, first
	}
	s := strings.TrimSpace(first)
	if s == "" {
		s = strings.TrimSpace(second)
	}
	return strings.Join(strings.Fields(s), " ")
}

// invitationText is the citizen's wording of an invitation: their meeting
// with the agency, when and where, and how to change it.
func invitationText(lang, eventType string, a AppointmentInfo) (subject, text string) {
	name := meetingName(lang, a)
	w := when(lang, a)
	switch {
	case eventType == "appointment.cancelled" && lang == "en":
		subject = "Cancelled: " + name + ", " + w
		text = fmt.Sprintf("The meeting %s with %s on %s is cancelled.", name, a.AgencyName, w)
		if a.CancelReason != "" {
			text += "\n\nReason: " + a.CancelReason
		}
		return subject, text
	case eventType == "appointment.cancelled":
		subject = "Avbokat: " + name + ", " + w
		text = fmt.Sprintf("Mötet %s med %s %s är avbokat.", name, a.AgencyName, w)
		if a.CancelReason != "" {
			text += "\n\nAnledning: " + a.CancelReason
		}
		return subject, text
	case eventType == "appointment.rescheduled" && lang == "en":
		subject = "New time: " + name + ", " + w
		text = fmt.Sprintf("Your meeting with %s has a new time: %s.", a.AgencyName, w)
	case eventType == "appointment.rescheduled":
		subject = "Ny tid: " + name + ", " + w
		text = fmt.Sprintf("Ditt möte med %s har fått en ny tid: %s.", a.AgencyName, w)
	case lang == "en":
		subject = "Booked: " + name + ", " + w
		text = fmt.Sprintf("Your meeting with %s is booked: %s.", a.AgencyName, w)
	default:
		subject = "Bokat: " + name + ", " + w
		text = fmt.Sprintf("Ditt möte med %s är bokat: %s.", a.AgencyName, w)
	}
	return subject, text + "\n\n" + description(lang, a)
}

// citizenLabel names the citizen to staff; a citizen booked by e-mail or
// phone alone may have no name on record.
func citizenLabel(lang, name string) string {
	switch {
	case strings.TrimSpace(name) != "":
		return name
	case lang == "en":
		return "a citizen"
	}
	return "en medborgare"
}

// staffInvitationText is the staff member's wording, in their language: who
// they meet, for what, when and where. Staff keep their own calendars, so
// there is nothing about changing the meeting through a link.
func staffInvitationText(lang, eventType string, a AppointmentInfo, citizenName string) (subject, text string) {
	name := meetingName(lang, a)
	who := citizenLabel(lang, citizenName)
	w := when(lang, a)
	en := lang == "en"
	switch eventType {
	case "appointment.cancelled":
		if en {
			subject = fmt.Sprintf("Cancelled: %s with %s, %s", name, who, w)
			text = fmt.Sprintf("The meeting with %s (%s) on %s is cancelled.", who, name, w)
		} else {
			subject = fmt.Sprintf("Avbokat: %s med %s, %s", name, who, w)
			text = fmt.Sprintf("Mötet med %s (%s) %s är avbokat.", who, name, w)
		}
		if a.CancelReason != "" {
			text += "\n\n" + pick(lang, "Anledning: ", "Reason: ") + a.CancelReason
		}
		return subject, text
	case "appointment.rescheduled":
		if en {
			subject = fmt.Sprintf("New time: %s with %s, %s", name, who, w)
			text = fmt.Sprintf("The meeting with %s (%s) has a new time: %s.", who, name, w)
		} else {
			subject = fmt.Sprintf("Ny tid: %s med %s, %s", name, who, w)
			text = fmt.Sprintf("Mötet med %s (%s) har fått en ny tid: %s.", who, name, w)
		}
	default:
		if en {
			subject = fmt.Sprintf("Booked: %s with %s, %s", name, who, w)
			text = fmt.Sprintf("You have a new meeting with %s: %s, %s.", who, name, w)
		} else {
			subject = fmt.Sprintf("Bokat: %s med %s, %s", name, who, w)
			text = fmt.Sprintf("Du har fått ett nytt möte med %s: %s, %s.", who, name, w)
		}
	}
	return subject, text + "\n\n" + staffDescription(lang, a, citizenName)
}

// pick returns the Swedish or the English of a phrase.
func pick(lang, sv, en string) string {
	if lang == "en" {
		return en
	}
	return sv
}

// staffHandoverText tells a staff member that a meeting they had moved to a
// colleague; a is the meeting as they knew it.
func staffHandoverText(lang string, a AppointmentInfo, citizenName string) (subject, text string) {
	name := meetingName(lang, a)
	who := citizenLabel(lang, citizenName)
	w := when(lang, a)
	if lang == "en" {
		subject = fmt.Sprintf("Moved to a colleague: %s with %s, %s", name, who, w)
		text = fmt.Sprintf("The meeting with %s (%s) on %s has moved to a new time with a colleague. It is removed from your calendar.", who, name, w)
		return subject, text
	}
	subject = fmt.Sprintf("Flyttat till en kollega: %s med %s, %s", name, who, w)
	text = fmt.Sprintf("Mötet med %s (%s) %s har flyttats till en ny tid hos en kollega. Det tas bort ur din kalender.", who, name, w)
	return subject, text
}

// staffSummary is the staff member's calendar title: the meeting and who
// comes to it.
func staffSummary(lang string, a AppointmentInfo, citizenName string) string {
	return meetingName(lang, a) + " – " + citizenLabel(lang, citizenName)
}

// staffDescription is what the staff member needs before the meeting.
func staffDescription(lang string, a AppointmentInfo, citizenName string) string {
	var b strings.Builder
	b.WriteString(pick(lang, "Medborgare: ", "Citizen: ") + citizenLabel(lang, citizenName) + "\n")
	b.WriteString(pick(lang, "Mötestyp: ", "Meeting type: ") + meetingName(lang, a) + "\n")
	b.WriteString(staffLocationText(lang, a) + "\n")
	if bring := whatToBring(lang, a); bring != "" {
		b.WriteString(pick(lang, "Medborgaren tar med: ", "The citizen brings: ") + bring + "\n")
	}
	if a.InterpreterLanguage != "" {
		b.WriteString(pick(lang, "Tolk är bokad: ", "An interpreter is booked: ") + a.InterpreterLanguage + "\n")
	}
	b.WriteString(pick(lang, "\nMötet finns i Tidbok hos "+a.AgencyName+".", "\nThe meeting is in Tidbok at "+a.AgencyName+"."))
	return b.String()
}

// staffLocationText is where the meeting is, seen from the staff member's side.
func staffLocationText(lang string, a AppointmentInfo) string {
	switch a.Mode {
	case "phone":
		if a.PhoneDirection == "citizen_calls" {
			return pick(lang, "Telefon: medborgaren ringer dig", "Phone: the citizen calls you")
		}
		return pick(lang, "Telefon: ring medborgaren på ", "Phone: call the citizen on ") + a.PhoneNumber
	case "video":
		return pick(lang, "Videomöte: ", "Video meeting: ") + a.VideoURL
	}
	return locationText(lang, a)
}

func reminderText(lang string, a AppointmentInfo) (subject, text string) {
	name := meetingName(lang, a)
	if lang == "en" {
		return "Reminder: " + name + ", " + when(lang, a),
			fmt.Sprintf("A reminder of your meeting with %s: %s.\n\n%s", a.AgencyName, when(lang, a), description(lang, a))
	}
	return "Påminnelse: " + name + ", " + when(lang, a),
		fmt.Sprintf("En påminnelse om ditt möte med %s: %s.\n\n%s", a.AgencyName, when(lang, a), description(lang, a))
}

func followUpText(lang, eventType string, a AppointmentInfo) (subject, text string) {
	name := meetingName(lang, a)
	switch {
	case eventType == "appointment.noshow" && lang == "en":
		return "We missed you: " + name, fmt.Sprintf("You were booked for %s with %s on %s, but we did not meet. Book a new time when it suits you.", name, a.AgencyName, when(lang, a))
	case eventType == "appointment.noshow":
		return "Vi missade dig: " + name, fmt.Sprintf("Du var bokad till %s hos %s %s, men vi möttes inte. Boka en ny tid när det passar dig.", name, a.AgencyName, when(lang, a))
	case lang == "en":
		return "Thank you for the meeting", fmt.Sprintf("Thank you for meeting %s on %s.", a.AgencyName, when(lang, a))
	}
	return "Tack för mötet", fmt.Sprintf("Tack för att du träffade %s %s.", a.AgencyName, when(lang, a))
}

func smsConfirmation(lang string, a AppointmentInfo) string {
	s := local(a, a.Start)
	if lang == "en" {
		return fmt.Sprintf("Booked: %s, %s %s. %s", a.AgencyName, s.Format("2 Jan"), s.Format("15:04"), shortPlace(lang, a))
	}
	return fmt.Sprintf("Bokat: %s, %d %s kl %s. %s", a.AgencyName, s.Day(), monthsSV[s.Month()][:3], s.Format("15.04"), shortPlace(lang, a))
}

func smsReminder(lang string, a AppointmentInfo) string {
	s := local(a, a.Start)
	if lang == "en" {
		return fmt.Sprintf("Reminder: %s, %s %s. %s", a.AgencyName, s.Format("2 Jan"), s.Format("15:04"), shortPlace(lang, a))
	}
	return fmt.Sprintf("Påminnelse: %s, %d %s kl %s. %s", a.AgencyName, s.Day(), monthsSV[s.Month()][:3], s.Format("15.04"), shortPlace(lang, a))
}

func shortPlace(lang string, a AppointmentInfo) string {
	switch a.Mode {
	case "phone":
		if lang == "en" {
			return "We call you."
		}
		return "Vi ringer dig."
	case "video":
		if lang == "en" {
			return "Video link in your e-mail."
		}
		return "Videolänk i ditt mejl."
	}
	return a.OfficeName + "."
}

var statusSV = map[string]string{
	"submitted": "mottaget", "triaged": "under bedömning", "assigned": "tilldelat en handläggare", "scheduled": "ett möte är bokat",
	"in_progress": "pågår", "waiting_for_citizen": "väntar på dig", "resolved": "avslutat", "closed": "stängt", "withdrawn": "återkallat",
}

var statusEN = map[string]string{
	"submitted": "received", "triaged": "being assessed", "assigned": "assigned to a caseworker", "scheduled": "a meeting is booked",
	"in_progress": "in progress", "waiting_for_citizen": "waiting for you", "resolved": "resolved", "closed": "closed", "withdrawn": "withdrawn",
}

func caseUpdateText(lang, eventType, reference, subject, kind, statusTo, body, baseURL string) (string, string) {
	if lang == "en" {
		text := fmt.Sprintf("There is news in your case %s (%s).", reference, subject)
		if eventType == "case.submitted" {
			text = fmt.Sprintf("We have received your case %s (%s).", reference, subject)
		}
		if kind == "status" && statusTo != "" {
			text += "\n\nStatus: " + statusEN[statusTo]
		}
		if body != "" {
			text += "\n\n" + body
		}
		return "Your case " + reference, text + "\n\nSee the whole case when you sign in: " + baseURL
	}
	text := fmt.Sprintf("Det finns nyheter i ditt ärende %s (%s).", reference, subject)
	if eventType == "case.submitted" {
		text = fmt.Sprintf("Vi har tagit emot ditt ärende %s (%s).", reference, subject)
	}
	if kind == "status" && statusTo != "" {
		text += "\n\nStatus: " + statusSV[statusTo]
	}
	if body != "" {
		text += "\n\n" + body
	}
	return "Ditt ärende " + reference, text + "\n\nSe hela ärendet när du loggar in: " + baseURL
}

// gsm7 is the GSM 03.38 default alphabet: texts made of it fit 160
// characters a message and show right on every phone.
const gsm7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// smsLength is how many characters of the GSM 7-bit alphabet one text
// message holds; a longer text is split in parts and billed per part.
const smsLength = 160

// fitSMS cuts s (already GSM-7-safe) to one text message.
func fitSMS(s string) string {
	r := []rune(s)
	if len(r) <= smsLength {
		return s
	}
	return string(r[:smsLength-3]) + "..."
}

// GSM7 makes s safe for SMS: characters outside the GSM 7-bit alphabet
// become their closest plain form, or '?'.
func GSM7(s string) string {
	fold := strings.NewReplacer("–", "-", "—", "-", "’", "'", "‘", "'", "“", "\"", "”", "\"", "…", "...", "á", "a", "í", "i", "ó", "o", "ú", "u", "ê", "e", "ë", "e", "Á", "A", "Í", "I", "Ó", "O", "Ú", "U")
	s = fold.Replace(s)
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(gsm7, r) {
			b.WriteRune(r)
		} else {
			b.WriteRune('?')
		}
	}
	return b.String()
}

func unreachableText(lang string) (subject, text string) {
	if lang == "en" {
		return "We could not reach you by phone",
			"You asked us to call you back. We called three times but could not reach you, so the request is closed. Ask for a new call-back when it suits you."
	}
	return "Vi nådde dig inte på telefon",
		"Du bad oss ringa upp dig. Vi ringde tre gånger men nådde dig inte, så vi har avslutat förfrågan. Be om en ny uppringning när det passar dig."
}
