package auth

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/transport/auth/oidclogin"
	"github.com/tidbok/tidbok/transport/httpkit"
)

func (rt Routes) provider(r *http.Request) (*oidclogin.RelyingParty, error) {
	rp, ok := rt.OIDC[r.PathValue("provider")]
	if !ok {
		return nil, fmt.Errorf("no sign-in provider %q is configured: %w", r.PathValue("provider"), core.ErrNotFound)
	}
	return rp, nil
}

// oidcStart sends the browser to the provider.
func (rt Routes) oidcStart(w http.ResponseWriter, r *http.Request) {
	rp, err := rt.provider(r)
	if err != nil {
		httpkit.WriteError(r.Context(), w, err)
		return
	}
	q, err := httpkit.Query(r)
	if err != nil {
		httpkit.WriteError(r.Context(), w, err)
		return
	}
	if err := rp.Begin(w, r, q.Get("return_to")); err != nil {
		httpkit.WriteError(r.Context(), w, err)
	}
}

// oidcCallback finishes the flow and signs the account in. A browser is
// sent back to return_to with the tokens in the URL fragment, which never
// reaches a server; a client that asks for JSON gets them as JSON.
func (rt Routes) oidcCallback(w http.ResponseWriter, r *http.Request) {
	ctx := core.WithRequestMeta(r.Context(), core.RequestMeta{ClientIP: httpkit.ClientIP(r), RequestID: httpkit.RequestID(r.Context())})
	rp, err := rt.provider(r)
	if err != nil {
		httpkit.WriteError(ctx, w, err)
		return
	}
	id, returnTo, err := rp.Finish(w, r)
	if err != nil {
		_ = rt.Service.RecordAudit(ctx, auth.AuditEntry{Action: "auth.oidc_failed", TargetKind: "provider",
			TargetID: rp.Name(), Outcome: "failure", Detail: err.Error()})
		httpkit.WriteError(ctx, w, err)
		return
	}
	t, err := rt.Service.SignInWithIdentity(ctx, auth.ExternalIdentity{
		Issuer: id.Issuer, Subject: id.Subject, Email: id.Email, EmailVerified: id.EmailVerified,
		Name: id.Name, PersonalIdentityNumber: id.PersonalIdentityNumber,
	}, rp.Purpose())
	if err != nil {
		httpkit.WriteError(ctx, w, err)
		return
	}
	httpkit.NoStore(ctx, w)
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		_ = httpkit.WriteJSON(w, http.StatusOK, tokensToJSON(t))
		return
	}
	frag := url.Values{}
	frag.Set("access_token", t.AccessToken)
	frag.Set("token_type", t.TokenType)
	frag.Set("expires_in", strconv.Itoa(int(t.ExpiresIn/time.Second)))
	frag.Set("refresh_token", t.RefreshToken)
	http.Redirect(w, r, returnTo+"#"+frag.Encode(), http.StatusFound)
}
