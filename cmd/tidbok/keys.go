package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db/authstore"
	"github.com/tidbok/tidbok/pin"
	"github.com/tidbok/tidbok/services/auth"
)

// loadKeyring reads the auth and personal-identity-number keys from
// TIDBOK_AUTH_KEY and TIDBOK_PIN_KEY (base64), or from key files in the data
// directory, created on first start. Losing the PIN key loses every stored
// personal identity number: back the data directory up.
func loadKeyring(cfg config) (*auth.Keyring, error) {
	load := func(value, file string) ([]byte, error) {
		if value != "" {
			return pin.KeyFromBase64(value)
		}
		return pin.LoadOrCreateKeyFile(filepath.Join(cfg.DataDir, file))
	}
	authKey, err := load(cfg.AuthKey, "auth.key")
	if err != nil {
		return nil, fmt.Errorf("auth key: %w", err)
	}
	pinKey, err := load(cfg.PINKey, "pin.key")
	if err != nil {
		return nil, fmt.Errorf("personal identity number key: %w", err)
	}
	sealer, err := pin.NewSealer(pinKey)
	if err != nil {
		return nil, err
	}
	return auth.NewKeyring(authKey, sealer)
}

// keys runs `tidbok keys rotate`: a new signing key; the old one stays
// published until the tokens it signed have expired.
func keys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		fmt.Fprintln(stderr, "usage: tidbok keys rotate [flags]")
		return errUsage
	}
	cfg, _, err := parseConfig("keys rotate", args[1:], getenv, stderr)
	if err != nil {
		return helpIsNotAnError(err)
	}
	d, err := openDatabase(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer d.Close()
	keyring, err := loadKeyring(cfg)
	if err != nil {
		return err
	}
	svc := auth.NewService(auth.DefaultConfig(cfg.BaseURL), authstore.New(d), keyring, nil, core.SystemClock{})
	kid, err := svc.RotateSigningKey(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "new signing key %s is active; earlier keys stay published until their tokens expire\n", kid)
	return nil
}
