// Package demo loads Tidbok's demo data: two agencies with offices and
// meeting types in every mode, so a fresh install can be tried at once.
// Every row has a fixed id and fixed timestamps, so loading it twice changes
// nothing.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/services/booking"
)

// DirectoryStore is what the demo needs to write booking's directory.
type DirectoryStore interface {
	SaveAgency(ctx context.Context, a booking.Agency) error
	SaveOffice(ctx context.Context, o booking.Office) error
	SaveMeetingType(ctx context.Context, mt booking.MeetingType) error
}

// AccountStore is what the demo needs to create staff and clients.
type AccountStore interface {
	CreateStaff(ctx context.Context, s auth.Staff, sealedTOTP []byte) error
	CreateClient(ctx context.Context, c auth.Client) error
}

// Stores are the stores the demo writes to.
type Stores struct {
	Directory DirectoryStore
	Accounts  AccountStore
	Schedules ScheduleStore
	// Appointments, with Schedules, books a few appointments and call-back
	// requests so that lists are not empty; Citizens registers the citizens
	// they are for. Both are optional.
	Appointments AppointmentStore
	Citizens     CitizenStore
	// Intake writes case categories, reference prefixes and Anna's cases
	// (demo/intake.go).
	Intake IntakeStore
}

// Secrets are the demo's password and client secret. Keep them from the
// first load so that loading again changes nothing.
type Secrets struct {
	Password     string
	ClientSecret string
}

// Credentials is what a person needs to try the demo; it is written to
// <data dir>/demo-credentials.json.
type Credentials struct {
	Agencies []AgencyRef   `json:"agencies"`
	Staff    []StaffLogin  `json:"staff"`
	Clients  []ClientLogin `json:"clients"`
}

// StaffLogin is a demo staff account.
type StaffLogin struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Role     string `json:"role"`
	AgencyID string `json:"agency_id,omitempty"`
	Name     string `json:"name"`
}

// ClientLogin is a demo integration client.
type ClientLogin struct {
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	AgencyID     string   `json:"agency_id"`
	Scopes       []string `json:"scopes"`
}

// ReadCredentials reads what an earlier load wrote, to reuse its secrets.
func ReadCredentials(dataDir string) (Credentials, error) {
	var c Credentials
	b, err := os.ReadFile(filepath.Join(dataDir, "demo-credentials.json"))
	if err != nil {
		return c, err
	}
	return c, json.Unmarshal(b, &c)
}

// AgencyRef names a demo agency.
type AgencyRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// The demo's fixed ids, derived from names so they never change.
var (
	ExempelbyID   = core.StableID("agency/exempelby-kommun")
	VardcentralID = core.StableID("agency/vardcentral-exempelby")
)

// epoch is the demo rows' creation time; fixed so reloading writes the same values.
var epoch = time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)

// Load writes the demo into the stores and returns the credentials.
// Accounts that exist already are left as they are.
func Load(ctx context.Context, s Stores, secrets Secrets) (Credentials, error) {
	for _, a := range Agencies() {
		if err := s.Directory.SaveAgency(ctx, a); err != nil {
			return Credentials{}, fmt.Errorf("demo agency %s: %w", a.Name, err)
		}
	}
	for _, o := range Offices() {
		if err := s.Directory.SaveOffice(ctx, o); err != nil {
			return Credentials{}, fmt.Errorf("demo office %s: %w", o.Name, err)
		}
	}
	for _, mt := range MeetingTypes() {
		if err := s.Directory.SaveMeetingType(ctx, mt); err != nil {
			return Credentials{}, fmt.Errorf("demo meeting type %s: %w", mt.Name.SV, err)
		}
	}
	if s.Schedules != nil {
		if err := loadSchedules(ctx, s.Schedules, time.Now()); err != nil {
			return Credentials{}, err
		}
		if s.Appointments != nil {
			if err := loadAppointments(ctx, s.Appointments, s.Citizens, time.Now()); err != nil {
				return Credentials{}, err
			}
			if err := loadHistory(ctx, s.Appointments, time.Now()); err != nil {
				return Credentials{}, err
			}
		}
	}
	if s.Intake != nil {
		if err := loadIntake(ctx, s.Intake, s.Citizens, time.Now()); err != nil {
			return Credentials{}, err
		}
	}
	var creds Credentials
	for _, a := range Agencies() {
		creds.Agencies = append(creds.Agencies, AgencyRef{ID: a.ID, Name: a.Name})
	}
	if s.Accounts == nil {
		return creds, nil
	}
	for _, st := range StaffAccounts() {
		st.PasswordHash = auth.HashPassword(secrets.Password)
		if err := s.Accounts.CreateStaff(ctx, st, nil); err != nil && !errors.Is(err, core.ErrConflict) {
			return Credentials{}, fmt.Errorf("demo staff %s: %w", st.Email, err)
		}
		creds.Staff = append(creds.Staff, StaffLogin{Email: st.Email, Password: secrets.Password, Role: string(st.Role), AgencyID: st.AgencyID, Name: st.Name})
	}
	c := auth.Client{ID: ClientID, AgencyID: ExempelbyID, Name: "Exempelby ärendesystem",
		SecretHash: auth.HashClientSecret(secrets.ClientSecret), Scopes: core.AllScopes, CreatedBy: "demo", CreatedAt: epoch}
	if err := s.Accounts.CreateClient(ctx, c); err != nil && !errors.Is(err, core.ErrConflict) {
		return Credentials{}, fmt.Errorf("demo client: %w", err)
	}
	creds.Clients = append(creds.Clients, ClientLogin{ClientID: c.ID, ClientSecret: secrets.ClientSecret, AgencyID: c.AgencyID, Scopes: c.Scopes})
	return creds, nil
}

// ClientID is the demo integration client of Exempelby kommun.
const ClientID = "tbk_exempelbydemo000000000"

// StaffAccounts are the demo staff: a caseworker and an agency admin for each
// agency, and a system admin.
func StaffAccounts() []auth.Staff {
	staff := func(email, name string, role core.Role, agency string) auth.Staff {
		return auth.Staff{ID: core.StableID("staff/" + email), Email: email, Name: name, Role: role, AgencyID: agency,
			CreatedAt: epoch, UpdatedAt: epoch}
	}
	return []auth.Staff{
		staff("handlaggare@exempelby.se", "Hanna Handläggare", core.RoleCaseworker, ExempelbyID),
		staff("admin@exempelby.se", "Adam Administratör", core.RoleAgencyAdmin, ExempelbyID),
		staff("sjukskoterska@vardcentral.exempelby.se", "Sara Sjuksköterska", core.RoleCaseworker, VardcentralID),
		staff("admin@vardcentral.exempelby.se", "Vera Verksamhetschef", core.RoleAgencyAdmin, VardcentralID),
		staff("systemadmin@tidbok.exempelby.se", "Sam Systemadmin", core.RoleSystemAdmin, ""),
	}
}

// WriteCredentials writes creds to <dataDir>/demo-credentials.json, readable
// only by the owner, and returns the path.
func WriteCredentials(dataDir string, creds Credentials) (string, error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(creds, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dataDir, "demo-credentials.json")
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return "", err
	}
	return path, nil
}

// Agencies are the demo agencies.
func Agencies() []booking.Agency {
	return []booking.Agency{
		{
			ID: ExempelbyID, Name: "Exempelby kommun", OrgNumber: "212000-9999",
			Kind: booking.Municipality, TimeZone: "Europe/Stockholm", DefaultLanguage: booking.Swedish,
			CreatedAt: epoch, UpdatedAt: epoch,
		},
		{
			ID: VardcentralID, Name: "Vårdcentral Exempelby", OrgNumber: "232100-9998",
			Kind: booking.Healthcare, TimeZone: "Europe/Stockholm", DefaultLanguage: booking.Swedish,
			CreatedAt: epoch, UpdatedAt: epoch,
		},
	}
}

// Office ids of the demo.
var (
	MedborgarkontoretID = core.StableID("office/exempelby/medborgarkontoret")
	StadshusetID        = core.StableID("office/exempelby/stadshuset")
	VardcentralOfficeID = core.StableID("office/vardcentral/mottagningen")
)

// Offices are the demo offices.
func Offices() []booking.Office {
	return []booking.Office{
		{
			ID: MedborgarkontoretID, AgencyID: ExempelbyID, Name: "Medborgarkontoret",
			Address:            booking.Address{Street: "Torget 1", PostalCode: "123 45", City: "Exempelby"},
			OpeningNotes:       "Öppet vardagar 08–16, torsdagar till 18. Entré från torget.",
			AccessibilityNotes: "Entré utan trappsteg, hörselslinga i receptionen, parkering för rörelsehindrade vid entrén.",
			CreatedAt:          epoch, UpdatedAt: epoch,
		},
		{
			ID: StadshusetID, AgencyID: ExempelbyID, Name: "Stadshuset, plan 3",
			Address:            booking.Address{Street: "Storgatan 12", PostalCode: "123 40", City: "Exempelby"},
			OpeningNotes:       "Anmäl dig i receptionen på plan 1.",
			AccessibilityNotes: "Hiss till plan 3, ramp vid huvudentrén. Ingen hörselslinga.",
			CreatedAt:          epoch, UpdatedAt: epoch,
		},
		{
			ID: VardcentralOfficeID, AgencyID: VardcentralID, Name: "Vårdcentral Exempelby",
			Address:            booking.Address{Street: "Hälsovägen 5", PostalCode: "123 50", City: "Exempelby"},
			OpeningNotes:       "Anmäl dig i kassan eller vid incheckningsautomaten.",
			AccessibilityNotes: "Automatiska dörrar, rullstol att låna vid entrén, hörselslinga i väntrummet.",
			CreatedAt:          epoch, UpdatedAt: epoch,
		},
	}
}

func meetingType(agency, key string, name, desc booking.Text, minutes int, modes ...booking.Mode) booking.MeetingType {
	return booking.MeetingType{
		ID: core.StableID("meeting-type/" + key), AgencyID: agency, Name: name, Description: desc, WhatToBring: whatToBring[key],
		Duration: time.Duration(minutes) * time.Minute, Modes: modes,
		BufferAfter: 10 * time.Minute, SlotStep: booking.DefaultSlotStep, MinNotice: booking.DefaultMinNotice,
		Horizon: booking.DefaultHorizon, CancellationCutoff: booking.DefaultCancellationCutoff,
		CitizenBookable: true, MaxActivePerCitizen: booking.DefaultMaxActivePerCitizen,
		ReminderBefore: booking.DefaultReminderBefore,
		CreatedAt:      epoch, UpdatedAt: epoch,
	}
}

// whatToBring is what the citizen brings to each demo meeting type, by key;
// the messages and the manage page put it after "Ta med:" / "Bring:".
// Meetings by phone or video alone need nothing brought.
var whatToBring = map[string]booking.Text{
	"exempelby/social-first-meeting": {
		SV: "Legitimation, och gärna papper om din situation, till exempel beslut eller räkningar",
		EN: "ID, and any papers about your situation, such as decisions or bills",
	},
	"exempelby/building-permit-advice": {
		SV: "Ritningar och fastighetsbeteckning",
		EN: "Drawings and the property designation",
	},
	"exempelby/debt-counselling": {
		SV: "Legitimation, lönebesked, räkningar och besked om dina skulder",
		EN: "ID, pay slips, bills and statements of your debts",
	},
	"exempelby/elder-care-assessment": {
		SV: "Legitimation och en lista över dina läkemedel",
		EN: "ID and a list of your medicines",
	},
	"vardcentral/doctor-visit": {
		SV: "Legitimation och en lista över dina läkemedel",
		EN: "ID and a list of your medicines",
	},
}

// MeetingTypes are the demo meeting types.
func MeetingTypes() []booking.MeetingType {
	return []booking.MeetingType{
		meetingType(ExempelbyID, "exempelby/social-first-meeting",
			booking.Text{SV: "Socialtjänsten – första samtal", EN: "Social services – first meeting"},
			booking.Text{
				SV: "Ett första samtal med en socialsekreterare om din situation. Du kan få tolk.",
				EN: "A first conversation with a social worker about your situation. An interpreter can be arranged.",
			}, 45, booking.Phone, booking.Video, booking.InPerson),
		meetingType(ExempelbyID, "exempelby/building-permit-advice",
			booking.Text{SV: "Bygglovsrådgivning", EN: "Building permit advice"},
			booking.Text{
				SV: "Rådgivning inför ansökan om bygglov, marklov eller anmälan.",
				EN: "Advice before applying for a building, land or demolition permit.",
			}, 30, booking.Phone, booking.Video, booking.InPerson),
		meetingType(ExempelbyID, "exempelby/debt-counselling",
			booking.Text{SV: "Budget- och skuldrådgivning", EN: "Budget and debt counselling"},
			booking.Text{
				SV: "Kostnadsfri och sekretesskyddad rådgivning om budget och skulder.",
				EN: "Free and confidential counselling on budgets and debts.",
			}, 60, booking.Phone, booking.InPerson),
		meetingType(ExempelbyID, "exempelby/elder-care-assessment",
			booking.Text{SV: "Biståndsbedömning äldreomsorg", EN: "Elder care needs assessment"},
			booking.Text{
				SV: "En biståndshandläggare går igenom vilket stöd du eller din närstående behöver.",
				EN: "A needs assessor goes through the support you or your relative needs.",
			}, 60, booking.Phone, booking.InPerson),
		meetingType(VardcentralID, "vardcentral/nurse-callback",
			booking.Text{SV: "Sjuksköterska ringer upp", EN: "Nurse calls you back"},
			booking.Text{
				SV: "En sjuksköterska ringer dig för bedömning och råd.",
				EN: "A nurse calls you for an assessment and advice.",
			}, 15, booking.Phone),
		meetingType(VardcentralID, "vardcentral/doctor-visit",
			booking.Text{SV: "Läkarbesök", EN: "Doctor's appointment"},
			booking.Text{
				SV: "Besök hos läkare på vårdcentralen.",
				EN: "A visit to a doctor at the health centre.",
			}, 30, booking.InPerson),
		meetingType(VardcentralID, "vardcentral/video-consultation",
			booking.Text{SV: "Videobesök", EN: "Video consultation"},
			booking.Text{
				SV: "Möt läkare eller sjuksköterska i ett videosamtal från mobilen eller datorn.",
				EN: "Meet a doctor or nurse in a video call from your phone or computer.",
			}, 20, booking.Video),
	}
}
