package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/transport/auth/oidclogin"
)

// oidcProvider is one entry of the TIDBOK_OIDC_CONFIG file.
type oidcProvider struct {
	Name         string   `json:"name"`
	Purpose      string   `json:"purpose"` // citizen or staff
	Issuer       string   `json:"issuer"`
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	Scopes       []string `json:"scopes"`
	PINClaim     string   `json:"pin_claim"`
}

// loadOIDCProviders discovers every configured OpenID provider. A provider
// that cannot be reached stops the start: a sign-in button that fails later
// is worse than a clear error now.
func loadOIDCProviders(ctx context.Context, cfg config, keyring *auth.Keyring) (map[string]*oidclogin.RelyingParty, error) {
	out := map[string]*oidclogin.RelyingParty{}
	if cfg.OIDCConfig == "" {
		return out, nil
	}
	b, err := os.ReadFile(cfg.OIDCConfig)
	if err != nil {
		return nil, fmt.Errorf("read OIDC config: %w", err)
	}
	var list []oidcProvider
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("parse OIDC config %s: %w", cfg.OIDCConfig, err)
	}
	for _, p := range list {
		if p.ClientSecret == "" {
			p.ClientSecret = os.Getenv("TIDBOK_OIDC_" + p.Name + "_SECRET")
		}
		rp, err := oidclogin.NewRelyingParty(ctx, oidclogin.ProviderConfig{
			Name: p.Name, Purpose: p.Purpose, Issuer: p.Issuer, ClientID: p.ClientID, ClientSecret: p.ClientSecret,
			RedirectURL: cfg.BaseURL + "/v1/auth/oidc/" + p.Name + "/callback", Scopes: p.Scopes, PINClaim: p.PINClaim,
		}, keyring.Derive("oidc-flow"))
		if err != nil {
			return nil, fmt.Errorf("OpenID provider %q: %w", p.Name, err)
		}
		out[p.Name] = rp
	}
	return out, nil
}
