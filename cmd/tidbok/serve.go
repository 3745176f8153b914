package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	kitprometheus "github.com/go-kit/kit/metrics/prometheus"
	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/docs"
	"github.com/tidbok/tidbok/services/booking"
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

	handler, err := newServer(cfg, logger, d)
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
// it in the request middleware.
func newServer(cfg config, logger log.Logger, d *db.DB) (http.Handler, error) {
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

	if cfg.runs("booking") {
		var svc booking.Service = booking.NewService(bookingstore.New(d))
		svc = booking.LoggingMiddleware(log.With(logger, "level", "warn"))(svc)
		svc = booking.InstrumentingMiddleware(kitprometheus.NewCounter(calls), kitprometheus.NewHistogram(callDuration))(svc)
		bookingtransport.RegisterRoutes(mux, bookingtransport.MakeServerEndpoints(svc))
	}
	// auth, intake and notify register their routes here as they are built;
	// a service that needs one running elsewhere gets its transport client
	// from cfg.ServiceURLs.

	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		_ = httpkit.WriteJSON(w, http.StatusOK, map[string]any{
			"name": "Tidbok", "version": buildVersion(), "services": cfg.Services,
			"api": "/v1", "openapi": "/openapi.yaml", "time": time.Now().UTC().Format(time.RFC3339),
		})
	})
	return httpkit.Middleware(logger, httpMetrics)(mux), nil
}
