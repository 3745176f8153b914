package core

import (
	"context"
	"errors"
	"testing"
)

func TestStatisticsAccess(t *testing.T) {
	const agencyA, agencyB = "agency-a", "agency-b"
	cases := []struct {
		name   string
		caller *Principal
		agency string
		want   error
	}{
		{"anonymous callers sign in first", nil, agencyA, ErrUnauthenticated},
		{"a citizen never reads statistics", &Principal{Kind: KindCitizen, Subject: "c1"}, agencyA, ErrForbidden},
		{"an agency admin reads their agency's", &Principal{Kind: KindStaff, Subject: "s1", Role: RoleAgencyAdmin, AgencyID: agencyA}, agencyA, nil},
		{"a caseworker reads their agency's", &Principal{Kind: KindStaff, Subject: "s2", Role: RoleCaseworker, AgencyID: agencyA}, agencyA, nil},
		{"an agency admin may not read another agency's", &Principal{Kind: KindStaff, Subject: "s1", Role: RoleAgencyAdmin, AgencyID: agencyA}, agencyB, ErrForbidden},
		{"a caseworker may not read another agency's", &Principal{Kind: KindStaff, Subject: "s2", Role: RoleCaseworker, AgencyID: agencyA}, agencyB, ErrForbidden},
		{"a system admin reads every agency's", &Principal{Kind: KindStaff, Subject: "s3", Role: RoleSystemAdmin}, agencyB, nil},
		{"a client with statistics:read reads its agency's", &Principal{Kind: KindClient, Subject: "k1", AgencyID: agencyA, Scopes: []string{ScopeStatisticsRead}}, agencyA, nil},
		{"a client without statistics:read is refused", &Principal{Kind: KindClient, Subject: "k1", AgencyID: agencyA, Scopes: []string{ScopeCasesRead, ScopeAppointmentsRead}}, agencyA, ErrForbidden},
		{"a client with statistics:read may not read another agency's", &Principal{Kind: KindClient, Subject: "k1", AgencyID: agencyA, Scopes: []string{ScopeStatisticsRead}}, agencyB, ErrForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.caller != nil {
				ctx = WithPrincipal(ctx, *tc.caller)
			}
			_, err := AuthorizeStatistics(ctx, tc.agency)
			if tc.want == nil && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
