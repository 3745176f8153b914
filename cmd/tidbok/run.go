package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/go-kit/log"

	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/authstore"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/db/intakestore"
	"github.com/tidbok/tidbok/demo"
	"github.com/tidbok/tidbok/services/auth"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

const usage = `Usage: tidbok <command> [flags]

Commands:
  serve        run the services (all, or those named by --services)
  migrate      bring the database schema up to date
  seed --demo  load the demo agencies, staff and client; write <data dir>/demo-credentials.json
  keys rotate  make a new token signing key (the old one stays published until its tokens expire)
  service-client create NAME | revoke ID
               the credential with which one service process calls another
  version      print the version

Run 'tidbok <command> -h' for the flags of a command. Every flag can also be
set with its TIDBOK_* environment variable.
`

// run is the whole program; main only gives it the process's context,
// arguments, environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		cfg, extra, err := parseConfig(cmd, rest, getenv, stderr)
		if err != nil {
			return helpIsNotAnError(err)
		}
		if len(extra) > 0 {
			return fmt.Errorf("serve takes no arguments, got %q", extra)
		}
		return serve(ctx, cfg, stdout, stderr)
	case "migrate":
		cfg, _, err := parseConfig(cmd, rest, getenv, stderr)
		if err != nil {
			return helpIsNotAnError(err)
		}
		return migrate(ctx, cfg, stdout)
	case "seed":
		return seed(ctx, rest, getenv, stdout, stderr)
	case "keys":
		return keys(ctx, rest, getenv, stdout, stderr)
	case "service-client":
		return serviceClient(ctx, rest, getenv, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "tidbok", buildVersion())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
		return errUsage
	}
}

func helpIsNotAnError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel-" + rev
}

func openDatabase(ctx context.Context, cfg config, migrate bool) (*db.DB, error) {
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if migrate {
		if _, err := d.Migrate(ctx); err != nil {
			d.Close()
			return nil, err
		}
	}
	return d, nil
}

func migrate(ctx context.Context, cfg config, stdout io.Writer) error {
	d, err := openDatabase(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer d.Close()
	v, err := d.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database %s is at schema version %d\n", db.Redact(cfg.DatabaseURL), v)
	return nil
}

func seed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var withDemo bool
	rest := args[:0:0]
	for _, a := range args {
		if a == "--demo" || a == "-demo" {
			withDemo = true
			continue
		}
		rest = append(rest, a)
	}
	cfg, _, err := parseConfig("seed", rest, getenv, stderr)
	if err != nil {
		return helpIsNotAnError(err)
	}
	if !withDemo {
		fmt.Fprintln(stderr, "seed loads demo data only; run 'tidbok seed --demo'")
		return errUsage
	}
	d, err := openDatabase(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer d.Close()
	// Keep the secrets of an earlier load, so loading again changes nothing.
	secrets := demo.Secrets{Password: getenv("TIDBOK_DEMO_PASSWORD")}
	if prev, err := demo.ReadCredentials(cfg.DataDir); err == nil {
		if secrets.Password == "" && len(prev.Staff) > 0 {
			secrets.Password = prev.Staff[0].Password
		}
		if len(prev.Clients) > 0 {
			secrets.ClientSecret = prev.Clients[0].ClientSecret
		}
	}
	if secrets.Password == "" {
		secrets.Password = auth.GeneratePassword()
	}
	if secrets.ClientSecret == "" {
		secrets.ClientSecret = auth.NewClientSecret()
	}
	creds, err := demo.Load(ctx, demo.Stores{Directory: bookingstore.New(d), Accounts: authstore.New(d), Schedules: bookingstore.New(d),
		Appointments: bookingstore.New(d), Citizens: authstore.New(d), Intake: intakestore.New(d)}, secrets)
	if err != nil {
		return err
	}
	path, err := demo.WriteCredentials(cfg.DataDir, creds)
	if err != nil {
		return fmt.Errorf("write demo credentials: %w", err)
	}
	b, _ := json.MarshalIndent(creds, "", "  ")
	fmt.Fprintf(stdout, "demo data loaded into %s\ncredentials written to %s:\n%s\n", db.Redact(cfg.DatabaseURL), path, b)
	return nil
}

func newLogger(cfg config, w io.Writer) log.Logger {
	var logger log.Logger
	if cfg.LogFormat == "logfmt" {
		logger = log.NewLogfmtLogger(log.NewSyncWriter(w))
	} else {
		logger = log.NewJSONLogger(log.NewSyncWriter(w))
	}
	return log.With(logger, "ts", log.DefaultTimestampUTC)
}
