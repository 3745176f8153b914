package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tidbok/tidbok/services/auth"
	authtransport "github.com/tidbok/tidbok/transport/auth"
	bookingtransport "github.com/tidbok/tidbok/transport/booking"
)

// links are the other services as this process reaches them when they run
// elsewhere: their base URLs (TIDBOK_<SERVICE>_URL) and one HTTP client that
// carries this process's service token. The token is an OAuth2 client
// credentials grant of the service client TIDBOK_SERVICE_CLIENT_ID, fetched
// from the auth service (over HTTP, or directly when auth runs here) on first
// use and again shortly before it expires.
type links struct {
	ctx  context.Context
	cfg  Config
	auth auth.Service // set when auth runs in this process

	client  *http.Client
	booking *bookingtransport.InternalClient
}

// url returns where service runs, or says what is missing for by.
func (l *links) url(service, by string) (string, error) {
	u := l.cfg.ServiceURLs[service]
	if u == "" {
		return "", fmt.Errorf("%s needs %s: run it in this process or set TIDBOK_%s_URL to where it runs",
			by, service, strings.ToUpper(service))
	}
	return u, nil
}

// httpClient returns the client that calls other services as this process.
func (l *links) httpClient(by string) (*http.Client, error) {
	if l.client != nil {
		return l.client, nil
	}
	if l.cfg.ServiceClientID == "" || l.cfg.ServiceClientSecret == "" {
		return nil, fmt.Errorf("%s calls other services over HTTP with a service credential: set TIDBOK_SERVICE_CLIENT_ID and "+
			"TIDBOK_SERVICE_CLIENT_SECRET (make one with `tidbok service-client create NAME`)", by)
	}
	var src oauth2.TokenSource
	if l.auth == nil {
		authURL, err := l.url("auth", by)
		if err != nil {
			return nil, err
		}
		cc := clientcredentials.Config{ClientID: l.cfg.ServiceClientID, ClientSecret: l.cfg.ServiceClientSecret,
			TokenURL: authURL + "/v1/auth/token", AuthStyle: oauth2.AuthStyleInHeader}
		src = cc.TokenSource(l.ctx)
	} else {
		src = oauth2.ReuseTokenSource(nil, localTokens{ctx: l.ctx, auth: l.auth, id: l.cfg.ServiceClientID, secret: l.cfg.ServiceClientSecret})
	}
	l.client = &http.Client{Timeout: 30 * time.Second, Transport: &oauth2.Transport{Source: src, Base: http.DefaultTransport}}
	return l.client, nil
}

// people returns the citizen and staff register and the audit log for by.
func (l *links) people(by string) (authtransport.People, authtransport.Auditor, error) {
	if l.auth != nil {
		return authtransport.LocalPeople{Register: l.auth}, l.auth, nil
	}
	hc, err := l.httpClient(by)
	if err != nil {
		return nil, nil, err
	}
	authURL, err := l.url("auth", by)
	if err != nil {
		return nil, nil, err
	}
	c, err := authtransport.NewInternalClient(authURL, hc)
	if err != nil {
		return nil, nil, err
	}
	return c, c, nil
}

// bookingInternal returns the client of booking's internal routes for by.
func (l *links) bookingInternal(by string) (*bookingtransport.InternalClient, error) {
	if l.booking != nil {
		return l.booking, nil
	}
	hc, err := l.httpClient(by)
	if err != nil {
		return nil, err
	}
	u, err := l.url("booking", by)
	if err != nil {
		return nil, err
	}
	l.booking, err = bookingtransport.NewInternalClient(u, hc)
	return l.booking, err
}

// localTokens gets the service token from the auth service in process.
type localTokens struct {
	ctx        context.Context
	auth       auth.Service
	id, secret string
}

func (t localTokens) Token() (*oauth2.Token, error) {
	tok, err := t.auth.ClientCredentials(t.ctx, t.id, t.secret, nil)
	if err != nil {
		return nil, fmt.Errorf("service token: %w", err)
	}
	return &oauth2.Token{AccessToken: tok.AccessToken, TokenType: "Bearer", Expiry: time.Now().Add(tok.ExpiresIn)}, nil
}
