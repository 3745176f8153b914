package testkit

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tidbok/tidbok/core"
)

// AccessToken checks a 200 carrying an access token and returns it.
func AccessToken(t testing.TB, r Response) string {
	t.Helper()
	WantStatus(t, r, http.StatusOK)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	Decode(t, r, &tok)
	if tok.AccessToken == "" {
		t.Fatalf("no access token in %s", r.Body)
	}
	return tok.AccessToken
}

// Login signs staff in with a password and returns the bearer token.
func (c *Client) Login(t testing.TB, email, password string) string {
	t.Helper()
	return AccessToken(t, c.Call(t, "POST", "/v1/auth/login", "", map[string]string{"email": email, "password": password}))
}

// ClientToken gets a token for an integration client with client
// credentials in the form, as RFC 6749 allows.
func (c *Client) ClientToken(t testing.TB, id, secret string) string {
	t.Helper()
	return AccessToken(t, c.Do(t, c.ClientCredentials(t, url.Values{"client_id": {id}, "client_secret": {secret}})))
}

// ClientCredentials builds a client credentials grant with more form
// fields (none when the client authenticates with Basic).
func (c *Client) ClientCredentials(t testing.TB, form url.Values) *http.Request {
	t.Helper()
	f := url.Values{"grant_type": {"client_credentials"}}
	for k, v := range form {
		f[k] = v
	}
	req, err := http.NewRequest("POST", c.URL+"/v1/auth/token", strings.NewReader(f.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// Citizen is a signed-in citizen.
type Citizen struct {
	ID, Email, Token string
}

// SignInCitizen runs the e-mail code flow: it asks for a code with body
// (which names the address), reads the code with code once the server has
// sent it, verifies it, and checks with GET /v1/me who signed in.
func (c *Client) SignInCitizen(t testing.TB, address string, body map[string]string, code func() string) Citizen {
	t.Helper()
	r := c.Call(t, "POST", "/v1/auth/citizen/code", "", body)
	WantStatus(t, r, http.StatusAccepted)
	var ch struct {
		ChallengeID string `json:"challenge_id"`
	}
	Decode(t, r, &ch)
	tok := AccessToken(t, c.Call(t, "POST", "/v1/auth/citizen/verify", "", map[string]string{"challenge_id": ch.ChallengeID, "code": code()}))
	me := c.Call(t, "GET", "/v1/me", tok, nil)
	WantStatus(t, me, http.StatusOK)
	var m struct {
		Kind string `json:"kind"`
		ID   string `json:"id"`
	}
	Decode(t, me, &m)
	if m.Kind != "citizen" || !core.ValidID(m.ID) {
		t.Fatalf("GET /v1/me = %s", me.Body)
	}
	return Citizen{ID: m.ID, Email: address, Token: tok}
}
