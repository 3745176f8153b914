package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tidbok/tidbok/core"
)

// Service clients are Tidbok's own processes: notify reading booking's
// events, intake asking auth for a citizen's contact details. They sign in
// with OAuth2 client credentials like an agency's system, but their tokens
// carry the kind "service", no agency, and only the scopes in
// core.ServiceScopes, which reach the internal routes and nothing else.
// They are made by an operator with access to the database (`tidbok
// service-client create`), not through the API: no person's token can mint
// one.

const serviceClientPrefix = "tbsvc_"

// CreateServiceClient registers a service client named name with scopes
// (every service scope when empty) and returns it with its secret, which is
// shown this once and stored only as a hash.
func CreateServiceClient(ctx context.Context, repo Repository, name string, scopes []string, now time.Time) (Client, string, error) {
	var v core.Validator
	name = strings.TrimSpace(name)
	v.Check(name != "" && len(name) <= 200 && plainText(name), "name", "is required, at most 200 characters, no control characters")
	if len(scopes) == 0 {
		scopes = core.ServiceScopes
	}
	for _, sc := range scopes {
		v.Check(slices.Contains(core.ServiceScopes, sc), "scopes", fmt.Sprintf("%q is not a service scope; known: %s", sc, strings.Join(core.ServiceScopes, " ")))
	}
	if err := v.Err(); err != nil {
		return Client{}, "", err
	}
	scopes = slices.Clone(scopes)
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)
	secret := randomToken("tbs_")
	c := Client{ID: serviceClientPrefix + strings.ReplaceAll(core.NewID(), "-", "")[:24], Name: name,
		SecretHash: hashToken(secret), Scopes: scopes, CreatedBy: "tidbok", CreatedAt: now.UTC()}
	if err := repo.CreateServiceClient(ctx, c); err != nil {
		return Client{}, "", err
	}
	_ = repo.AppendAudit(ctx, AuditEntry{ID: core.NewID(), At: now.UTC(), ActorKind: "system", ActorID: "tidbok",
		Action: "auth.service_client_created", TargetKind: "service_client", TargetID: c.ID, Outcome: "success",
		Detail: "scope=" + strings.Join(scopes, " ")})
	return c, secret, nil
}

// RevokeServiceClient stops a service client from getting new tokens; those
// it holds expire within the access token lifetime.
func RevokeServiceClient(ctx context.Context, repo Repository, id string, now time.Time) error {
	if !validServiceClientID(id) {
		return core.Invalid("id", "must be a service client id (tbsvc_...)")
	}
	if err := repo.RevokeServiceClient(ctx, id, now.UTC()); err != nil {
		return err
	}
	_ = repo.AppendAudit(ctx, AuditEntry{ID: core.NewID(), At: now.UTC(), ActorKind: "system", ActorID: "tidbok",
		Action: "auth.service_client_revoked", TargetKind: "service_client", TargetID: id, Outcome: "success"})
	return nil
}

// validServiceClientID reports whether id has the form of a service
// client's id ("tbsvc_" and letters or digits).
func validServiceClientID(id string) bool {
	rest, ok := strings.CutPrefix(id, serviceClientPrefix)
	if !ok || rest == "" || len(id) > 64 {
		return false
	}
	for _, r := range rest {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}
