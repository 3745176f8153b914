package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tidbok/tidbok/db/authstore"
	"github.com/tidbok/tidbok/services/auth"
)

const serviceClientUsage = `usage:
  tidbok service-client create [flags] NAME [SCOPE ...]
  tidbok service-client revoke [flags] ID

A service client is the credential one Tidbok process uses to call another
(TIDBOK_SERVICE_CLIENT_ID and TIDBOK_SERVICE_CLIENT_SECRET). Its scopes are
service scopes only, every one unless named: events:read people:read
people:write audit:write bookings:read. The flags are those of serve; the
command needs the auth service's database (TIDBOK_DATABASE_URL).
`

// serviceClient runs `tidbok service-client create|revoke` against the auth
// service's database.
func serviceClient(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "revoke") {
		fmt.Fprint(stderr, serviceClientUsage)
		return errUsage
	}
	sub := args[0]
	cfg, extra, err := parseConfig("service-client "+sub, args[1:], getenv, stderr)
	if err != nil {
		return helpIsNotAnError(err)
	}
	if len(extra) == 0 || (sub == "revoke" && len(extra) != 1) {
		fmt.Fprint(stderr, serviceClientUsage)
		return errUsage
	}
	d, err := openDatabase(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer d.Close()
	repo := authstore.New(d)
	if sub == "revoke" {
		if err := auth.RevokeServiceClient(ctx, repo, extra[0], time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "service client %s is revoked; the tokens it holds expire within their lifetime (15 minutes)\n", extra[0])
		return nil
	}
	c, secret, err := auth.CreateServiceClient(ctx, repo, extra[0], extra[1:], time.Now())
	if err != nil {
		return err
	}
	// The secret is shown this once; only its hash is stored.
	fmt.Fprintf(stdout, "TIDBOK_SERVICE_CLIENT_ID=%s\nTIDBOK_SERVICE_CLIENT_SECRET=%s\n", c.ID, secret)
	fmt.Fprintf(stderr, "service client %q created with the scopes %s; the secret is not shown again\n", c.Name, strings.Join(c.Scopes, " "))
	return nil
}
