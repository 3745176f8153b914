package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The pages' words, in Swedish and English. Keys are the same in both.
var texts = map[string]map[string]string{
	"sv": {
		"site":                "Tidbok",
		"skip":                "Hoppa till innehållet",
		"switch":              "In English",
		"switchLang":          "en",
		"yourMeeting":         "Ditt möte",
		"with":                "Med",
		"when":                "När",
		"how":                 "Hur",
		"where":               "Var",
		"status":              "Status",
		"interpreter":         "Tolk",
		"bring":               "Ta med",
		"videoLink":           "Länk till videomötet",
		"phoneWeCall":         "Vi ringer dig på",
		"phoneYouCall":        "Du ringer oss",
		"modePhone":           "Telefonmöte",
		"modeVideo":           "Videomöte",
		"modeInPerson":        "Besök",
		"room":                "rum",
		"accessibility":       "Tillgänglighet",
		"statusBooked":        "Bokat",
		"statusArrived":       "Du är på plats",
		"statusFulfilled":     "Genomfört",
		"statusCancelled":     "Avbokat",
		"statusNoshow":        "Uteblev",
		"cancelledNote":       "Mötet är avbokat. Det finns inget mer att göra här.",
		"changeHeading":       "Ändra mötet",
		"tooLate":             "Det är för nära mötet för att ändra det här. Kontakta %s om du behöver flytta eller avboka.",
		"notChangeable":       "Mötet kan inte ändras längre.",
		"reschedule":          "Välj en ny tid",
		"cancelHeading":       "Avboka mötet",
		"cancelReason":        "Anledning (frivilligt)",
		"cancelHint":          "Högst 500 tecken. Anledningen skickas till handläggaren.",
		"cancelButton":        "Avboka mötet",
		"doneCancelled":       "Mötet är avbokat. Du får en bekräftelse med e-post.",
		"doneMoved":           "Mötet har flyttats. Du får en ny kallelse med e-post.",
		"pickDay":             "Välj dag",
		"pickDayHint":         "Dagar med lediga tider de närmaste veckorna.",
		"noDays":              "Det finns inga lediga tider just nu. Kontakta %s.",
		"pickTime":            "Välj tid",
		"noTimes":             "Den dagen finns inga lediga tider längre. Välj en annan dag.",
		"continue":            "Fortsätt",
		"back":                "Tillbaka till mötet",
		"otherDay":            "Välj en annan dag",
		"confirmHeading":      "Bekräfta den nya tiden",
		"from":                "Från",
		"to":                  "Till",
		"confirmButton":       "Flytta mötet",
		"errorSummary":        "Något behöver rättas",
		"errNotFoundTitle":    "Länken fungerar inte",
		"errNotFound":         "Länken är ogiltig eller felskriven. Öppna länken i din senaste kallelse igen, eller logga in på bokningssidan.",
		"errExpiredTitle":     "Länken har gått ut",
		"errExpired":          "Mötet har redan ägt rum, så länken fungerar inte längre.",
		"errForbiddenTitle":   "Det gick inte att skicka formuläret",
		"errForbidden":        "Formuläret kom inte från den här sidan. Öppna länken i din kallelse och försök igen.",
		"errBadTitle":         "Något stämmer inte",
		"errConflictTitle":    "Det gick inte",
		"errTaken":            "Den tiden är inte ledig längre. Välj en annan tid.",
		"errChanged":          "Mötet har ändrats sedan du öppnade sidan. Så här ser det ut nu; försök igen.",
		"errTooLate":          "Det är för nära mötet för att ändra det här. Kontakta %s.",
		"errNotBooked":        "Mötet är inte bokat längre och kan inte ändras.",
		"errStart":            "Välj en av de lediga tiderna.",
		"errDay":              "Välj en dag i listan.",
		"errReason":           "Anledningen får vara högst 500 tecken.",
		"errUnavailable":      "Tjänsten är inte tillgänglig just nu. Försök igen om en stund.",
		"errUnavailableTitle": "Försök igen om en stund",
		"footer":              "Länken gäller bara det här mötet. Dela den inte med andra.",
		"errBusyTitle":        "För många försök",
		"errBusy":             "Det har kommit för många förfrågningar från din adress. Vänta en minut och försök igen.",
	},
	"en": {
		"site":                "Tidbok",
		"skip":                "Skip to content",
		"switch":              "På svenska",
		"switchLang":          "sv",
		"yourMeeting":         "Your meeting",
		"with":                "With",
		"when":                "When",
		"how":                 "How",
		"where":               "Where",
		"status":              "Status",
		"interpreter":         "Interpreter",
		"bring":               "Bring",
		"videoLink":           "Link to the video meeting",
		"phoneWeCall":         "We call you on",
		"phoneYouCall":        "You call us",
		"modePhone":           "Phone meeting",
		"modeVideo":           "Video meeting",
		"modeInPerson":        "Visit",
		"room":                "room",
		"accessibility":       "Accessibility",
		"statusBooked":        "Booked",
		"statusArrived":       "You have arrived",
		"statusFulfilled":     "Held",
		"statusCancelled":     "Cancelled",
		"statusNoshow":        "Missed",
		"cancelledNote":       "The meeting is cancelled. There is nothing more to do here.",
		"changeHeading":       "Change the meeting",
		"tooLate":             "It is too close to the meeting to change it here. Contact %s if you need to move or cancel it.",
		"notChangeable":       "The meeting can no longer be changed.",
		"reschedule":          "Choose a new time",
		"cancelHeading":       "Cancel the meeting",
		"cancelReason":        "Reason (optional)",
		"cancelHint":          "At most 500 characters. The reason is sent to the caseworker.",
		"cancelButton":        "Cancel the meeting",
		"doneCancelled":       "The meeting is cancelled. You will get a confirmation by e-mail.",
		"doneMoved":           "The meeting has moved. You will get a new invitation by e-mail.",
		"pickDay":             "Choose a day",
		"pickDayHint":         "Days with free times in the coming weeks.",
		"noDays":              "There are no free times right now. Contact %s.",
		"pickTime":            "Choose a time",
		"noTimes":             "That day has no free times any more. Choose another day.",
		"continue":            "Continue",
		"back":                "Back to the meeting",
		"otherDay":            "Choose another day",
		"confirmHeading":      "Confirm the new time",
		"from":                "From",
		"to":                  "To",
		"confirmButton":       "Move the meeting",
		"errorSummary":        "Something needs correcting",
		"errNotFoundTitle":    "The link does not work",
		"errNotFound":         "The link is not valid or was mistyped. Open the link in your latest invitation again, or sign in on the booking page.",
		"errExpiredTitle":     "The link has expired",
		"errExpired":          "The meeting has already taken place, so the link no longer works.",
		"errForbiddenTitle":   "The form could not be sent",
		"errForbidden":        "The form did not come from this page. Open the link in your invitation and try again.",
		"errBadTitle":         "Something is not right",
		"errConflictTitle":    "That did not work",
		"errTaken":            "That time is no longer free. Choose another time.",
		"errChanged":          "The meeting changed since you opened the page. This is how it is now; try again.",
		"errTooLate":          "It is too close to the meeting to change it here. Contact %s.",
		"errNotBooked":        "The meeting is no longer booked and cannot be changed.",
		"errStart":            "Choose one of the free times.",
		"errDay":              "Choose a day from the list.",
		"errReason":           "The reason can be at most 500 characters.",
		"errUnavailable":      "The service is not available right now. Try again in a while.",
		"errUnavailableTitle": "Try again in a while",
		"footer":              "The link is for this meeting only. Do not share it.",
		"errBusyTitle":        "Too many attempts",
		"errBusy":             "Too many requests have come from your address. Wait a minute and try again.",
	},
}

var weekdaysSV = []string{"söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"}
var monthsSV = []string{"", "januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"}

// longDate is a date as people write it: "torsdag 25 mars 2027", "Thursday 25 March 2027".
func longDate(lang string, t time.Time) string {
	if lang == "en" {
		return t.Format("Monday 2 January 2006")
	}
	return fmt.Sprintf("%s %d %s %d", weekdaysSV[t.Weekday()], t.Day(), monthsSV[t.Month()], t.Year())
}

// clock is a time of day: "10.00" in Swedish, "10:00" in English.
func clock(lang string, t time.Time) string {
	if lang == "en" {
		return t.Format("15:04")
	}
	return t.Format("15.04")
}

// pageLanguage is the language of a page: the one the person chose with
// the switch (lang in the query or form), else the preferred of sv and en
// in Accept-Language, else Swedish.
func pageLanguage(r *http.Request) string {
	switch l := r.FormValue("lang"); l {
	case "sv", "en":
		return l
	}
	best, bestQ := "sv", 0.0
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if (base == "sv" || base == "en") && q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}
