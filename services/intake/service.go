package intake

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tidbok/tidbok/core"
)

// Service is what the intake service offers.
type Service interface {
	ListCategories(ctx context.Context, agencyID string) ([]Category, error)
	CreateCategory(ctx context.Context, c Category) (Category, error)
	UpdateCategory(ctx context.Context, c Category) (Category, error)
	RetireCategory(ctx context.Context, agencyID, id string) error
	SetReferencePrefix(ctx context.Context, agencyID, prefix string) error

	Submit(ctx context.Context, req SubmitRequest) (Case, error)
	GetCase(ctx context.Context, id string) (CaseView, error)
	ListCases(ctx context.Context, f CaseFilter) (CasePage, error)
	ChangeStatus(ctx context.Context, req StatusChange) (Case, error)
	Assign(ctx context.Context, req Assignment) (Case, error)
	SetPriority(ctx context.Context, id string, p Priority, ifMatch string) (Case, error)
	PostMessage(ctx context.Context, req Message) (Entry, error)
	Withdraw(ctx context.Context, id, reason string) (Case, error)
	Timeline(ctx context.Context, id string) ([]Entry, error)

	// Events returns intake's outbox after seq, for consumers.
	Events(ctx context.Context, afterSeq int64, limit int) ([]Event, error)
	// ApplyAppointmentEvent brings a case up to date with a booking event;
	// applying the same event again changes nothing.
	ApplyAppointmentEvent(ctx context.Context, ev AppointmentEvent) error

	Statistics
}

// Agencies is intake's view of booking's directory.
type Agencies interface {
	Agency(ctx context.Context, id string) (AgencyInfo, error)
	MeetingTypeIDs(ctx context.Context, agencyID string) ([]string, error)
}

// AgencyInfo is what intake needs of an agency.
type AgencyInfo struct {
	ID       string
	Name     string
	TimeZone string
}

// People is intake's view of the citizen and staff registers (auth).
type People interface {
	ResolveCitizen(ctx context.Context, ref CitizenRef) (CitizenInfo, error)
	Citizen(ctx context.Context, id string) (CitizenInfo, error)
	// StaffAgency returns the agency of a staff account, "" for a system admin.
	StaffAgency(ctx context.Context, staffID string) (string, error)
}

// CitizenRef names a citizen for staff or an integration.
type CitizenRef struct {
	ID                     string
	PersonalIdentityNumber string
	Email                  string
	Phone                  string
	Name                   string
}

// CitizenInfo is what intake needs of a citizen.
type CitizenInfo struct {
	ID     string
	HasPIN bool
	// MaskedPIN is shown to staff with the case; never the full number.
	MaskedPIN string
}

// AuditLog records reads of personal data.
type AuditLog interface {
	Record(ctx context.Context, action, targetKind, targetID, agencyID string)
}

// Repository is the storage intake needs; db/intakestore implements it.
type Repository interface {
	StatisticsRepository
	Categories(ctx context.Context, agencyID string) ([]Category, error) // not retired
	Category(ctx context.Context, id string) (Category, error)
	SaveCategory(ctx context.Context, c Category) error
	ReferencePrefix(ctx context.Context, agencyID string) (string, error)
	// SetReferencePrefix sets the agency's prefix; a prefix another agency
	// holds, or has numbered cases with, is ErrConflict.
	SetReferencePrefix(ctx context.Context, agencyID, prefix string) error
	// ClaimReferencePrefix gives an agency without a prefix this one, unless
	// another agency holds it, and returns the agency's prefix afterwards
	// (ErrNotFound when it still has none).
	ClaimReferencePrefix(ctx context.Context, agencyID, prefix string) (string, error)
	// CreateCase numbers the case in its series (prefix-year-NNNNNN, unique
	// under any concurrency) and stores it with its first entry and event.
	CreateCase(ctx context.Context, c Case, series Series, first Entry, ev Event) (Case, error)
	Case(ctx context.Context, id string) (Case, error)
	// UpdateCase stores c if still at expectVersion (else ErrPrecondition)
	// with its new timeline entries and event, atomically.
	UpdateCase(ctx context.Context, c Case, expectVersion int, entries []Entry, ev *Event) error
	AddEntry(ctx context.Context, e Entry, ev *Event) error
	ListCases(ctx context.Context, f CaseFilter, after CaseCursor, limit int, now time.Time) ([]Case, error)
	Timeline(ctx context.Context, caseID string, citizenView bool) ([]Entry, error)
	Events(ctx context.Context, afterSeq int64, limit int) ([]Event, error)
	// ApplyOnce runs apply in a transaction unless eventID was applied
	// before; apply gets a Tx-bound repository to change the case with.
	ApplyOnce(ctx context.Context, eventID string, apply func(tx Repository) error) error
}

// Series is what a case reference is numbered in: the agency's prefix and
// the year in the agency's time zone, as in EXB-2026-000123.
type Series struct {
	Prefix string
	Year   int
}

// referencePattern is the shape of every reference; a query of that shape
// looks a case up by its reference alone.
var referencePattern = regexp.MustCompile(`^[A-Za-z]{2,6}-[0-9]{4}-[0-9]{6}$`)

// IsReference reports whether q has the shape of a case reference.
func IsReference(q string) bool { return referencePattern.MatchString(q) }

// Option configures the service.
type Option func(*service)

// WithAuditLog records reads of cases.
func WithAuditLog(a AuditLog) Option { return func(s *service) { s.audit = a } }

type service struct {
	repo     Repository
	agencies Agencies
	people   People
	clock    core.Clock
	audit    AuditLog
	zones    sync.Map // time zone name → *time.Location
}

// NewService returns the intake service.
func NewService(repo Repository, agencies Agencies, people People, clock core.Clock, opts ...Option) Service {
	if clock == nil {
		clock = core.SystemClock{}
	}
	s := &service{repo: repo, agencies: agencies, people: people, clock: clock}
	for _, o := range opts {
		o(s)
	}
	return s
}

func (s *service) record(ctx context.Context, action, kind, id, agencyID string) {
	if s.audit != nil {
		s.audit.Record(ctx, action, kind, id, agencyID)
	}
}

// location returns an agency's time zone, UTC when it is unknown.
func (s *service) location(name string) *time.Location {
	if loc, ok := s.zones.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" {
		loc = time.UTC
	}
	s.zones.Store(name, loc)
	return loc
}

// answer is c as the service hands it out: overdue as of now.
func (s *service) answer(c Case) Case {
	c.IsOverdue = c.Overdue(s.clock.Now())
	return c
}

func actorOf(ctx context.Context) string {
	if p, ok := core.PrincipalFrom(ctx); ok {
		return string(p.Kind) + ":" + p.Subject
	}
	return "system"
}

// ---- categories ----

func (s *service) ListCategories(ctx context.Context, agencyID string) ([]Category, error) {
	if !core.ValidID(agencyID) {
		return nil, core.Invalid("agency_id", "must be a UUID")
	}
	if _, err := s.agencies.Agency(ctx, agencyID); err != nil {
		return nil, err
	}
	return s.repo.Categories(ctx, agencyID)
}

func (s *service) checkCategory(ctx context.Context, c Category) error {
	if _, err := core.AuthorizeAgency(ctx, c.AgencyID, core.ScopeDirectoryWrite, core.RoleAgencyAdmin); err != nil {
		return err
	}
	if _, err := s.agencies.Agency(ctx, c.AgencyID); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	types, err := s.agencies.MeetingTypeIDs(ctx, c.AgencyID)
	if err != nil {
		return err
	}
	var v core.Validator
	for i, id := range c.MeetingTypeIDs {
		v.Check(slices.Contains(types, id), fmt.Sprintf("meeting_type_ids[%d]", i), "is not a meeting type of this agency")
	}
	return v.Err()
}

func (s *service) CreateCategory(ctx context.Context, c Category) (Category, error) {
	if !core.ValidID(c.AgencyID) {
		return Category{}, core.Invalid("agency_id", "must be a UUID")
	}
	now := s.clock.Now()
	c.ID, c.CreatedAt, c.UpdatedAt, c.RetiredAt = core.NewID(), now, now, nil
	if err := s.checkCategory(ctx, c); err != nil {
		return Category{}, err
	}
	if err := s.repo.SaveCategory(ctx, c); err != nil {
		return Category{}, err
	}
	return c, nil
}

func (s *service) ownCategory(ctx context.Context, agencyID, id string) (Category, error) {
	if !core.ValidID(id) {
		return Category{}, core.Invalid("category_id", "must be a UUID")
	}
	c, err := s.repo.Category(ctx, id)
	if errors.Is(err, core.ErrNotFound) || (err == nil && c.AgencyID != agencyID) {
		return Category{}, fmt.Errorf("category_id %s: no such category at this agency: %w", id, core.ErrNotFound)
	}
	return c, err
}

func (s *service) UpdateCategory(ctx context.Context, c Category) (Category, error) {
	if !core.ValidID(c.AgencyID) {
		return Category{}, core.Invalid("agency_id", "must be a UUID")
	}
	if _, err := core.AuthorizeAgency(ctx, c.AgencyID, core.ScopeDirectoryWrite, core.RoleAgencyAdmin); err != nil {
		return Category{}, err
	}
	old, err := s.ownCategory(ctx, c.AgencyID, c.ID)
	if err != nil {
		return Category{}, err
	}
	c.CreatedAt, c.UpdatedAt, c.RetiredAt = old.CreatedAt, s.clock.Now(), old.RetiredAt
	if err := s.checkCategory(ctx, c); err != nil {
		return Category{}, err
	}
	return c, s.repo.SaveCategory(ctx, c)
}

func (s *service) RetireCategory(ctx context.Context, agencyID, id string) error {
	if _, err := core.AuthorizeAgency(ctx, agencyID, core.ScopeDirectoryWrite, core.RoleAgencyAdmin); err != nil {
		return err
	}
	c, err := s.ownCategory(ctx, agencyID, id)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	c.RetiredAt, c.UpdatedAt = &now, now
	return s.repo.SaveCategory(ctx, c)
}

func (s *service) SetReferencePrefix(ctx context.Context, agencyID, prefix string) error {
	if !core.ValidID(agencyID) {
		return core.Invalid("agency_id", "must be a UUID")
	}
	if _, err := core.AuthorizeAgency(ctx, agencyID, core.ScopeDirectoryWrite, core.RoleAgencyAdmin); err != nil {
		return err
	}
	ok := len(prefix) >= 2 && len(prefix) <= 6
	for _, r := range prefix {
		ok = ok && r >= 'A' && r <= 'Z'
	}
	if !ok {
		return core.Invalid("reference_prefix", "must be 2 to 6 capital letters A–Z, such as EXB")
	}
	if _, err := s.agencies.Agency(ctx, agencyID); err != nil {
		return err
	}
	err := s.repo.SetReferencePrefix(ctx, agencyID, prefix)
	if errors.Is(err, core.ErrConflict) {
		return fmt.Errorf("reference prefix %s is another agency's; choose another: %w", prefix, err)
	}
	return err
}

// referencePrefix returns the agency's prefix. An agency without one gets
// the default from its name, or, when another agency has that, the first
// free one after it (REG, REGA, REGB, …), so references never collide.
func (s *service) referencePrefix(ctx context.Context, agency AgencyInfo) (string, error) {
	prefix, err := s.repo.ReferencePrefix(ctx, agency.ID)
	if !errors.Is(err, core.ErrNotFound) {
		return prefix, err
	}
	base := defaultPrefix(agency.Name)
	candidates := []string{base}
	for _, a := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ" {
		candidates = append(candidates, base+string(a))
	}
	for _, a := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ" {
		for _, b := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ" {
			candidates = append(candidates, base+string(a)+string(b))
		}
	}
	for _, c := range candidates {
		prefix, err := s.repo.ClaimReferencePrefix(ctx, agency.ID, c)
		if !errors.Is(err, core.ErrNotFound) {
			return prefix, err
		}
	}
	return "", fmt.Errorf("no free reference prefix after %s; set one for agency %s: %w", base, agency.ID, core.ErrConflict)
}

// defaultPrefix makes a reference prefix from the agency's name: the first
// three letters, capitals A–Z, Swedish letters folded.
func defaultPrefix(name string) string {
	fold := strings.NewReplacer("Å", "A", "Ä", "A", "Ö", "O", "É", "E", "Ü", "U")
	var b strings.Builder
	for _, r := range fold.Replace(strings.ToUpper(name)) {
		if r >= 'A' && r <= 'Z' && b.Len() < 3 {
			b.WriteRune(r)
		}
	}
	for b.Len() < 2 {
		b.WriteRune('X')
	}
	return b.String()
}

// ---- submitting ----

// SubmitRequest opens a case.
type SubmitRequest struct {
	AgencyID            string
	CategoryID          string
	Subject             string
	Description         string
	PreferredModes      []string
	PreferredTimes      string
	ContactPreference   string
	Language            string
	InterpreterLanguage string
	Priority            Priority
	Citizen             CitizenRef // staff and integrations: for whom
}

func validateSubmit(req SubmitRequest) error {
	var v core.Validator
	v.Check(core.ValidID(req.AgencyID), "agency_id", "must be a UUID")
	v.Check(core.ValidID(req.CategoryID), "category_id", "must be a UUID")
	subject := strings.TrimSpace(req.Subject)
	v.Check(subject != "", "subject", "is required")
	v.Check(utf8.RuneCountInString(subject) <= 200, "subject", "must be at most 200 characters")
	v.Check(strings.TrimSpace(req.Description) != "", "description", "is required: tell us what it is about")
	v.Check(utf8.RuneCountInString(req.Description) <= 10000, "description", "must be at most 10000 characters")
	for i, m := range req.PreferredModes {
		v.Check(m == "phone" || m == "video" || m == "in_person", fmt.Sprintf("preferred_modes[%d]", i), "must be phone, video or in_person")
	}
	v.Check(utf8.RuneCountInString(req.PreferredTimes) <= 500, "preferred_times", "must be at most 500 characters")
	v.Check(req.ContactPreference == "" || req.ContactPreference == "email" || req.ContactPreference == "sms" || req.ContactPreference == "phone",
		"contact_preference", "must be email, sms or phone")
	v.Check(req.Language == "" || req.Language == "sv" || req.Language == "en", "language", "must be sv or en")
	v.Check(utf8.RuneCountInString(req.InterpreterLanguage) <= 50, "interpreter_language", "must be at most 50 characters")
	v.Check(req.Priority == "" || req.Priority.Valid(), "priority", "must be low, normal, high or urgent")
	for _, r := range req.Subject {
		if unicode.IsControl(r) {
			v.Add("subject", "must not contain control characters")
			break
		}
	}
	return v.Err()
}

func (s *service) Submit(ctx context.Context, req SubmitRequest) (Case, error) {
	p, err := core.Caller(ctx)
	if err != nil {
		return Case{}, err
	}
	if err := validateSubmit(req); err != nil {
		return Case{}, err
	}
	agency, err := s.agencies.Agency(ctx, req.AgencyID)
	if err != nil {
		return Case{}, err
	}
	cat, err := s.repo.Category(ctx, req.CategoryID)
	if errors.Is(err, core.ErrNotFound) {
		return Case{}, fmt.Errorf("category_id %s: no such category: %w", req.CategoryID, core.ErrNotFound)
	}
	if err != nil {
		return Case{}, err
	}
	if cat.AgencyID != agency.ID {
		return Case{}, core.Invalid("category_id", "is a category of another agency; choose one from /v1/agencies/"+agency.ID+"/case-categories")
	}
	if cat.RetiredAt != nil {
		return Case{}, core.Invalid("category_id", "is no longer in use; choose another")
	}
	var citizen CitizenInfo
	switch p.Kind {
	case core.KindCitizen:
		if req.Citizen.ID != "" && req.Citizen.ID != p.Subject {
			return Case{}, fmt.Errorf("citizens open cases for themselves only: %w", core.ErrForbidden)
		}
		if req.Priority != "" && req.Priority != Normal {
			return Case{}, core.Invalid("priority", "is set by the agency")
		}
		citizen, err = s.people.Citizen(ctx, p.Subject)
	default:
		if _, err := core.AuthorizeAgency(ctx, agency.ID, core.ScopeCasesWrite); err != nil {
			return Case{}, err
		}
		if req.Citizen == (CitizenRef{}) {
			return Case{}, core.Invalid("citizen", "name the citizen by id, personal identity number, e-mail or phone")
		}
		citizen, err = s.people.ResolveCitizen(ctx, req.Citizen)
	}
	if err != nil {
		return Case{}, err
	}
	if cat.RequiresPIN && !citizen.HasPIN {
		field := "citizen.personal_identity_number"
		if p.Kind == core.KindCitizen {
			field = "personal_identity_number"
		}
		return Case{}, core.Invalid(field, "this kind of case needs a personal identity number; add it to the profile first")
	}
	prefix, err := s.referencePrefix(ctx, agency)
	if err != nil {
		return Case{}, err
	}
	now := s.clock.Now()
	c := Case{
		ID: core.NewID(), AgencyID: agency.ID, CategoryID: cat.ID, Subject: strings.TrimSpace(req.Subject),
		Description: strings.TrimSpace(req.Description), CitizenID: citizen.ID, PreferredModes: req.PreferredModes,
		PreferredTimes: strings.TrimSpace(req.PreferredTimes), ContactPreference: orString(req.ContactPreference, "email"),
		Language: orString(req.Language, "sv"), InterpreterLanguage: strings.TrimSpace(req.InterpreterLanguage),
		Priority: Priority(orString(string(req.Priority), string(Normal))), Status: Submitted,
		FirstContactDue: addDays(now, cat.FirstContactDays), ResolutionDue: addDays(now, cat.ResolutionDays),
		IsComplaint: cat.IsComplaint, CreatedBy: actorOf(ctx), Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	first := Entry{ID: core.NewID(), CaseID: c.ID, Kind: EntryStatus, StatusTo: Submitted, VisibleToCitizen: true,
		Actor: c.CreatedBy, Body: "", CreatedAt: now}
	// The year of a reference is the agency's: a case sent at half past
	// midnight on New Year's Day in Stockholm belongs to the new year.
	series := Series{Prefix: prefix, Year: now.In(s.location(agency.TimeZone)).Year()}
	c, err = s.repo.CreateCase(ctx, c, series, first, s.caseEvent("case.submitted", c, &first))
	if err != nil {
		return Case{}, err
	}
	s.record(ctx, "case.created", "case", c.ID, c.AgencyID)
	return s.answer(c), nil
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// addDays counts calendar days; working-day targets are a later refinement.
func addDays(t time.Time, days int) time.Time { return t.AddDate(0, 0, days) }

// ---- reading ----

// CaseView is a case with what a reader needs around it.
type CaseView struct {
	Case           Case
	Category       Category
	MeetingTypeIDs []string // what a meeting for this case can be booked as now
	CitizenPIN     string   // masked, for staff; empty for others
}

func (s *service) loadCase(ctx context.Context, id, scope string) (Case, core.Principal, error) {
	if !core.ValidID(id) {
		return Case{}, core.Principal{}, core.Invalid("id", "must be a UUID")
	}
	if _, err := core.Caller(ctx); err != nil {
		return Case{}, core.Principal{}, err
	}
	c, err := s.repo.Case(ctx, id)
	if err != nil {
		return Case{}, core.Principal{}, fmt.Errorf("case %s: %w", id, err)
	}
	p, err := core.AuthorizeCitizenData(ctx, c.CitizenID, c.AgencyID, scope)
	if errors.Is(err, core.ErrForbidden) {
		// Another's case is absent to the caller, so ids cannot be probed.
		return Case{}, p, fmt.Errorf("case %s: %w", id, core.ErrNotFound)
	}
	return c, p, err
}

func (s *service) GetCase(ctx context.Context, id string) (CaseView, error) {
	c, p, err := s.loadCase(ctx, id, core.ScopeCasesRead)
	if err != nil {
		return CaseView{}, err
	}
	cat, err := s.repo.Category(ctx, c.CategoryID)
	if err != nil {
		return CaseView{}, err
	}
	// Only the meeting types still offered: a portal books from this list.
	offered, err := s.agencies.MeetingTypeIDs(ctx, c.AgencyID)
	if err != nil {
		return CaseView{}, err
	}
	view := CaseView{Case: s.answer(c), Category: cat, MeetingTypeIDs: []string{}}
	for _, id := range cat.MeetingTypeIDs {
		if slices.Contains(offered, id) {
			view.MeetingTypeIDs = append(view.MeetingTypeIDs, id)
		}
	}
	if p.Kind != core.KindCitizen {
		if info, err := s.people.Citizen(ctx, c.CitizenID); err == nil {
			view.CitizenPIN = info.MaskedPIN
		}
	}
	s.record(ctx, "case.read", "case", c.ID, c.AgencyID)
	return view, nil
}

// CaseFilter narrows the staff queue. Assignee is a staff id, "me" or
// "none". Query is a reference (a query of that shape, any case, finds that
// case alone) or else a piece of the subject, in any case; one with a digit
// also finds a piece of the reference.
type CaseFilter struct {
	AgencyID   string
	Status     Status
	Assignee   string
	CategoryID string
	Overdue    bool
	Query      string
	Limit      int
	Cursor     string
	// CitizenID is set by the service for citizens.
	CitizenID string
}

// CasePage is one page of cases, soonest deadline first.
type CasePage struct {
	Cases      []Case
	NextCursor string
}

// CaseCursor marks the last case of a page.
type CaseCursor struct {
	Due time.Time `json:"d"`
	ID  string    `json:"i"`
}

func (s *service) ListCases(ctx context.Context, f CaseFilter) (CasePage, error) {
	p, err := core.Caller(ctx)
	if err != nil {
		return CasePage{}, err
	}
	var v core.Validator
	v.Check(f.AgencyID == "" || core.ValidID(f.AgencyID), "agency_id", "must be a UUID")
	v.Check(f.Status == "" || f.Status.Valid(), "status", "is not a case status")
	v.Check(f.CategoryID == "" || core.ValidID(f.CategoryID), "category", "must be a UUID")
	v.Check(f.Assignee == "" || f.Assignee == "me" || f.Assignee == "none" || core.ValidID(f.Assignee), "assignee", `must be a staff id, "me" or "none"`)
	v.Check(utf8.RuneCountInString(f.Query) <= 100, "q", "must be at most 100 characters")
	limit := f.Limit
	switch {
	case limit == 0:
		limit = 50
	case limit < 1 || limit > 200:
		v.Add("limit", "must be between 1 and 200")
	}
	if err := v.Err(); err != nil {
		return CasePage{}, err
	}
	if p.Kind == core.KindCitizen {
		f.CitizenID, f.AgencyID = p.Subject, ""
		if f.Assignee != "" {
			return CasePage{}, core.Invalid("assignee", "is for staff")
		}
	} else {
		f.CitizenID = ""
		if f.AgencyID == "" {
			f.AgencyID = p.AgencyID
		}
		if f.AgencyID == "" {
			return CasePage{}, core.Invalid("agency_id", "is required for a system admin")
		}
		if _, err := core.AuthorizeAgency(ctx, f.AgencyID, core.ScopeCasesRead); err != nil {
			return CasePage{}, err
		}
		if f.Assignee == "me" {
			if p.Kind != core.KindStaff {
				return CasePage{}, core.Invalid("assignee", `"me" is for staff`)
			}
			f.Assignee = p.Subject
		}
	}
	var after CaseCursor
	if f.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if err != nil || json.Unmarshal(b, &after) != nil || !core.ValidID(after.ID) {
			return CasePage{}, core.Invalid("cursor", "is not a cursor this server handed out")
		}
	}
	list, err := s.repo.ListCases(ctx, f, after, limit+1, s.clock.Now())
	if err != nil {
		return CasePage{}, err
	}
	now := s.clock.Now()
	for i := range list {
		list[i].IsOverdue = list[i].Overdue(now)
	}
	page := CasePage{Cases: list}
	if len(list) > limit {
		page.Cases = list[:limit]
		last := page.Cases[limit-1]
		b, _ := json.Marshal(CaseCursor{Due: last.ResolutionDue, ID: last.ID})
		page.NextCursor = base64.RawURLEncoding.EncodeToString(b)
	}
	s.record(ctx, "case.listed", "agency", f.AgencyID+f.CitizenID, f.AgencyID)
	return page, nil
}

func (s *service) Timeline(ctx context.Context, id string) ([]Entry, error) {
	c, p, err := s.loadCase(ctx, id, core.ScopeCasesRead)
	if err != nil {
		return nil, err
	}
	s.record(ctx, "case.timeline_read", "case", c.ID, c.AgencyID)
	return s.repo.Timeline(ctx, c.ID, p.Kind == core.KindCitizen)
}

func (s *service) Events(ctx context.Context, afterSeq int64, limit int) ([]Event, error) {
	if limit < 1 || limit > 1000 {
		limit = 1000
	}
	return s.repo.Events(ctx, afterSeq, limit)
}
