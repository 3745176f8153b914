package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-kit/log"

	"github.com/tidbok/tidbok/app"
	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/services/notify"
	"github.com/tidbok/tidbok/transport/auth/oidclogin"
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

	// Only the auth service holds keys and signs people in; the other
	// services' processes need neither, nor a writable data directory for
	// key files.
	var keyring *auth.Keyring
	var providers map[string]*oidclogin.RelyingParty
	if slices.Contains(cfg.Services, "auth") {
		if keyring, err = loadKeyring(cfg); err != nil {
			return err
		}
		if providers, err = loadOIDCProviders(ctx, cfg, keyring); err != nil {
			return err
		}
	}
	srv, err := app.NewServer(ctx, app.Config{
		Services: cfg.Services, ServiceURLs: cfg.ServiceURLs, BaseURL: cfg.BaseURL, DataDir: cfg.DataDir,
		SMTPURL: cfg.SMTPURL, SMSURL: cfg.SMSURL, VideoBaseURL: cfg.VideoBaseURL, MailFrom: cfg.MailFrom,
		TrustProxy: cfg.TrustProxy, PublicRateLimit: cfg.PublicRateLimit, SignInRateLimit: cfg.SignInRateLimit,
		Version: buildVersion(), Keyring: keyring, OIDC: providers,
		ServiceClientID: cfg.ServiceClientID, ServiceClientSecret: cfg.ServiceClientSecret,
		// Development mode lets webhooks call receivers on this machine.
		WebhookURLPolicy: notify.URLPolicy{AllowLoopback: cfg.Dev},
	}, logger, d)
	if err != nil {
		return err
	}
	handler := srv.Handler
	for _, consume := range srv.Consumers {
		go consume(ctx)
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
