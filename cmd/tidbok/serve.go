package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	netmail "net/mail"
	"strings"
	"time"

	kitprometheus "github.com/go-kit/kit/metrics/prometheus"
	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/authstore"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/docs"
	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/notify"
	"github.com/tidbok/tidbok/services/notify/mail"
	"github.com/tidbok/tidbok/services/notify/sms"
	"github.com/tidbok/tidbok/tokens"
	authtransport "github.com/tidbok/tidbok/transport/auth"
	bookingtransport "github.com/tidbok/tidbok/transport/booking"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// serve runs the configured services on one listener until ctx ends, then
// lets in-flight requests finish within the shutdown timeout.
func serve(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	logger := newLogger(cfg, stderr)
	d, err := openDatabase(ctx, cfg, !cfg.NoMigrate)
	if err != nil {
		return err
	}
	defer d.Close()

	handler, err := newServer(ctx, cfg, logger, d)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	_ = logger.Log("level", "info", "msg", "serving", "addr", ln.Addr().String(),
		"services", strings.Join(cfg.Services, ","), "database", string(d.Dialect), "version", buildVersion())
	fmt.Fprintf(stdout, "Tidbok is serving on http://%s\n", ln.Addr())
	return serveUntilDone(ctx, ln, handler, cfg.ShutdownTimeout, logger)
}

// serveUntilDone serves on ln until ctx ends, then stops accepting and lets
// in-flight requests finish for at most timeout.
func serveUntilDone(ctx context.Context, ln net.Listener, handler http.Handler, timeout time.Duration, logger log.Logger) error {
	srv := httpkit.NewHTTPServer(ln.Addr().String(), handler)
	// Requests keep their own context when shutdown begins, so they can finish.
	srv.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	_ = logger.Log("level", "info", "msg", "shutting down", "timeout", timeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: in-flight requests did not finish within %s: %w", timeout, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	_ = logger.Log("level", "info", "msg", "stopped")
	return nil
}

// newServer wires the onion for every service this process runs —
// repository, service, middleware, endpoints, routes — on one mux, and wraps
// it in authentication and the request middleware.
func newServer(ctx context.Context, cfg config, logger log.Logger, d *db.DB) (http.Handler, error) {
	httpkit.TrustProxy(cfg.TrustProxy)
	registry, httpMetrics := httpkit.NewRegistry()
	calls := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "tidbok", Name: "service_calls_total",
		Help: "Service method calls by service, method and outcome.",
	}, []string{"service", "method", "outcome"})
	callDuration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "tidbok", Name: "service_call_duration_seconds",
		Help: "Service method latency by service, method and outcome.", Buckets: prometheus.DefBuckets,
	}, []string{"service", "method", "outcome"})
	registry.MustRegister(calls, callDuration)

	mux := http.NewServeMux()
	httpkit.Health(mux, d.Ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(docs.OpenAPI)
	})

	// Tokens are verified from the JWKS in every mode: in process it comes
	// from the auth service directly, otherwise over HTTP from TIDBOK_AUTH_URL.
	var keySource tokens.KeySource
	var authSvc auth.Service
	if cfg.runs("auth") {
		keyring, err := loadKeyring(cfg)
		if err != nil {
			return nil, err
		}
		mailer, err := mail.NewMailer(cfg.SMTPURL, cfg.DataDir)
		if err != nil {
			return nil, err
		}
		smsSender, err := sms.New(cfg.SMSURL, cfg.DataDir)
		if err != nil {
			return nil, err
		}
		from, err := netmail.ParseAddress(cfg.MailFrom)
		if err != nil {
			return nil, fmt.Errorf("--mail-from %q: %w", cfg.MailFrom, err)
		}
		codes := notify.CodeSender{Mailer: mailer, SMS: smsSender, From: notify.Address{Name: from.Name, Email: from.Address}}
		svc := auth.NewService(auth.DefaultConfig(cfg.BaseURL), authstore.New(d), keyring, codes, core.SystemClock{})
		authSvc = svc
		providers, err := loadOIDCProviders(ctx, cfg, keyring)
		if err != nil {
			return nil, err
		}
		authtransport.Routes{Service: svc, OIDC: providers, SignInLimiter: httpkit.NewRateLimiter(30, 10)}.Register(mux)
		keySource = tokens.KeySourceFunc(func(ctx context.Context, kid string) (ed25519.PublicKey, error) {
			jwks, err := svc.JWKS(ctx)
			if err != nil {
				return nil, err
			}
			b, _ := json.Marshal(jwks)
			set, err := tokens.ParseJWKS(b)
			if err != nil {
				return nil, err
			}
			return set.Key(ctx, kid)
		})
	} else {
		authURL, ok := cfg.ServiceURLs["auth"]
		if !ok {
			return nil, fmt.Errorf("auth runs elsewhere: set TIDBOK_AUTH_URL so tokens can be verified")
		}
		client, err := tokens.NewJWKSClient(tokens.JWKSClientConfig{URL: authURL + tokens.JWKSPath})
		if err != nil {
			return nil, err
		}
		keySource = client
	}
	verifier, err := tokens.NewVerifier(tokens.VerifierConfig{Issuer: cfg.BaseURL, Audiences: []string{"tidbok"}, Keys: keySource})
	if err != nil {
		return nil, err
	}

	if cfg.runs("booking") {
		opts := []booking.Option{booking.WithVideoBaseURL(cfg.VideoBaseURL)}
		if authSvc != nil {
			opts = append(opts, booking.WithCitizens(bookingCitizens{authSvc}), booking.WithAuditLog(auditLog{authSvc}))
		}
		var svc booking.Service = booking.NewService(bookingstore.New(d), core.SystemClock{}, opts...)
		svc = booking.LoggingMiddleware(log.With(logger, "level", "warn"))(svc)
		svc = booking.InstrumentingMiddleware(kitprometheus.NewCounter(calls), kitprometheus.NewHistogram(callDuration))(svc)
		bookingtransport.RegisterRoutes(mux, svc, httpkit.NewRateLimiter(600, 100), nil)
	}
	// intake and notify register their routes here as they are built; a
	// service that needs one running elsewhere gets its transport client
	// from cfg.ServiceURLs.

	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		_ = httpkit.WriteJSON(w, http.StatusOK, map[string]any{
			"name": "Tidbok", "version": buildVersion(), "services": cfg.Services,
			"api": "/v1", "openapi": "/openapi.yaml", "time": time.Now().UTC().Format(time.RFC3339),
		})
	})
	return httpkit.Middleware(logger, httpMetrics)(httpkit.Authenticate(verifier)(mux)), nil
}
