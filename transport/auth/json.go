package auth

import (
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/auth"
)

type tokenJSON struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

func tokensToJSON(t auth.Tokens) any {
	return tokenJSON{AccessToken: t.AccessToken, TokenType: t.TokenType, ExpiresIn: int(t.ExpiresIn / time.Second),
		RefreshToken: t.RefreshToken, Scope: t.Scope}
}

type citizenJSON struct {
	ID                     string  `json:"id"`
	Email                  *string `json:"email"`
	Phone                  *string `json:"phone"`
	Name                   string  `json:"name"`
	Language               string  `json:"language"`
	PersonalIdentityNumber *string `json:"personal_identity_number"`
	NotifyEmail            bool    `json:"notify_email"`
	NotifySMS              bool    `json:"notify_sms"`
}

type staffJSON struct {
	ID          string     `json:"id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	Role        string     `json:"role"`
	AgencyID    *string    `json:"agency_id"`
	TOTPEnabled bool       `json:"totp_enabled"`
	Disabled    bool       `json:"disabled"`
	Language    string     `json:"language"`
	LastLoginAt *time.Time `json:"last_login_at"`
	CreatedAt   time.Time  `json:"created_at"`
}

type clientJSON struct {
	ClientID  string     `json:"client_id"`
	AgencyID  string     `json:"agency_id"`
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

type meJSON struct {
	Kind     string       `json:"kind"`
	ID       string       `json:"id"`
	Role     string       `json:"role,omitempty"`
	AgencyID string       `json:"agency_id,omitempty"`
	Scopes   []string     `json:"scopes,omitempty"`
	Citizen  *citizenJSON `json:"citizen,omitempty"`
	Staff    *staffJSON   `json:"staff,omitempty"`
	Client   *clientJSON  `json:"client,omitempty"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func citizenToJSON(c auth.Citizen, revealed string) *citizenJSON {
	j := &citizenJSON{ID: c.ID, Email: optional(c.Email), Phone: optional(c.Phone), Name: c.Name, Language: c.Language,
		NotifyEmail: c.NotifyEmail, NotifySMS: c.NotifySMS}
	switch {
	case revealed != "":
		j.PersonalIdentityNumber = &revealed
	case !c.PIN.IsZero():
		j.PersonalIdentityNumber = optional(c.PIN.Masked())
	}
	return j
}

func staffToJSON(s auth.Staff) staffJSON {
	return staffJSON{ID: s.ID, Email: s.Email, Name: s.Name, Role: string(s.Role), AgencyID: optional(s.AgencyID),
		TOTPEnabled: s.TOTPEnabled, Disabled: s.Disabled, Language: s.Language, LastLoginAt: s.LastLoginAt, CreatedAt: s.CreatedAt}
}

func clientToJSON(c auth.Client) clientJSON {
	scopes := c.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return clientJSON{ClientID: c.ID, AgencyID: c.AgencyID, Name: c.Name, Scopes: scopes, CreatedAt: c.CreatedAt, RevokedAt: c.RevokedAt}
}

func meToJSON(m auth.Me) any {
	j := meJSON{Kind: string(m.Principal.Kind), ID: m.Principal.Subject, Role: string(m.Principal.Role), AgencyID: m.Principal.AgencyID}
	if m.Principal.Kind == core.KindClient {
		j.Scopes = m.Principal.Scopes
	}
	if m.Citizen != nil {
		j.Citizen = citizenToJSON(*m.Citizen, m.RevealedPIN)
	}
	if m.Staff != nil {
		s := staffToJSON(*m.Staff)
		j.Staff = &s
	}
	if m.Client != nil {
		c := clientToJSON(*m.Client)
		j.Client = &c
	}
	return j
}

type auditJSON struct {
	ID         string    `json:"id"`
	At         time.Time `json:"at"`
	ActorKind  string    `json:"actor_kind"`
	ActorID    string    `json:"actor_id"`
	AgencyID   *string   `json:"agency_id"`
	Action     string    `json:"action"`
	TargetKind string    `json:"target_kind"`
	TargetID   string    `json:"target_id"`
	Outcome    string    `json:"outcome"`
	ClientIP   string    `json:"client_ip"`
	RequestID  string    `json:"request_id"`
	Detail     string    `json:"detail"`
}

func auditToJSON(e auth.AuditEntry) auditJSON {
	return auditJSON{ID: e.ID, At: e.At, ActorKind: e.ActorKind, ActorID: e.ActorID, AgencyID: optional(e.AgencyID),
		Action: e.Action, TargetKind: e.TargetKind, TargetID: e.TargetID, Outcome: e.Outcome, ClientIP: e.ClientIP,
		RequestID: e.RequestID, Detail: e.Detail}
}
