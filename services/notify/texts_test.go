package notify

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// gsmBasicSet is GSM 03.38's basic character set, from the standard's table.
const gsmBasicSet = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

func outsideGSM(s string) []rune {
	var out []rune
	for _, r := range s {
		if !strings.ContainsRune(gsmBasicSet, r) {
			out = append(out, r)
		}
	}
	return out
}

func TestGSM7(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"Swedish letters stay", "Återbesök på Vårdcentral Ängelholm, Öland", "Återbesök på Vårdcentral Ängelholm, Öland"},
		{"dashes and quotes fold to their plain form", "10.00–10.30 “Rådgivning” — Bertil’s", "10.00-10.30 \"Rådgivning\" - Bertil's"},
		{"accents outside the alphabet lose them", "Café Ásgeir, Níelsdóttir", "Café Asgeir, Nielsdottir"},
		{"the escape table would cost two characters: replaced", "{[€]}^~|\\", "?????????"},
		{"emoji and other scripts are replaced", "Möte 📅 مرحبا", "Möte ? ?????"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := GSM7(tc.in)
			if got != tc.want {
				t.Fatalf("GSM7(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if bad := outsideGSM(got); len(bad) > 0 {
				t.Fatalf("%q outside the basic set in %q", bad, got)
			}
		})
	}
}

func FuzzGSM7IsAlwaysSafe(f *testing.F) {
	for _, s := range []string{"", "Bokat: Exempelby kommun, 25 mar kl 10.00.", "€{}", "📅", "\xff\xfe", "a\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := fitSMS(GSM7(s))
		if bad := outsideGSM(got); len(bad) > 0 {
			t.Fatalf("GSM7(%q) = %q has %q", s, got, bad)
		}
		if n := utf8.RuneCountInString(got); n > smsLength {
			t.Fatalf("%d characters", n)
		}
	})
}

func sampleAppointment() AppointmentInfo {
	return AppointmentInfo{ID: "a1", AgencyName: "Exempelby kommun", TimeZone: "Europe/Stockholm",
		MeetingTypeSV: "Bygglovsrådgivning", MeetingTypeEN: "Building permit advice", Mode: "in_person",
		Start: time.Date(2027, 3, 25, 9, 0, 0, 0, time.UTC), End: time.Date(2027, 3, 25, 9, 30, 0, 0, time.UTC),
		OfficeName: "Stadshuset, plan 3", OfficeAddress: "Storgatan 12, 123 40 Exempelby",
		StaffName: "Bertil Bygglov", StaffEmail: "bertil@exempelby.se"}
}

func TestTextMessagesFitOneSMS(t *testing.T) {
	long := sampleAppointment()
	long.AgencyName = "Samordningsförbundet för arbetslivsinriktad rehabilitering i Exempelby, Testby och Provköpings kommuner"
	long.OfficeName = "Medborgarkontoret i det gamla stadshuset vid torget, ingång från Kyrkogatan (följ skyltarna “Reception”)"
	for _, a := range []AppointmentInfo{sampleAppointment(), long} {
		for _, lang := range []string{"sv", "en"} {
			for _, text := range []string{smsConfirmation(lang, a), smsReminder(lang, a)} {
				got := fitSMS(GSM7(text))
				if n := utf8.RuneCountInString(got); n > smsLength {
					t.Errorf("%d characters: %q", n, got)
				}
				if bad := outsideGSM(got); len(bad) > 0 {
					t.Errorf("%q outside GSM 03.38: %q", bad, got)
				}
			}
		}
	}
	if got := smsConfirmation("sv", sampleAppointment()); got != "Bokat: Exempelby kommun, 25 mar kl 10.00. Stadshuset, plan 3." {
		t.Errorf("a typical confirmation reads %q", got)
	}
}

func TestStaffReadAboutTheCitizen(t *testing.T) {
	a := sampleAppointment()
	tests := []struct {
		name, lang, event, citizen, subject, text string
	}{
		{"a booking names the citizen and the meeting", "sv", "appointment.booked", "Karin Lindqvist",
			"Bokat: Bygglovsrådgivning med Karin Lindqvist, torsdag 25 mars 2027 kl. 10.00–10.30",
			"Du har fått ett nytt möte med Karin Lindqvist: Bygglovsrådgivning, torsdag 25 mars 2027 kl. 10.00–10.30."},
		{"a move gives the new time", "sv", "appointment.rescheduled", "Karin Lindqvist",
			"Ny tid: Bygglovsrådgivning med Karin Lindqvist, torsdag 25 mars 2027 kl. 10.00–10.30",
			"Mötet med Karin Lindqvist (Bygglovsrådgivning) har fått en ny tid: torsdag 25 mars 2027 kl. 10.00–10.30."},
		{"a citizen without a name on record is a citizen", "sv", "appointment.cancelled", "",
			"Avbokat: Bygglovsrådgivning med en medborgare, torsdag 25 mars 2027 kl. 10.00–10.30",
			"Mötet med en medborgare (Bygglovsrådgivning) torsdag 25 mars 2027 kl. 10.00–10.30 är avbokat."},
		{"in English, a booking", "en", "appointment.booked", "Karin Lindqvist",
			"Booked: Building permit advice with Karin Lindqvist, Thursday 25 March 2027, 10:00–10:30",
			"You have a new meeting with Karin Lindqvist: Building permit advice, Thursday 25 March 2027, 10:00–10:30.\n\nCitizen: Karin Lindqvist\nMeeting type: Building permit advice\n"},
		{"in English, a move", "en", "appointment.rescheduled", "Karin Lindqvist",
			"New time: Building permit advice with Karin Lindqvist, Thursday 25 March 2027, 10:00–10:30",
			"The meeting with Karin Lindqvist (Building permit advice) has a new time: Thursday 25 March 2027, 10:00–10:30."},
		{"in English, a cancellation of a citizen without a name", "en", "appointment.cancelled", "",
			"Cancelled: Building permit advice with a citizen, Thursday 25 March 2027, 10:00–10:30",
			"The meeting with a citizen (Building permit advice) on Thursday 25 March 2027, 10:00–10:30 is cancelled."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			subject, text := staffInvitationText(tc.lang, tc.event, a, tc.citizen)
			if subject != tc.subject || !strings.HasPrefix(text, tc.text) {
				t.Fatalf("subject %q\ntext %q", subject, text)
			}
			for _, citizenWords := range []string{"Ditt möte", "Du träffar", "bokningssida", "Your meeting", "You meet", "/m/"} {
				if strings.Contains(text, citizenWords) {
					t.Fatalf("staff text in the citizen's words (%q): %q", citizenWords, text)
				}
			}
			otherLanguage := map[string][]string{"sv": {"meeting", "Citizen"}, "en": {"Mötet", "Medborgare", "möte"}}[tc.lang]
			for _, w := range otherLanguage {
				if strings.Contains(text, w) {
					t.Fatalf("%s text has %q: %q", tc.lang, w, text)
				}
			}
		})
	}
	if got := staffLocationText("sv", AppointmentInfo{Mode: "phone", PhoneNumber: "+46701234567"}); got != "Telefon: ring medborgaren på +46701234567" {
		t.Errorf("phone meeting for staff: %q", got)
	}
	if got := staffLocationText("en", AppointmentInfo{Mode: "phone", PhoneNumber: "+46701234567"}); got != "Phone: call the citizen on +46701234567" {
		t.Errorf("phone meeting for English-speaking staff: %q", got)
	}
	if s, text := staffHandoverText("en", a, "Karin Lindqvist"); !strings.HasPrefix(s, "Moved to a colleague: Building permit advice") || !strings.Contains(text, "removed from your calendar") {
		t.Errorf("English handover: %q / %q", s, text)
	}
}

func TestAMeetingWhoseTypeWasRetiredStillHasAName(t *testing.T) {
	a := sampleAppointment()
	a.MeetingTypeSV, a.MeetingTypeEN = "", ""
	for lang, want := range map[string]string{"sv": "Bokat: Möte, torsdag", "en": "Booked: Meeting, Thursday"} {
		if subject, _ := invitationText(lang, "appointment.booked", a); !strings.HasPrefix(subject, want) {
			t.Errorf("%s subject %q, want it to begin %q", lang, subject, want)
		}
	}
}

func TestTheCitizenGetsTheManageLink(t *testing.T) {
	n := Notifier{BaseURL: "https://tidbok.example.se/"}
	a := sampleAppointment()
	a.Status, a.ManageToken = "booked", "TOKEN"
	a = n.withManageLink(a)
	const link = "https://tidbok.example.se/m/TOKEN"
	for lang, want := range map[string]string{"sv": "Se, flytta eller avboka mötet här, utan att logga in: " + link,
		"en": "See, move or cancel the meeting here, without signing in: " + link + "?lang=en"} {
		_, text := invitationText(lang, "appointment.booked", a)
		if !strings.HasSuffix(text, want) {
			t.Errorf("%s invitation ends %q, want %q", lang, text[max(0, len(text)-120):], want)
		}
		if !strings.Contains(textToHTML(lang, text), `<a href="`+link) {
			t.Errorf("%s HTML body has no link: %s", lang, textToHTML(lang, text))
		}
		if strings.Contains(staffDescription(lang, a, "Karin"), "/m/") {
			t.Errorf("%s staff description has the citizen's link", lang)
		}
	}
	cancelled := a
	cancelled.Status = "cancelled"
	if d := description("sv", cancelled); strings.Contains(d, "/m/") {
		t.Errorf("a cancelled meeting's description offers the link: %q", d)
	}
	if d := description("sv", n.withManageLink(sampleAppointment())); !strings.Contains(d, "Logga in") {
		t.Errorf("without a token the citizen is told to sign in: %q", d)
	}
}

func TestTheCitizenIsToldWhatToBring(t *testing.T) {
	a := sampleAppointment()
	a.InterpreterLanguage = "arabiska"
	a.WhatToBringSV, a.WhatToBringEN = "Ritningar &\nfastighetsbeteckning", "Drawings & the property designation"
	want := map[string]string{"sv": "Ta med: Ritningar & fastighetsbeteckning\n", "en": "Bring: Drawings & the property designation\n"}
	interpreter := map[string]string{"sv": "Tolk är bokad: ", "en": "An interpreter is booked: "}
	for _, lang := range []string{"sv", "en"} {
		_, booked := invitationText(lang, "appointment.booked", a)
		_, moved := invitationText(lang, "appointment.rescheduled", a)
		_, reminder := reminderText(lang, a)
		for name, text := range map[string]string{"invitation": booked, "new time": moved, "reminder": reminder} {
			i, j := strings.Index(text, want[lang]), strings.Index(text, interpreter[lang])
			if i < 0 || j < 0 || i > j {
				t.Errorf("%s %s: want %q before the interpreter line:\n%s", lang, name, want[lang], text)
			}
		}
		if h := textToHTML(lang, booked); !strings.Contains(h, strings.ReplaceAll(strings.TrimSuffix(want[lang], "\n"), "&", "&amp;")+"<br>") {
			t.Errorf("%s HTML body lacks what to bring: %s", lang, h)
		}
		if d := description(lang, a); !strings.Contains(d, want[lang]) {
			t.Errorf("%s calendar description lacks what to bring:\n%s", lang, d)
		}
		cancelled := a
		cancelled.Status = "cancelled"
		if _, text := invitationText(lang, "appointment.cancelled", cancelled); strings.Contains(text+description(lang, cancelled), want[lang]) {
			t.Errorf("%s cancellation says what to bring:\n%s\n%s", lang, text, description(lang, cancelled))
		}
	}
	staff := map[string]string{"sv": "Medborgaren tar med: Ritningar & fastighetsbeteckning\n", "en": "The citizen brings: Drawings & the property designation\n"}
	for lang, w := range staff {
		if d := staffDescription(lang, a, "Karin"); !strings.Contains(d, w) {
			t.Errorf("%s staff description lacks %q:\n%s", lang, w, d)
		}
	}

	// One language empty: the other is better than nothing.
	onlySV, onlyEN := a, a
	onlySV.WhatToBringEN, onlyEN.WhatToBringSV = "", " "
	if d := description("en", onlySV); !strings.Contains(d, "Bring: Ritningar & fastighetsbeteckning\n") {
		t.Errorf("English without an English text:\n%s", d)
	}
	if d := description("sv", onlyEN); !strings.Contains(d, "Ta med: Drawings & the property designation\n") {
		t.Errorf("Swedish without a Swedish text:\n%s", d)
	}
	none := sampleAppointment()
	for _, lang := range []string{"sv", "en"} {
		if d := description(lang, none) + staffDescription(lang, none, "Karin"); strings.Contains(d, "Ta med") || strings.Contains(d, "Bring") ||
			strings.Contains(d, "tar med") || strings.Contains(d, "brings") {
			t.Errorf("%s: a line about bringing nothing:\n%s", lang, d)
		}
	}
}
