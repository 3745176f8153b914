package core

import (
	"context"
	"errors"
	"testing"
)

func TestAccessDecisions(t *testing.T) {
	const agencyA, agencyB = "agency-a", "agency-b"
	citizen := Principal{Kind: KindCitizen, Subject: "citizen-1"}
	caseworkerA := Principal{Kind: KindStaff, Subject: "s1", Role: RoleCaseworker, AgencyID: agencyA}
	adminA := Principal{Kind: KindStaff, Subject: "s2", Role: RoleAgencyAdmin, AgencyID: agencyA}
	sysadmin := Principal{Kind: KindStaff, Subject: "s3", Role: RoleSystemAdmin}
	clientA := Principal{Kind: KindClient, Subject: "c1", AgencyID: agencyA, Scopes: []string{ScopeCasesRead}}
	system := System("notify")
	service := Principal{Kind: KindService, Subject: "tbsvc_notify", Scopes: []string{ScopeEventsRead, ScopePeopleRead}}
	// A client that somehow held a service scope is still no service.
	clientWithServiceScope := Principal{Kind: KindClient, Subject: "c2", AgencyID: agencyA, Scopes: []string{ScopeEventsRead}}

	type decision func(ctx context.Context) (Principal, error)
	cases := []struct {
		name   string
		caller *Principal
		decide decision
		want   error
	}{
		{"anonymous may not read citizen data", nil, func(ctx context.Context) (Principal, error) {
			return AuthorizeCitizenData(ctx, "citizen-1", agencyA, ScopeCasesRead)
		}, ErrUnauthenticated},
		{"a citizen reads their own data", &citizen, func(ctx context.Context) (Principal, error) {
			return AuthorizeCitizenData(ctx, "citizen-1", agencyA, ScopeCasesRead)
		}, nil},
		{"a citizen may not read another citizen's data", &citizen, func(ctx context.Context) (Principal, error) {
			return AuthorizeCitizenData(ctx, "citizen-2", agencyA, ScopeCasesRead)
		}, ErrForbidden},
		{"staff read their agency's citizen data", &caseworkerA, func(ctx context.Context) (Principal, error) {
			return AuthorizeCitizenData(ctx, "citizen-1", agencyA, ScopeCasesRead)
		}, nil},
		{"staff may not read another agency's citizen data", &caseworkerA, func(ctx context.Context) (Principal, error) {
			return AuthorizeCitizenData(ctx, "citizen-1", agencyB, ScopeCasesRead)
		}, ErrForbidden},
		{"staff may not read data that belongs to no agency", &caseworkerA, func(ctx context.Context) (Principal, error) {
			return AuthorizeCitizenData(ctx, "citizen-1", "", ScopeCasesRead)
		}, ErrForbidden},
		{"a client with the scope reads its agency's data", &clientA, func(ctx context.Context) (Principal, error) {
			return AuthorizeCitizenData(ctx, "citizen-1", agencyA, ScopeCasesRead)
		}, nil},
		{"a client without the scope is refused", &clientA, func(ctx context.Context) (Principal, error) {
			return AuthorizeCitizenData(ctx, "citizen-1", agencyA, ScopeAppointmentsRead)
		}, ErrForbidden},
		{"a client may not reach another agency", &clientA, func(ctx context.Context) (Principal, error) {
			return AuthorizeCitizenData(ctx, "citizen-1", agencyB, ScopeCasesRead)
		}, ErrForbidden},
		{"a caseworker is not an agency admin", &caseworkerA, func(ctx context.Context) (Principal, error) {
			return AuthorizeAgency(ctx, agencyA, "", RoleAgencyAdmin)
		}, ErrForbidden},
		{"an agency admin administers their agency", &adminA, func(ctx context.Context) (Principal, error) {
			return AuthorizeAgency(ctx, agencyA, "", RoleAgencyAdmin)
		}, nil},
		{"an agency admin may not administer another agency", &adminA, func(ctx context.Context) (Principal, error) {
			return AuthorizeAgency(ctx, agencyB, "", RoleAgencyAdmin)
		}, ErrForbidden},
		{"a system admin administers every agency", &sysadmin, func(ctx context.Context) (Principal, error) {
			return AuthorizeAgency(ctx, agencyB, "", RoleAgencyAdmin)
		}, nil},
		{"a client is refused where no scope grants access", &clientA, func(ctx context.Context) (Principal, error) {
			return AuthorizeAgency(ctx, agencyA, "")
		}, ErrForbidden},
		{"a citizen is never an agency member", &citizen, func(ctx context.Context) (Principal, error) {
			return AuthorizeAgency(ctx, agencyA, ScopeCasesRead)
		}, ErrForbidden},
		{"only system admins are system admins", &adminA, func(ctx context.Context) (Principal, error) {
			return AuthorizeSystemAdmin(ctx)
		}, ErrForbidden},
		{"a system admin is", &sysadmin, func(ctx context.Context) (Principal, error) {
			return AuthorizeSystemAdmin(ctx)
		}, nil},
		{"Tidbok itself reads citizen data in process", &system, func(ctx context.Context) (Principal, error) {
			return AuthorizeCitizenData(ctx, "citizen-1", agencyA, ScopeCasesRead)
		}, nil},
		{"Tidbok itself is no system admin", &system, func(ctx context.Context) (Principal, error) {
			return AuthorizeSystemAdmin(ctx)
		}, ErrForbidden},
		{"a service with the scope reaches the internal route", &service, func(ctx context.Context) (Principal, error) {
			return AuthorizeService(ctx, ScopeEventsRead)
		}, nil},
		{"a service without the scope is refused", &service, func(ctx context.Context) (Principal, error) {
			return AuthorizeService(ctx, ScopeAuditWrite)
		}, ErrForbidden},
		{"anonymous callers are not services", nil, func(ctx context.Context) (Principal, error) {
			return AuthorizeService(ctx, ScopeEventsRead)
		}, ErrUnauthenticated},
		{"a citizen is not a service", &citizen, func(ctx context.Context) (Principal, error) {
			return AuthorizeService(ctx, ScopeEventsRead)
		}, ErrForbidden},
		{"a system admin is not a service", &sysadmin, func(ctx context.Context) (Principal, error) {
			return AuthorizeService(ctx, ScopeEventsRead)
		}, ErrForbidden},
		{"a client holding a service scope is not a service", &clientWithServiceScope, func(ctx context.Context) (Principal, error) {
			return AuthorizeService(ctx, ScopeEventsRead)
		}, ErrForbidden},
		{"Tidbok in process needs no internal route", &system, func(ctx context.Context) (Principal, error) {
			return AuthorizeService(ctx, ScopeEventsRead)
		}, ErrForbidden},
		{"a service may not read citizen data", &service, func(ctx context.Context) (Principal, error) {
			return AuthorizeCitizenData(ctx, "citizen-1", agencyA, ScopeCasesRead)
		}, ErrForbidden},
		{"a service is no agency member", &service, func(ctx context.Context) (Principal, error) {
			return AuthorizeAgency(ctx, "", ScopeCasesRead)
		}, ErrForbidden},
		{"a service is no system admin", &service, func(ctx context.Context) (Principal, error) {
			return AuthorizeSystemAdmin(ctx)
		}, ErrForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.caller != nil {
				ctx = WithPrincipal(ctx, *tc.caller)
			}
			_, err := tc.decide(ctx)
			if tc.want == nil && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
