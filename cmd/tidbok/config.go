package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// config is every setting of the binary. Each has a flag and a TIDBOK_*
// environment variable; a flag wins over the variable.
type config struct {
	HTTPAddr        string
	DatabaseURL     string
	BaseURL         string
	DataDir         string
	SMTPURL         string
	SMSURL          string
	VideoBaseURL    string
	Services        []string
	ServiceURLs     map[string]string // remote services: name -> base URL
	TimeZone        string
	Dev             bool
	NoMigrate       bool
	ShutdownTimeout time.Duration
	LogFormat       string
	AuthKey         string // base64; empty: <data dir>/auth.key
	PINKey          string // base64; empty: <data dir>/pin.key
	// The service credential this process calls the others with; from the
	// environment only, so the secret is not seen in a process list.
	ServiceClientID     string
	ServiceClientSecret string
	OIDCConfig          string // path to a JSON list of OpenID providers
	TrustProxy          bool
	MailFrom            string
	PublicRateLimit     float64
	SignInRateLimit     float64
}

// serviceNames are the services the binary can run, in start order.
var serviceNames = []string{"auth", "intake", "booking", "notify"}

var errUsage = errors.New("usage error")

// parseConfig reads flags from args over environment variables from getenv.
func parseConfig(name string, args []string, getenv func(string) string, stderr io.Writer) (config, []string, error) {
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	var c config
	fs := flag.NewFlagSet("tidbok "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.HTTPAddr, "http-addr", env("TIDBOK_HTTP_ADDR", "127.0.0.1:8080"), "address to listen on (TIDBOK_HTTP_ADDR)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("TIDBOK_DATABASE_URL", "sqlite://./var/tidbok.db"), "sqlite://path or postgres://... (TIDBOK_DATABASE_URL)")
	fs.StringVar(&c.BaseURL, "base-url", env("TIDBOK_BASE_URL", ""), "public URL of this installation, for links in messages (TIDBOK_BASE_URL; default http://<http-addr>)")
	fs.StringVar(&c.DataDir, "data-dir", env("TIDBOK_DATA_DIR", "./var"), "directory for keys, demo credentials and mail files (TIDBOK_DATA_DIR)")
	fs.StringVar(&c.SMTPURL, "smtp-url", env("TIDBOK_SMTP_URL", ""), "smtp://host:port for outgoing mail; unset writes .eml files to the data dir (TIDBOK_SMTP_URL)")
	fs.StringVar(&c.SMSURL, "sms-url", env("TIDBOK_SMS_URL", ""), "SMS gateway URL (TIDBOK_SMS_URL)")
	fs.StringVar(&c.VideoBaseURL, "video-base-url", env("TIDBOK_VIDEO_BASE_URL", "https://meet.jit.si"), "base URL of generated video meeting links (TIDBOK_VIDEO_BASE_URL)")
	services := fs.String("services", env("TIDBOK_SERVICES", "all"), "services to run: all, or a comma-separated list of "+strings.Join(serviceNames, ", ")+" (TIDBOK_SERVICES)")
	fs.StringVar(&c.TimeZone, "timezone", env("TIDBOK_TIMEZONE", "Europe/Stockholm"), "default time zone of new agencies (TIDBOK_TIMEZONE)")
	dev, _ := strconv.ParseBool(env("TIDBOK_DEV", "false"))
	fs.BoolVar(&c.Dev, "dev", dev, "development mode: demo logins are shown (TIDBOK_DEV)")
	noMigrate, _ := strconv.ParseBool(env("TIDBOK_NO_MIGRATE", "false"))
	fs.BoolVar(&c.NoMigrate, "no-migrate", noMigrate, "do not migrate the database on start (TIDBOK_NO_MIGRATE)")
	shutdown, err := time.ParseDuration(env("TIDBOK_SHUTDOWN_TIMEOUT", "20s"))
	if err != nil {
		return c, nil, fmt.Errorf("TIDBOK_SHUTDOWN_TIMEOUT: %w", err)
	}
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", shutdown, "how long in-flight requests may run after SIGTERM (TIDBOK_SHUTDOWN_TIMEOUT)")
	fs.StringVar(&c.LogFormat, "log-format", env("TIDBOK_LOG_FORMAT", "json"), "json or logfmt (TIDBOK_LOG_FORMAT)")
	c.AuthKey = getenv("TIDBOK_AUTH_KEY")
	c.PINKey = getenv("TIDBOK_PIN_KEY")
	c.ServiceClientID = getenv("TIDBOK_SERVICE_CLIENT_ID")
	c.ServiceClientSecret = getenv("TIDBOK_SERVICE_CLIENT_SECRET")
	fs.StringVar(&c.OIDCConfig, "oidc-config", env("TIDBOK_OIDC_CONFIG", ""), "JSON file listing OpenID Connect providers (TIDBOK_OIDC_CONFIG)")
	trust, _ := strconv.ParseBool(env("TIDBOK_TRUST_PROXY", "false"))
	fs.BoolVar(&c.TrustProxy, "trust-proxy", trust, "take the client address from X-Forwarded-For, set by a trusted reverse proxy (TIDBOK_TRUST_PROXY)")
	fs.StringVar(&c.MailFrom, "mail-from", env("TIDBOK_MAIL_FROM", "Tidbok <no-reply@tidbok.invalid>"), "sender of outgoing mail (TIDBOK_MAIL_FROM)")
	publicLimit, err := strconv.ParseFloat(env("TIDBOK_PUBLIC_RATE_LIMIT", "600"), 64)
	if err != nil || publicLimit < 0 {
		return c, nil, fmt.Errorf("TIDBOK_PUBLIC_RATE_LIMIT must be a number of requests per minute, 0 for none")
	}
	fs.Float64Var(&c.PublicRateLimit, "public-rate-limit", publicLimit, "requests per minute per client address on public availability routes; 0 for no limit (TIDBOK_PUBLIC_RATE_LIMIT)")
	signInLimit, err := strconv.ParseFloat(env("TIDBOK_SIGNIN_RATE_LIMIT", "30"), 64)
	if err != nil || signInLimit < 0 {
		return c, nil, fmt.Errorf("TIDBOK_SIGNIN_RATE_LIMIT must be a number of requests per minute, 0 for none")
	}
	fs.Float64Var(&c.SignInRateLimit, "signin-rate-limit", signInLimit, "requests per minute per client address on sign-in routes; 0 for no limit (TIDBOK_SIGNIN_RATE_LIMIT)")
	c.ServiceURLs = map[string]string{}
	remote := map[string]*string{}
	for _, s := range serviceNames {
		key := "TIDBOK_" + strings.ToUpper(s) + "_URL"
		remote[s] = fs.String(s+"-url", env(key, ""), "base URL of the "+s+" service when it runs elsewhere ("+key+")")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, nil, err
		}
		return c, nil, errUsage
	}
	c.Services, err = parseServices(*services)
	if err != nil {
		return c, nil, err
	}
	for s, u := range remote {
		if *u == "" {
			continue
		}
		if pu, err := url.Parse(*u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return c, nil, fmt.Errorf("--%s-url %q must be an absolute http(s) URL", s, *u)
		}
		c.ServiceURLs[s] = strings.TrimSuffix(*u, "/")
	}
	if c.LogFormat != "json" && c.LogFormat != "logfmt" {
		return c, nil, fmt.Errorf("--log-format must be json or logfmt, got %q", c.LogFormat)
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "Local" {
		return c, nil, fmt.Errorf("--timezone %q is not an IANA time zone", c.TimeZone)
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.HTTPAddr
	}
	return c, fs.Args(), nil
}

func parseServices(s string) ([]string, error) {
	if s == "" || s == "all" {
		return slices.Clone(serviceNames), nil
	}
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(serviceNames, name) {
			return nil, fmt.Errorf("--services: unknown service %q (known: %s)", name, strings.Join(serviceNames, ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

func (c config) runs(service string) bool { return slices.Contains(c.Services, service) }
