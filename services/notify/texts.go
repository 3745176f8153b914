package notify

import (
	"fmt"
	"strings"
	"time"
)

// The words of every message, in Swedish and English. Times are written in
// the agency's zone, as the citizen will live them.

var weekdaysSV = []string{"söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"}
var monthsSV = []string{"", "januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"}

func local(a AppointmentInfo, t time.Time) time.Time {
	if loc, err := time.LoadLocation(a.TimeZone); err == nil {
		return t.In(loc)
	}
	return t
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
	if lang == "en" && a.MeetingTypeEN != "" {
		return a.MeetingTypeEN
	}
	return a.MeetingTypeSV
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
	if lang == "en" {
		b.WriteString("\nTo move or cancel the meeting, sign in to " + a.AgencyName + "'s booking page, or reply to this e-mail.")
	} else {
		b.WriteString("\nVill du flytta eller avboka mötet? Logga in på " + a.AgencyName + "s bokningssida eller svara på det här mejlet.")
	}
	return b.String()
}

func invitationText(lang, eventType string, a AppointmentInfo, role string) (subject, text string) {
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

func caseUpdateText(lang, reference, subject, kind, statusTo, body, baseURL string) (string, string) {
	if lang == "en" {
		text := fmt.Sprintf("There is news in your case %s (%s).", reference, subject)
		if kind == "status" && statusTo != "" {
			text += "\n\nStatus: " + statusEN[statusTo]
		}
		if body != "" {
			text += "\n\n" + body
		}
		return "Your case " + reference, text + "\n\nSee the whole case when you sign in: " + baseURL
	}
	text := fmt.Sprintf("Det finns nyheter i ditt ärende %s (%s).", reference, subject)
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
