// Package web is Tidbok's HTML: the pages a citizen reaches from the manage
// link in an invitation, to see one meeting, move it or cancel it without
// signing in. Pages are html/template with embedded files, work without
// JavaScript, and speak Swedish unless asked for English.
package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/booking/availability"
	"github.com/tidbok/tidbok/transport/httpkit"
)

//go:embed templates/*.html static/*
var files embed.FS

var pages = map[string]*template.Template{}

func init() {
	for _, name := range []string{"manage", "reschedule", "confirm", "error"} {
		pages[name] = template.Must(template.ParseFS(files, "templates/base.html", "templates/"+name+".html"))
	}
}

// ManagePages serves the manage-link pages.
type ManagePages struct {
	Booking booking.Service
	Links   *booking.ManageLinks
	Clock   core.Clock
	// BaseURL's origin is accepted on forms beside the request's own host,
	// for a proxy that rewrites Host.
	BaseURL string
	// Limiter limits requests per client address; nil for none.
	Limiter *httpkit.RateLimiter
}

// RegisterManagePages puts the manage-link routes on mux.
func RegisterManagePages(mux *http.ServeMux, p ManagePages) {
	if p.Clock == nil {
		p.Clock = core.SystemClock{}
	}
	csrf := http.NewCrossOriginProtection()
	if u, err := url.Parse(p.BaseURL); err == nil && u.Scheme != "" && u.Host != "" {
		_ = csrf.AddTrustedOrigin(u.Scheme + "://" + u.Host)
	}
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fail(w, r, pageLanguage(r), http.StatusForbidden, "errForbiddenTitle", "errForbidden")
	}))
	wrap := func(h http.HandlerFunc) http.Handler {
		return p.limited(csrf.Handler(secure(h)))
	}
	mux.Handle("GET /m/{token}", wrap(p.show))
	mux.Handle("GET /m/{token}/reschedule", wrap(p.reschedulePage))
	mux.Handle("GET /m/{token}/reschedule/confirm", wrap(p.confirmPage))
	mux.Handle("POST /m/{token}/reschedule", wrap(p.reschedule))
	mux.Handle("POST /m/{token}/cancel", wrap(p.cancel))
	mux.Handle("GET /m/assets/site.css", secure(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		http.ServeFileFS(w, r, files, "static/site.css")
	}))
}

// limited applies the rate limit, answering a refusal with a page rather
// than the API's problem document.
func (p ManagePages) limited(next http.Handler) http.Handler {
	if p.Limiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		passed := false
		refusal := &heldWriter{header: http.Header{}}
		p.Limiter.Wrap(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			passed = true
			next.ServeHTTP(w, r)
		})).ServeHTTP(refusal, r)
		if !passed {
			if wait := refusal.header.Get("Retry-After"); wait != "" {
				w.Header().Set("Retry-After", wait)
			}
			secure(func(w http.ResponseWriter, r *http.Request) {
				p.fail(w, r, pageLanguage(r), http.StatusTooManyRequests, "errBusyTitle", "errBusy")
			}).ServeHTTP(w, r)
		}
	})
}

// heldWriter keeps what the limiter writes when it refuses a request.
type heldWriter struct{ header http.Header }

func (h *heldWriter) Header() http.Header         { return h.header }
func (h *heldWriter) Write(b []byte) (int, error) { return len(b), nil }
func (h *heldWriter) WriteHeader(int)             {}

// secure sets the headers every page carries: no script, no framing, no
// referrer (the address holds the token), nothing cached.
func secure(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Referrer-Policy", "no-referrer")
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Cache-Control", "no-store")
		hdr.Set("Vary", "Accept-Language")
		h(w, r)
	})
}

// link is one verified manage link and what it acts as: the citizen of that
// one appointment, for that appointment only.
type link struct {
	token  string
	claims booking.ManageClaims
	ctx    context.Context
	lang   string
}

// open verifies the token; on failure the page is already written.
func (p ManagePages) open(w http.ResponseWriter, r *http.Request) (link, bool) {
	lang := pageLanguage(r)
	token := r.PathValue("token")
	claims, err := p.Links.Verify(token, p.Clock.Now())
	if err != nil {
		if booking.IsLinkExpired(err) {
			p.fail(w, r, lang, http.StatusGone, "errExpiredTitle", "errExpired")
		} else {
			p.fail(w, r, lang, http.StatusNotFound, "errNotFoundTitle", "errNotFound")
		}
		return link{}, false
	}
	// The link stands in for the citizen's sign-in, for this appointment:
	// every call below names claims.AppointmentID and nothing else, and
	// booking checks the appointment is the citizen's and applies the rules
	// it applies to them (cut-off, notice, horizon, no choice of staff).
	ctx := core.WithPrincipal(r.Context(), core.Principal{Kind: core.KindCitizen, Subject: claims.CitizenID, TokenID: "manage-link"})
	ctx = core.WithRequestMeta(ctx, core.RequestMeta{ClientIP: httpkit.ClientIP(r), RequestID: httpkit.RequestID(r.Context()), Via: "manage link"})
	return link{token: token, claims: claims, ctx: ctx, lang: lang}, true
}

// meeting is everything a page shows of the appointment.
type meeting struct {
	appt      booking.Appointment
	agency    booking.Agency
	mt        *booking.MeetingType // nil when the meeting type was retired
	changable bool                 // booked and before the cut-off
	movable   bool                 // and its meeting type still offers times to citizens
	tooLate   bool
}

// load reads the appointment (audit-logged by booking as a read of
// personal data) with its agency and meeting type.
func (p ManagePages) load(l link) (meeting, error) {
	a, err := p.Booking.GetAppointment(l.ctx, l.claims.AppointmentID)
	if err != nil {
		return meeting{}, err
	}
	agency, err := p.Booking.GetAgency(l.ctx, a.AgencyID)
	if err != nil {
		return meeting{}, err
	}
	m := meeting{appt: a, agency: agency}
	if types, err := p.Booking.ListMeetingTypes(l.ctx, a.AgencyID); err == nil {
		if i := slices.IndexFunc(types, func(t booking.MeetingType) bool { return t.ID == a.MeetingTypeID }); i >= 0 {
			m.mt = &types[i]
		}
	}
	switch {
	case a.Status == booking.Booked && m.mt != nil:
		m.tooLate = !p.Clock.Now().Before(a.Start.Add(-m.mt.CancellationCutoff))
		// A meeting type only the agency books is moved by the agency.
		m.changable, m.movable = !m.tooLate, !m.tooLate && m.mt.CitizenBookable
	case a.Status == booking.Booked:
		// A retired meeting type offers no new times, but the meeting can
		// still be cancelled; booking applies the cut-off.
		m.changable = true
	}
	return m, nil
}

// view is what a template gets.
type view struct {
	Lang, Title   string
	T             map[string]string
	SwitchURL     string
	Home          string // the manage page, in this language
	Token         string
	FormToken     string
	Meeting       *meetingView
	Notice        string
	Errors        []fieldError
	Message       string // an error page's explanation
	Days          []dayView
	NoDays        string
	Day           string
	DayLabel      string
	Slots         []slotView
	Confirm       *slotView
	RescheduleURL string
	Reason        string
}

type fieldError struct{ Field, Message string }

// ErrorFor returns the message of field, for aria-describedby and the text beside it.
func (v view) ErrorFor(field string) string {
	for _, e := range v.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

type meetingView struct {
	Name, Agency, Date, Time, Mode, Status string
	Place, Room, Accessibility             string
	VideoURL, Phone                        string
	Interpreter                            string
	Bring                                  string // what to bring, from the meeting type
	Version                                int
	Cancelled, Changeable, Movable         bool
	Unchangeable                           string
}

type dayView struct{ Value, Label, URL string }

type slotView struct{ Value, Label, ID string }

func (p ManagePages) base(r *http.Request, l link, title string) view {
	t := texts[l.lang]
	u := *r.URL
	q := u.Query()
	q.Set("lang", t["switchLang"])
	q.Del("done")
	u.RawQuery = q.Encode()
	switchURL := u.RequestURI()
	if r.Method != http.MethodGet {
		switchURL = "/m/" + l.token + "?lang=" + t["switchLang"]
	}
	return view{Lang: l.lang, T: t, Title: t[title], SwitchURL: switchURL, Token: l.token,
		Home: "/m/" + l.token + "?lang=" + l.lang, FormToken: p.Links.FormToken(l.token),
		RescheduleURL: "/m/" + l.token + "/reschedule?lang=" + l.lang}
}

func (p ManagePages) meetingView(l link, m meeting) *meetingView {
	t := texts[l.lang]
	a := m.appt
	loc := m.agency.Location()
	start, end := a.Start.In(loc), a.End.In(loc)
	v := &meetingView{Agency: m.agency.Name, Date: longDate(l.lang, start), Time: clock(l.lang, start) + "–" + clock(l.lang, end),
		Interpreter: a.InterpreterLanguage, Version: a.Version, Cancelled: a.Status == booking.Cancelled, Changeable: m.changable, Movable: m.movable}
	v.Name = map[string]string{"sv": "Möte", "en": "Meeting"}[l.lang]
	if m.mt != nil {
		v.Name = m.mt.Name.In(booking.Language(l.lang))
		if !v.Cancelled {
			v.Bring = m.mt.WhatToBring.InEither(booking.Language(l.lang))
		}
	}
	v.Status = t["status"+strings.ToUpper(string(a.Status[:1]))+string(a.Status[1:])]
	switch a.Mode {
	case booking.Phone:
		v.Mode = t["modePhone"]
		if a.PhoneDirection == booking.CitizenCalls {
			v.Phone = t["phoneYouCall"]
		} else {
			v.Phone = t["phoneWeCall"] + " " + a.PhoneNumber
		}
	case booking.Video:
		v.Mode, v.VideoURL = t["modeVideo"], a.VideoURL
	default:
		v.Mode = t["modeInPerson"]
		if a.Office != nil {
			o := a.Office
			v.Place = o.Name + ", " + o.Address.Street + ", " + o.Address.PostalCode + " " + o.Address.City
			v.Accessibility = o.AccessibilityNotes
		}
		if a.Room != "" {
			v.Room = t["room"] + " " + a.Room
		}
	}
	switch {
	case a.Status == booking.Booked && m.tooLate:
		v.Unchangeable = fmt.Sprintf(t["tooLate"], m.agency.Name)
	case !v.Cancelled && !m.changable:
		v.Unchangeable = t["notChangeable"]
	}
	return v
}

// openMeeting opens the link and loads its meeting; when movable is set it
// also requires the meeting can be moved. On failure the page is already
// written.
func (p ManagePages) openMeeting(w http.ResponseWriter, r *http.Request, movable bool) (link, meeting, bool) {
	l, ok := p.open(w, r)
	if !ok {
		return link{}, meeting{}, false
	}
	m, err := p.load(l)
	if err != nil {
		p.failWith(w, r, l, err)
		return link{}, meeting{}, false
	}
	if movable && !m.movable {
		p.conflict(w, r, l, m, nil)
		return link{}, meeting{}, false
	}
	return l, m, true
}

// show is the manage page: the meeting, and the ways to change it.
func (p ManagePages) show(w http.ResponseWriter, r *http.Request) {
	l, m, ok := p.openMeeting(w, r, false)
	if !ok {
		return
	}
	v := p.base(r, l, "yourMeeting")
	v.Meeting = p.meetingView(l, m)
	switch r.URL.Query().Get("done") {
	case "cancelled":
		v.Notice = v.T["doneCancelled"]
	case "moved":
		v.Notice = v.T["doneMoved"]
	}
	p.render(w, http.StatusOK, "manage", v)
}

// window is where availability is asked: from now to the meeting type's
// horizon, at most the engine's range.
func (p ManagePages) window(mt *booking.MeetingType) (time.Time, time.Time) {
	now := p.Clock.Now()
	span := min(mt.Horizon, 62*24*time.Hour)
	if span <= 0 {
		span = 62 * 24 * time.Hour
	}
	return now, now.Add(span)
}

func (p ManagePages) availabilityRequest(m meeting, from, to time.Time) booking.AvailabilityRequest {
	req := booking.AvailabilityRequest{MeetingTypeID: m.appt.MeetingTypeID, Mode: m.appt.Mode, From: from, To: to}
	if m.appt.Mode == booking.InPerson {
		req.OfficeID = m.appt.OfficeID
	}
	return req
}

// reschedulePage lists the days with free times, and with ?day= that day's times.
func (p ManagePages) reschedulePage(w http.ResponseWriter, r *http.Request) {
	l, m, ok := p.openMeeting(w, r, true)
	if !ok {
		return
	}
	p.renderReschedule(w, r, l, m, r.URL.Query().Get("day"), http.StatusOK, nil)
}

// renderReschedule writes the choice of a day, or of a time on day.
func (p ManagePages) renderReschedule(w http.ResponseWriter, r *http.Request, l link, m meeting, dayParam string, status int, errs []fieldError) {
	v := p.base(r, l, "reschedule")
	v.Meeting = p.meetingView(l, m)
	v.Errors = errs
	loc := m.agency.Location()
	from, to := p.window(m.mt)
	if dayParam != "" {
		day, err := availability.ParseDate(dayParam)
		dayFrom, dayTo := maxTime(day.Start(loc), from), minTime(day.AddDays(1).Start(loc), to)
		if err != nil || !dayTo.After(dayFrom) {
			v.Errors = append(v.Errors, fieldError{"day", v.T["errDay"]})
			status = http.StatusBadRequest
		} else {
			res, err := p.Booking.Availability(l.ctx, p.availabilityRequest(m, dayFrom, dayTo))
			if err != nil {
				p.failWith(w, r, l, err)
				return
			}
			v.Day, v.DayLabel = day.String(), longDate(l.lang, day.Start(loc))
			for i, s := range res.Slots {
				v.Slots = append(v.Slots, slotView{Value: s.Start.UTC().Format(time.RFC3339), ID: "slot-" + strconv.Itoa(i),
					Label: clock(l.lang, s.Start.In(loc)) + "–" + clock(l.lang, s.End.In(loc))})
			}
			if len(v.Slots) == 0 {
				v.Errors = append(v.Errors, fieldError{"start", v.T["noTimes"]})
			}
		}
	}
	if v.Day == "" {
		days, err := p.Booking.AvailableDays(l.ctx, p.availabilityRequest(m, from, to))
		if err != nil {
			p.failWith(w, r, l, err)
			return
		}
		for _, d := range days.Days {
			v.Days = append(v.Days, dayView{Value: d.String(), Label: longDate(l.lang, d.Start(loc)),
				URL: "/m/" + l.token + "/reschedule?lang=" + l.lang + "&day=" + d.String()})
		}
		if len(v.Days) == 0 {
			v.NoDays = fmt.Sprintf(v.T["noDays"], m.agency.Name)
		}
	}
	p.render(w, status, "reschedule", v)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// confirmPage asks the citizen to confirm the time they picked.
func (p ManagePages) confirmPage(w http.ResponseWriter, r *http.Request) {
	l, m, ok := p.openMeeting(w, r, true)
	if !ok {
		return
	}
	start, err := time.Parse(time.RFC3339, r.URL.Query().Get("start"))
	if err != nil {
		p.badStart(w, r, l, m, http.StatusBadRequest)
		return
	}
	// Only a time that is free now is offered for confirmation.
	from, to := p.window(m.mt)
	var slot *booking.Slot
	if !start.Before(from) && start.Before(to) {
		res, err := p.Booking.Availability(l.ctx, p.availabilityRequest(m, start, start.Add(time.Minute)))
		if err != nil {
			p.failWith(w, r, l, err)
			return
		}
		if i := slices.IndexFunc(res.Slots, func(s booking.Slot) bool { return s.Start.Equal(start) }); i >= 0 {
			slot = &res.Slots[i]
		}
	}
	if slot == nil {
		p.badStart(w, r, l, m, http.StatusConflict)
		return
	}
	loc := m.agency.Location()
	v := p.base(r, l, "confirmHeading")
	v.Meeting = p.meetingView(l, m)
	v.Confirm = &slotView{Value: start.UTC().Format(time.RFC3339),
		Label: longDate(l.lang, slot.Start.In(loc)) + ", " + clock(l.lang, slot.Start.In(loc)) + "–" + clock(l.lang, slot.End.In(loc))}
	p.render(w, http.StatusOK, "confirm", v)
}

// checkForm verifies the form token bound to the link; on failure the
// page is already written.
func (p ManagePages) checkForm(w http.ResponseWriter, r *http.Request, l link) (version int, ok bool) {
	if !p.Links.CheckFormToken(l.token, r.PostFormValue("form_token")) {
		p.fail(w, r, l.lang, http.StatusForbidden, "errForbiddenTitle", "errForbidden")
		return 0, false
	}
	version, err := strconv.Atoi(r.PostFormValue("version"))
	if err != nil || version < 0 {
		p.fail(w, r, l.lang, http.StatusBadRequest, "errBadTitle", "errChanged")
		return 0, false
	}
	return version, true
}

func (p ManagePages) reschedule(w http.ResponseWriter, r *http.Request) {
	l, ok := p.open(w, r)
	if !ok {
		return
	}
	version, ok := p.checkForm(w, r, l)
	if !ok {
		return
	}
	start, err := time.Parse(time.RFC3339, r.PostFormValue("start"))
	if err != nil {
		m, err := p.load(l)
		if err != nil {
			p.failWith(w, r, l, err)
			return
		}
		p.badStart(w, r, l, m, http.StatusBadRequest)
		return
	}
	_, err = p.Booking.Reschedule(l.ctx, booking.RescheduleRequest{ID: l.claims.AppointmentID, Start: start,
		IfMatch: fmt.Sprintf(`"%d"`, version)})
	if err != nil {
		p.actionFailed(w, r, l, err, "start")
		return
	}
	http.Redirect(w, r, "/m/"+l.token+"?lang="+l.lang+"&done=moved", http.StatusSeeOther)
}

func (p ManagePages) cancel(w http.ResponseWriter, r *http.Request) {
	l, ok := p.open(w, r)
	if !ok {
		return
	}
	version, ok := p.checkForm(w, r, l)
	if !ok {
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if utf8.RuneCountInString(reason) > 500 {
		m, err := p.load(l)
		if err != nil {
			p.failWith(w, r, l, err)
			return
		}
		v := p.base(r, l, "yourMeeting")
		v.Meeting = p.meetingView(l, m)
		v.Reason = reason
		v.Errors = []fieldError{{"reason", v.T["errReason"]}}
		p.render(w, http.StatusBadRequest, "manage", v)
		return
	}
	_, err := p.Booking.Cancel(l.ctx, booking.CancelRequest{ID: l.claims.AppointmentID, Reason: reason,
		IfMatch: fmt.Sprintf(`"%d"`, version)})
	if err != nil {
		p.actionFailed(w, r, l, err, "reason")
		return
	}
	http.Redirect(w, r, "/m/"+l.token+"?lang="+l.lang+"&done=cancelled", http.StatusSeeOther)
}

// actionFailed shows the meeting as it is now, with what went wrong.
func (p ManagePages) actionFailed(w http.ResponseWriter, r *http.Request, l link, err error, field string) {
	m, loadErr := p.load(l)
	if loadErr != nil {
		p.failWith(w, r, l, loadErr)
		return
	}
	switch {
	case errors.Is(err, core.ErrPrecondition):
		p.conflict(w, r, l, m, []fieldError{{"", texts[l.lang]["errChanged"]}})
	case field == "start" && (errors.Is(err, core.ErrInvalid) || errors.Is(err, core.ErrConflict) || errors.Is(err, core.ErrNotFound)):
		// The time was taken, or was never a slot.
		p.badStart(w, r, l, m, http.StatusConflict)
	case errors.Is(err, core.ErrConflict):
		p.conflict(w, r, l, m, nil)
	default:
		p.failWith(w, r, l, err)
	}
}

// badStart is a start that is not one of the free times (or no longer
// is): back to choosing a day, with the reason tied to the choice.
func (p ManagePages) badStart(w http.ResponseWriter, r *http.Request, l link, m meeting, status int) {
	if !m.movable {
		p.conflict(w, r, l, m, nil)
		return
	}
	p.renderReschedule(w, r, l, m, "", status, []fieldError{{"day", texts[l.lang]["errTaken"]}})
}

// conflict is a change the meeting no longer allows: it is shown as it is.
func (p ManagePages) conflict(w http.ResponseWriter, r *http.Request, l link, m meeting, errs []fieldError) {
	v := p.base(r, l, "errConflictTitle")
	v.Meeting = p.meetingView(l, m)
	if errs == nil {
		msg := v.T["errNotBooked"]
		if m.tooLate {
			msg = fmt.Sprintf(v.T["errTooLate"], m.agency.Name)
		}
		errs = []fieldError{{"", msg}}
	}
	v.Errors = errs
	p.render(w, http.StatusConflict, "manage", v)
}

// failWith maps a service error to an error page.
func (p ManagePages) failWith(w http.ResponseWriter, r *http.Request, l link, err error) {
	switch status := httpkit.StatusOf(err); {
	case status == http.StatusNotFound || status == http.StatusForbidden || status == http.StatusUnauthorized:
		// Not this citizen's, or gone: the link shows nothing.
		p.fail(w, r, l.lang, http.StatusNotFound, "errNotFoundTitle", "errNotFound")
	case status < 500:
		p.fail(w, r, l.lang, status, "errBadTitle", "errChanged")
	default:
		p.fail(w, r, l.lang, http.StatusServiceUnavailable, "errUnavailableTitle", "errUnavailable")
	}
}

// fail writes an error page.
func (p ManagePages) fail(w http.ResponseWriter, r *http.Request, lang string, status int, title, message string) {
	t := texts[lang]
	u := *r.URL
	q := u.Query()
	q.Set("lang", t["switchLang"])
	u.RawQuery = q.Encode()
	switchURL := u.RequestURI()
	if r.Method != http.MethodGet {
		switchURL = ""
	}
	p.render(w, status, "error", view{Lang: lang, T: t, Title: t[title], Message: t[message], SwitchURL: switchURL})
}

func (p ManagePages) render(w http.ResponseWriter, status int, page string, v view) {
	var buf bytes.Buffer
	if err := pages[page].ExecuteTemplate(&buf, "base", v); err != nil {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
