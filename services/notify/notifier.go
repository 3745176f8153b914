package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"regexp"
	"strings"
	"time"

	"github.com/tidbok/tidbok/calendar"
	"github.com/tidbok/tidbok/core"
)

// AppointmentInfo is what notify needs to tell people about a meeting.
type AppointmentInfo struct {
	ID                  string
	AgencyID            string
	AgencyName          string
	TimeZone            string
	MeetingTypeSV       string
	MeetingTypeEN       string
	DescriptionSV       string
	DescriptionEN       string
	WhatToBringSV       string // what the citizen brings, from the meeting type
	WhatToBringEN       string
	Mode                string // phone, video, in_person
	Status              string // booked, arrived, fulfilled, cancelled, noshow
	Start, End          time.Time
	Sequence            int
	OfficeName          string
	OfficeAddress       string
	Room                string
	AccessibilityNotes  string
	VideoURL            string
	PhoneNumber         string
	PhoneDirection      string // agency_calls, citizen_calls
	StaffName           string
	StaffEmail          string
	StaffLanguage       string // sv or en; sv when unknown
	CitizenID           string
	InterpreterLanguage string
	CancelReason        string
	Created             time.Time
	// ReminderBefore is the meeting type's reminder lead time; NoReminder
	// says the meeting type sends none.
	ReminderBefore time.Duration
	NoReminder     bool
	// ManageToken is booking's signed token for the citizen's manage link
	// ({BaseURL}/m/{token}); empty when booking gives none.
	ManageToken string
	manageURL   string // set by the notifier from ManageToken, for the citizen's words only
}

// Recipient is a citizen as notify needs them.
type Recipient struct {
	ID          string
	Name        string
	Email       string
	Phone       string
	Language    string
	NotifyEmail bool
	NotifySMS   bool
}

// Bookings is notify's view of the booking service.
type Bookings interface {
	Appointment(ctx context.Context, id string) (AppointmentInfo, error)
}

// People is notify's view of the citizen register.
type People interface {
	Citizen(ctx context.Context, id string) (Recipient, error)
}

// Event is one event notify consumes, from booking's or intake's outbox.
type Event struct {
	ID      string
	Type    string
	Payload []byte
}

// ReminderRepository keeps one reminder per appointment: the sequence it
// was planned for and when it is due.
type ReminderRepository interface {
	PlanReminder(ctx context.Context, appointmentID string, sequence int, due time.Time) error
	DropReminder(ctx context.Context, appointmentID string) error
	// DueReminders returns appointments whose reminder is due and not yet
	// sent for their current sequence.
	DueReminders(ctx context.Context, now time.Time, limit int) ([]string, error)
	MarkReminded(ctx context.Context, appointmentID string, sequence int) error
}

// Notifier turns events into stored messages: iMIP invitations, plain
// e-mails, SMS and reminders.
type Notifier struct {
	Outbox    OutboxRepository
	Reminders ReminderRepository
	Bookings  Bookings
	People    People
	Clock     core.Clock
	From      Address // the agencies' booking mailbox
	BaseURL   string  // links in messages
	// ReminderBefore is how long before a meeting the reminder goes out.
	ReminderBefore time.Duration
}

func (n Notifier) now() time.Time {
	if n.Clock == nil {
		return time.Now().UTC()
	}
	return n.Clock.Now()
}

// system is the principal notify reads with: in process, never in a token.
func system(ctx context.Context) context.Context {
	return core.WithPrincipal(ctx, core.System("notify"))
}

type appointmentPayload struct {
	Appointment struct {
		ID       string `json:"id"`
		Sequence int    `json:"sequence"`
	} `json:"appointment"`
	Change struct {
		Reason   string `json:"reason"`
		OldStart string `json:"old_start"`
		OldEnd   string `json:"old_end"`
	} `json:"change"`
}

// HandleBookingEvent stores the messages an appointment event causes.
func (n Notifier) HandleBookingEvent(ctx context.Context, ev Event) error {
	ctx = system(ctx)
	if ev.Type == "callback.unreachable" {
		return n.callbackUnreachable(ctx, ev)
	}
	if !strings.HasPrefix(ev.Type, "appointment.") {
		return nil
	}
	var p appointmentPayload
	if err := json.Unmarshal(ev.Payload, &p); err != nil || p.Appointment.ID == "" {
		return nil // not ours to read
	}
	a, err := n.Bookings.Appointment(ctx, p.Appointment.ID)
	if errors.Is(err, core.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// The event's own sequence: a later event may already have changed the
	// appointment, but each version's invitation carries its own SEQUENCE.
	a.Sequence = p.Appointment.Sequence
	a = n.withManageLink(a)
	citizen, err := n.People.Citizen(ctx, a.CitizenID)
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		return err
	}
	var msgs []StoredMessage
	switch ev.Type {
	case "appointment.booked", "appointment.rescheduled":
		a.Status = "booked"
		msgs, err = n.invitations(ev, a, citizen, calendar.MethodRequest)
		if err == nil && ev.Type == "appointment.booked" {
			msgs = append(msgs, n.smsConfirmation(ev, a, citizen)...)
		}
		if err == nil && ev.Type == "appointment.rescheduled" {
			var handover []StoredMessage
			handover, err = n.handover(ctx, a, citizen, p)
			msgs = append(msgs, handover...)
		}
		if err == nil && n.Reminders != nil {
			if a.NoReminder {
				err = n.Reminders.DropReminder(ctx, a.ID)
			} else {
				err = n.Reminders.PlanReminder(ctx, a.ID, a.Sequence, a.Start.Add(-n.reminderBefore(a)))
			}
		}
	case "appointment.cancelled":
		a.Status, a.CancelReason = "cancelled", p.Change.Reason
		msgs, err = n.invitations(ev, a, citizen, calendar.MethodCancel)
		if err == nil && n.Reminders != nil {
			err = n.Reminders.DropReminder(ctx, a.ID)
		}
	case "appointment.fulfilled", "appointment.noshow":
		msgs = n.followUp(ev, a, citizen)
		if n.Reminders != nil {
			err = n.Reminders.DropReminder(ctx, a.ID)
		}
	}
	if err != nil {
		return err
	}
	return n.Outbox.Enqueue(ctx, msgs)
}

// reminderBefore is the meeting type's lead time, else the notifier's, else a day.
func (n Notifier) reminderBefore(a AppointmentInfo) time.Duration {
	switch {
	case a.ReminderBefore > 0:
		return a.ReminderBefore
	case n.ReminderBefore > 0:
		return n.ReminderBefore
	}
	return 24 * time.Hour
}

// SendReminders stores the reminders that are due, once per appointment
// version, and never for a meeting that was cancelled or moved since.
func (n Notifier) SendReminders(ctx context.Context) (int, error) {
	ctx = system(ctx)
	ids, err := n.Reminders.DueReminders(ctx, n.now(), 100)
	if err != nil {
		return 0, err
	}
	count := 0
	for _, id := range ids {
		a, err := n.Bookings.Appointment(ctx, id)
		if errors.Is(err, core.ErrNotFound) {
			_ = n.Reminders.DropReminder(ctx, id)
			continue
		}
		if err != nil {
			return count, err
		}
		if a.Status != "booked" || a.Start.Before(n.now()) || a.NoReminder {
			_ = n.Reminders.DropReminder(ctx, id)
			continue
		}
		if due := a.Start.Add(-n.reminderBefore(a)); due.After(n.now()) {
			// Moved later since the plan was made, and notify has not read
			// the move yet: plan for the new time instead of reminding early.
			if err := n.Reminders.PlanReminder(ctx, a.ID, a.Sequence, due); err != nil {
				return count, err
			}
			continue
		}
		citizen, err := n.People.Citizen(ctx, a.CitizenID)
		if errors.Is(err, core.ErrNotFound) {
			// A citizen who is gone must not hold up everyone else's reminders.
			_ = n.Reminders.DropReminder(ctx, id)
			continue
		}
		if err != nil {
			return count, err
		}
		a = n.withManageLink(a)
		key := fmt.Sprintf("reminder:%s:%d", a.ID, a.Sequence)
		lang := langOf(citizen.Language)
		var msgs []StoredMessage
		if citizen.NotifyEmail && citizen.Email != "" {
			subject, text := reminderText(lang, a)
			msgs = append(msgs, n.email(key+":citizen", a.AgencyID, lang, Address{Name: citizen.Name, Email: citizen.Email}, subject, text, nil))
		}
		if citizen.NotifySMS && citizen.Phone != "" {
			msgs = append(msgs, n.sms(key+":sms", a.AgencyID, citizen.Phone, smsReminder(lang, a)))
		}
		if err := n.Outbox.Enqueue(ctx, msgs); err != nil {
			return count, err
		}
		if err := n.Reminders.MarkReminded(ctx, a.ID, a.Sequence); err != nil {
			return count, err
		}
		count++
	}
	return count, nil
}

// ---- building messages ----

// withManageLink gives a the citizen's manage link, while there is
// anything left to manage.
func (n Notifier) withManageLink(a AppointmentInfo) AppointmentInfo {
	a.manageURL = ""
	if a.ManageToken != "" && n.BaseURL != "" && a.Status != "cancelled" {
		a.manageURL = strings.TrimRight(n.BaseURL, "/") + "/m/" + a.ManageToken
	}
	return a
}

func langOf(l string) string {
	if l == "en" {
		return "en"
	}
	return "sv"
}

// newMessageID is a stored message's Message-ID, fixed before the first
// attempt so every retry carries it, in the booking mailbox's domain.
func (n Notifier) newMessageID() string {
	return NewMessageID(n.From.Email[strings.LastIndexByte(n.From.Email, '@')+1:])
}

func (n Notifier) email(key, agencyID, lang string, to Address, subject, text string, cal *Calendar) StoredMessage {
	m := Message{From: n.From, To: []Address{to}, Subject: subject, Text: text, HTML: textToHTML(lang, text), Calendar: cal, Language: lang,
		Headers: map[string]string{"Auto-Submitted": "auto-generated"}}
	body, _ := json.Marshal(m)
	now := n.now()
	return StoredMessage{ID: core.NewID(), DedupeKey: key, Channel: ChannelEmail, Recipient: to.Email, MessageID: n.newMessageID(),
		Subject: subject, Body: body, AgencyID: agencyID, Status: StatusPending, NextAttemptAt: now, CreatedAt: now}
}

func (n Notifier) sms(key, agencyID, to, text string) StoredMessage {
	body, _ := json.Marshal(SMSBody{To: to, Text: fitSMS(GSM7(text))})
	now := n.now()
	return StoredMessage{ID: core.NewID(), DedupeKey: key, Channel: ChannelSMS, Recipient: to, MessageID: n.newMessageID(),
		Body: body, AgencyID: agencyID, Status: StatusPending, NextAttemptAt: now, CreatedAt: now}
}

// webAddress finds the web addresses of a text, to make them links in HTML.
var webAddress = regexp.MustCompile(`https?://[^\s<>"]+`)

func textToHTML(lang, text string) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="` + langOf(lang) + `"><body style="font-family:sans-serif;line-height:1.4">`)
	for _, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		para = webAddress.ReplaceAllStringFunc(html.EscapeString(para), func(u string) string {
			return `<a href="` + u + `">` + u + `</a>`
		})
		b.WriteString("<p>" + strings.ReplaceAll(para, "\n", "<br>") + "</p>")
	}
	b.WriteString("</body></html>")
	return b.String()
}

// invitations builds the iMIP message for the citizen and for the staff
// member: one UID for the appointment's whole life, its SEQUENCE, METHOD
// REQUEST or CANCEL.
func (n Notifier) invitations(ev Event, a AppointmentInfo, citizen Recipient, method string) ([]StoredMessage, error) {
	var out []StoredMessage
	type target struct {
		role string
		to   Address
		lang string
	}
	var targets []target
	if citizen.Email != "" && citizen.NotifyEmail {
		targets = append(targets, target{"citizen", Address{Name: citizen.Name, Email: citizen.Email}, langOf(citizen.Language)})
	}
	if a.StaffEmail != "" {
		targets = append(targets, target{"staff", Address{Name: a.StaffName, Email: a.StaffEmail}, langOf(a.StaffLanguage)})
	}
	for _, t := range targets {
		e, err := n.calendarEvent(a, citizen, t.lang, t.role)
		if err != nil {
			return nil, err
		}
		var data []byte
		if method == calendar.MethodCancel {
			data, err = calendar.Cancel(e, n.now())
		} else {
			data, err = calendar.Request(e, n.now())
		}
		if err != nil {
			return nil, fmt.Errorf("calendar for appointment %s: %w", a.ID, err)
		}
		subject, text := invitationText(t.lang, ev.Type, a)
		if t.role == "staff" {
			subject, text = staffInvitationText(t.lang, ev.Type, a, citizen.Name)
		}
		out = append(out, n.email(invitationKey(a.ID, a.Sequence, t.role), a.AgencyID, t.lang, t.to, subject, text, &Calendar{Method: method, Data: data}))
	}
	return out, nil
}

// calendarEvent is the appointment as role (citizen or staff) sees it in
// their calendar: the same UID, SEQUENCE, times and attendees for both, the
// title and description in their words.
func (n Notifier) calendarEvent(a AppointmentInfo, citizen Recipient, lang, role string) (calendar.Event, error) {
	loc, err := location(a.TimeZone)
	if err != nil {
		return calendar.Event{}, err
	}
	alarm := time.Hour
	e := calendar.Event{
		UID: calendar.UID(a.ID), Sequence: a.Sequence, Start: a.Start, End: a.End, Location: loc,
		Summary: meetingName(lang, a) + " – " + a.AgencyName, Description: description(lang, a),
		LocationText: locationText(lang, a), Organizer: calendar.Person{Name: a.AgencyName, Email: n.From.Email},
		Alarm: &alarm, Created: a.Created, LastModified: n.now(),
	}
	if role == "staff" {
		e.Summary, e.Description, e.LocationText = staffSummary(lang, a, citizen.Name), staffDescription(lang, a, citizen.Name), staffLocationText(lang, a)
	}
	if a.Status == "cancelled" {
		e.Status = calendar.StatusCancelled
	}
	if citizen.Email != "" {
		e.Attendees = append(e.Attendees, calendar.Attendee{Person: calendar.Person{Name: citizen.Name, Email: citizen.Email},
			Role: calendar.RoleRequired, PartStat: calendar.PartStatAccepted})
	}
	if a.StaffEmail != "" {
		e.Attendees = append(e.Attendees, calendar.Attendee{Person: calendar.Person{Name: a.StaffName, Email: a.StaffEmail},
			Role: calendar.RoleChair, PartStat: calendar.PartStatAccepted})
	}
	return e, nil
}

// invitationKey names the invitation of one version of an appointment to
// one role: each version is sent once, and the staff member a version went
// to can be found again when the meeting moves to a colleague.
func invitationKey(appointmentID string, sequence int, role string) string {
	return fmt.Sprintf("invite:%s:%d:%s", appointmentID, sequence, role)
}

// handover cancels the meeting in the calendar of the staff member it was
// with, when a move gave it to a colleague: they hold the version before
// this one, at its old time.
func (n Notifier) handover(ctx context.Context, a AppointmentInfo, citizen Recipient, p appointmentPayload) ([]StoredMessage, error) {
	var former Address
	formerLang := "sv"
	// The newest earlier version that went to a staff member.
	for seq := a.Sequence - 1; seq >= 0 && former.Email == ""; seq-- {
		m, err := n.Outbox.MessageByKey(ctx, invitationKey(a.ID, seq, "staff"))
		if errors.Is(err, core.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var sent Message
		if err := json.Unmarshal(m.Body, &sent); err == nil && len(sent.To) == 1 {
			// They are told in the language their invitation was in.
			former, formerLang = sent.To[0], langOf(sent.Language)
		}
	}
	if former.Email == "" || strings.EqualFold(former.Email, a.StaffEmail) {
		return nil, nil
	}
	old := a
	old.Status, old.StaffName, old.StaffEmail = "cancelled", former.Name, former.Email
	if start, err := time.Parse(time.RFC3339, p.Change.OldStart); err == nil {
		old.Start = start
	}
	if end, err := time.Parse(time.RFC3339, p.Change.OldEnd); err == nil {
		old.End = end
	}
	e, err := n.calendarEvent(old, citizen, formerLang, "staff")
	if err != nil {
		return nil, err
	}
	data, err := calendar.Cancel(e, n.now())
	if err != nil {
		return nil, fmt.Errorf("calendar for appointment %s: %w", a.ID, err)
	}
	subject, text := staffHandoverText(formerLang, old, citizen.Name)
	return []StoredMessage{n.email(invitationKey(a.ID, a.Sequence, "former-staff"), a.AgencyID, formerLang, former, subject, text,
		&Calendar{Method: calendar.MethodCancel, Data: data})}, nil
}

func (n Notifier) smsConfirmation(ev Event, a AppointmentInfo, citizen Recipient) []StoredMessage {
	if !citizen.NotifySMS || citizen.Phone == "" {
		return nil
	}
	return []StoredMessage{n.sms(ev.ID+":sms", a.AgencyID, citizen.Phone, smsConfirmation(langOf(citizen.Language), a))}
}

// followUp is the plain e-mail after a meeting: calendars have no status
// for "held", so no calendar update is sent.
func (n Notifier) followUp(ev Event, a AppointmentInfo, citizen Recipient) []StoredMessage {
	if !citizen.NotifyEmail || citizen.Email == "" {
		return nil
	}
	lang := langOf(citizen.Language)
	subject, text := followUpText(lang, ev.Type, a)
	return []StoredMessage{n.email(ev.ID+":citizen", a.AgencyID, lang, Address{Name: citizen.Name, Email: citizen.Email}, subject, text, nil)}
}

// ---- case updates ----

type casePayload struct {
	Case struct {
		ID        string `json:"id"`
		AgencyID  string `json:"agency_id"`
		Reference string `json:"reference"`
		CitizenID string `json:"citizen_id"`
		Status    string `json:"status"`
		Subject   string `json:"subject"`
	} `json:"case"`
	Entry *struct {
		Kind             string `json:"kind"`
		StatusTo         string `json:"status_to"`
		Body             string `json:"body"`
		VisibleToCitizen bool   `json:"visible_to_citizen"`
	} `json:"entry"`
}

// HandleCaseEvent e-mails the citizen about every change of their case they
// can see, except the ones they made themselves and the meetings, which
// their invitations tell. A status change is always seen (the case shows
// its status); the note with it only when it was meant for the citizen.
func (n Notifier) HandleCaseEvent(ctx context.Context, ev Event) error {
	ctx = system(ctx)
	switch ev.Type {
	case "case.message_from_citizen", "case.withdrawn", "case.appointment":
		return nil
	}
	var p casePayload
	if err := json.Unmarshal(ev.Payload, &p); err != nil || p.Entry == nil || p.Case.CitizenID == "" {
		return nil
	}
	if !p.Entry.VisibleToCitizen {
		if p.Entry.Kind != "status" || p.Entry.StatusTo == "" {
			return nil // an internal note or assignment
		}
		p.Entry.Body = "" // intake leaves it out already; never mail an internal note
	}
	citizen, err := n.People.Citizen(ctx, p.Case.CitizenID)
	if errors.Is(err, core.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !citizen.NotifyEmail || citizen.Email == "" {
		return nil
	}
	lang := langOf(citizen.Language)
	subject, text := caseUpdateText(lang, ev.Type, p.Case.Reference, p.Case.Subject, p.Entry.Kind, p.Entry.StatusTo, p.Entry.Body, n.BaseURL)
	return n.Outbox.Enqueue(ctx, []StoredMessage{n.email(ev.ID+":citizen", p.Case.AgencyID, lang,
		Address{Name: citizen.Name, Email: citizen.Email}, subject, text, nil)})
}

type callbackPayload struct {
	Callback struct {
		ID        string `json:"id"`
		AgencyID  string `json:"agency_id"`
		CitizenID string `json:"citizen_id"`
		Language  string `json:"language"`
	} `json:"callback"`
}

// callbackUnreachable tells the citizen that the agency tried to call back
// and could not reach them: by e-mail, and by SMS when they allow it.
func (n Notifier) callbackUnreachable(ctx context.Context, ev Event) error {
	var p callbackPayload
	if err := json.Unmarshal(ev.Payload, &p); err != nil || p.Callback.CitizenID == "" {
		return nil
	}
	citizen, err := n.People.Citizen(ctx, p.Callback.CitizenID)
	if errors.Is(err, core.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	lang := langOf(p.Callback.Language)
	subject, text := unreachableText(lang)
	var msgs []StoredMessage
	if citizen.NotifyEmail && citizen.Email != "" {
		msgs = append(msgs, n.email(ev.ID+":citizen", p.Callback.AgencyID, lang, Address{Name: citizen.Name, Email: citizen.Email}, subject, text, nil))
	}
	if citizen.NotifySMS && citizen.Phone != "" {
		msgs = append(msgs, n.sms(ev.ID+":sms", p.Callback.AgencyID, citizen.Phone, subject))
	}
	return n.Outbox.Enqueue(ctx, msgs)
}
