// Package app wires Tidbok's services into one HTTP handler: for each
// service this process runs, repository, service, middleware, endpoints and
// routes, and between services the adapters that let one use another without
// importing it. cmd/tidbok calls NewServer; tests build the same server.
package app

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	netmail "net/mail"
	"slices"
	"time"

	kitprometheus "github.com/go-kit/kit/metrics/prometheus"
	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/authstore"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/db/consumerstore"
	"github.com/tidbok/tidbok/db/idemstore"
	"github.com/tidbok/tidbok/db/intakestore"
	"github.com/tidbok/tidbok/db/notifystore"
	"github.com/tidbok/tidbok/docs"
	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/intake"
	"github.com/tidbok/tidbok/services/notify"
	"github.com/tidbok/tidbok/services/notify/mail"
	"github.com/tidbok/tidbok/services/notify/sms"
	"github.com/tidbok/tidbok/services/notify/webhookhttp"
	"github.com/tidbok/tidbok/tokens"
	authtransport "github.com/tidbok/tidbok/transport/auth"
	"github.com/tidbok/tidbok/transport/auth/oidclogin"
	bookingtransport "github.com/tidbok/tidbok/transport/booking"
	"github.com/tidbok/tidbok/transport/httpkit"
	intaketransport "github.com/tidbok/tidbok/transport/intake"
	notifytransport "github.com/tidbok/tidbok/transport/notify"
)

// Config is what NewServer needs to know.
type Config struct {
	Services     []string          // which services run here
	ServiceURLs  map[string]string // where the others run
	BaseURL      string            // issuer of tokens, base of links
	DataDir      string
	SMTPURL      string
	SMSURL       string
	VideoBaseURL string
	MailFrom     string
	TrustProxy   bool
	// PublicRateLimit is requests per minute per client address on the
	// public availability routes; 0 turns the limit off.
	PublicRateLimit float64
	// SignInRateLimit is the same for the sign-in routes.
	SignInRateLimit float64
	Version         string
	Keyring         *auth.Keyring
	OIDC            map[string]*oidclogin.RelyingParty
	Clock           core.Clock
	// WebhookURLPolicy says which webhook addresses may be called; the zero
	// value refuses loopback and private networks.
	WebhookURLPolicy notify.URLPolicy
	// AuthConfig overrides the auth service's defaults (tests use cheaper
	// password hashing); nil means auth.DefaultConfig(BaseURL).
	AuthConfig *auth.Config
	// ServiceClientID and ServiceClientSecret are the service credential
	// with which this process calls the services that run elsewhere
	// (TIDBOK_SERVICE_CLIENT_ID, TIDBOK_SERVICE_CLIENT_SECRET).
	ServiceClientID     string
	ServiceClientSecret string
	// ConsumedRetention is how long the records of consumed events are
	// kept; 0 means ConsumedRetention, and less than twice lookbackAge is
	// raised to that.
	ConsumedRetention time.Duration
}

// IdempotencyTTL is how long the answer to a request with an
// Idempotency-Key is kept for its retries.
const IdempotencyTTL = 24 * time.Hour

func (c Config) runs(service string) bool { return slices.Contains(c.Services, service) }

// Server is the wired handler and the services behind it, for tests and
// commands that need to reach a service directly.
type Server struct {
	Handler http.Handler
	Auth    auth.Service
	Booking booking.Service
	Intake  intake.Service
	// Consumers move events between services and send what is due; run
	// each in a goroutine until the process stops (cmd/tidbok does).
	Consumers []func(ctx context.Context)
	// Pumps, Notifier and Sender are the same work, reachable one step at a
	// time for tests.
	Pumps      []Pump
	Notifier   notify.Notifier
	Sender     notify.Sender
	Webhooks   notify.WebhookService
	Dispatcher *notify.WebhookDispatcher
	// IntakeConsumer feeds booking's events to intake, wherever booking runs.
	IntakeConsumer *Pump
	// pruners delete old consumed records; see PruneConsumed.
	pruners []consumedPruner
}

// PruneConsumed deletes the records of events consumed before before, in
// every service this process runs consumers of; the consumers do it hourly.
func (s *Server) PruneConsumed(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for _, p := range s.pruners {
		n, err := p.PruneConsumed(ctx, before)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

func bookingEvents(s BookingOutbox) func(context.Context, int64, int) ([]PumpEvent, error) {
	return func(ctx context.Context, after int64, limit int) ([]PumpEvent, error) {
		evs, err := s.Events(ctx, after, limit)
		out := make([]PumpEvent, len(evs))
		for i, e := range evs {
			out[i] = PumpEvent{Seq: e.Seq, ID: e.ID, Type: e.Type, AgencyID: e.AgencyID, Payload: e.Payload, OccurredAt: e.OccurredAt}
		}
		return out, err
	}
}

func intakeEvents(s IntakeOutbox) func(context.Context, int64, int) ([]PumpEvent, error) {
	return func(ctx context.Context, after int64, limit int) ([]PumpEvent, error) {
		evs, err := s.Events(ctx, after, limit)
		out := make([]PumpEvent, len(evs))
		for i, e := range evs {
			out[i] = PumpEvent{Seq: e.Seq, ID: e.ID, Type: e.Type, AgencyID: e.AgencyID, Payload: e.Payload, OccurredAt: e.OccurredAt}
		}
		return out, err
	}
}

// NewServer wires the onion for every service this process runs —
// repository, service, middleware, endpoints, routes — on one mux, and wraps
// it in authentication and the request middleware.
func NewServer(ctx context.Context, cfg Config, logger log.Logger, d *db.DB) (*Server, error) {
	httpkit.TrustProxy(cfg.TrustProxy)
	if cfg.Clock == nil {
		cfg.Clock = core.SystemClock{}
	}
	out := &Server{}
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
	// The services that run elsewhere, reached over HTTP.
	peers := &links{ctx: ctx, cfg: cfg}
	// Mail and SMS leave through notify's mailer and gateway, whichever
	// service sends them.
	mailer, err := mail.NewMailer(cfg.SMTPURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	smsSender, err := sms.New(cfg.SMSURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	mailFrom := cfg.MailFrom
	if mailFrom == "" {
		mailFrom = "Tidbok <no-reply@tidbok.invalid>"
	}
	fromAddr, err := netmail.ParseAddress(mailFrom)
	if err != nil {
		return nil, fmt.Errorf("--mail-from %q: %w", cfg.MailFrom, err)
	}
	from := notify.Address{Name: fromAddr.Name, Email: fromAddr.Address}
	if cfg.runs("auth") {
		if cfg.Keyring == nil {
			return nil, fmt.Errorf("the auth service needs its keys")
		}
		codes := notify.CodeSender{Mailer: mailer, SMS: smsSender, From: from}
		authCfg := auth.DefaultConfig(cfg.BaseURL)
		if cfg.AuthConfig != nil {
			authCfg = *cfg.AuthConfig
		}
		svc := auth.NewService(authCfg, authstore.New(d), cfg.Keyring, codes, cfg.Clock)
		peers.auth = svc
		out.Auth = svc
		authtransport.Routes{Service: svc, OIDC: cfg.OIDC, SignInLimiter: limiter(cfg.SignInRateLimit, 10)}.Register(mux)
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
	// The verifier keeps the server's clock, so tokens the auth service
	// issues are judged by the same time they were issued by.
	verifier, err := tokens.NewVerifier(tokens.VerifierConfig{Issuer: cfg.BaseURL, Audiences: []string{"tidbok"}, Keys: keySource, Clock: cfg.Clock})
	if err != nil {
		return nil, err
	}

	// The consumers' dead events, whichever services' consumers run here.
	dead := &deadEvents{}

	var manageLinks *booking.ManageLinks
	if cfg.runs("booking") {
		people, audit, err := peers.people("booking")
		if err != nil {
			return nil, err
		}
		opts := []booking.Option{booking.WithVideoBaseURL(cfg.VideoBaseURL), booking.WithOrganizer(from.Email),
			booking.WithCitizens(bookingCitizens{people}), booking.WithAuditLog(auditLog{audit})}
		store := bookingstore.New(d)
		var svc booking.Service = booking.NewService(store, cfg.Clock, opts...)
		// Citizens' manage links are signed with booking's secret, shared
		// by every replica through the database.
		if manageLinks, err = booking.LoadManageLinks(ctx, store); err != nil {
			return nil, err
		}
		svc = booking.LoggingMiddleware(log.With(logger, "level", "warn"))(svc)
		svc = booking.InstrumentingMiddleware(kitprometheus.NewCounter(calls), kitprometheus.NewHistogram(callDuration))(svc)
		out.Booking = svc
		// A retried hold, booking or action with the same Idempotency-Key
		// gets the first answer instead of acting twice.
		idempotent := httpkit.Idempotent(idemstore.New(d), IdempotencyTTL)
		bookingtransport.RegisterRoutes(mux, svc, limiter(cfg.PublicRateLimit, 100), idempotent, manageLinks)
		registerManagePages(mux, cfg, svc, manageLinks)
	}
	if cfg.runs("intake") {
		people, audit, err := peers.people("intake")
		if err != nil {
			return nil, err
		}
		// The directory is public: intake reads it like any portal.
		var directory booking.Directory = out.Booking
		var bookingOutbox BookingOutbox = out.Booking
		if out.Booking == nil {
			u, err := peers.url("booking", "intake")
			if err != nil {
				return nil, err
			}
			if directory, err = bookingtransport.NewClient(u, &http.Client{Timeout: 30 * time.Second}); err != nil {
				return nil, err
			}
			remote, err := peers.bookingInternal("intake")
			if err != nil {
				return nil, err
			}
			bookingOutbox = remoteBookingOutbox{remote.Events}
		}
		store := intakestore.New(d)
		var svc intake.Service = intake.NewService(store, intakeAgencies{directory}, intakePeople{people}, cfg.Clock,
			intake.WithAuditLog(auditLog{audit}))
		svc = intake.LoggingMiddleware(log.With(logger, "level", "warn"))(svc)
		svc = intake.InstrumentingMiddleware(kitprometheus.NewCounter(calls), kitprometheus.NewHistogram(callDuration))(svc)
		out.Intake = svc
		intaketransport.RegisterRoutes(mux, svc, httpkit.Idempotent(idemstore.New(d), IdempotencyTTL))
		records := consumerstore.New(d, "intake")
		out.IntakeConsumer = &Pump{Name: BookingToIntake, Fetch: bookingEvents(bookingOutbox), Apply: bookingToIntake(svc),
			Cursors: store, Failures: records, Clock: cfg.Clock, Logger: logger}
		dead.add(records, BookingToIntake)
		out.pruners = append(out.pruners, records)
		out.Consumers = append(out.Consumers, func(ctx context.Context) { out.IntakeConsumer.Run(ctx, time.Second) })
	}

	if cfg.runs("notify") {
		people, _, err := peers.people("notify")
		if err != nil {
			return nil, err
		}
		var reader bookingReader = localBooking{out.Booking, manageLinks}
		var bookingOutbox BookingOutbox = out.Booking
		if out.Booking == nil {
			remote, err := peers.bookingInternal("notify")
			if err != nil {
				return nil, err
			}
			reader, bookingOutbox = remote, remoteBookingOutbox{remote.Events}
		}
		var intakeOutbox IntakeOutbox = out.Intake
		if out.Intake == nil {
			u, err := peers.url("intake", "notify")
			if err != nil {
				return nil, err
			}
			hc, err := peers.httpClient("notify")
			if err != nil {
				return nil, err
			}
			fetch, err := intaketransport.EventsClient(u, hc)
			if err != nil {
				return nil, err
			}
			intakeOutbox = remoteIntakeOutbox{fetch}
		}
		outbox := notifystore.NewOutbox(d)
		notifier := notify.Notifier{Outbox: outbox, Reminders: outbox, Bookings: notifyBookings{reader, people},
			People: notifyPeople{people}, Clock: cfg.Clock, From: from, BaseURL: cfg.BaseURL}
		sender := notify.Sender{Repo: outbox, Mailer: mailer, SMS: smsSender, Clock: cfg.Clock}
		out.Notifier, out.Sender = notifier, sender
		notifytransport.RegisterFeedRoutes(mux, notify.Feeds{Repo: outbox, Source: feedSource{reader, people, from.Email}, Clock: cfg.Clock},
			notify.Admin{Repo: outbox, Clock: cfg.Clock}, cfg.BaseURL)

		webhookStore := notifystore.NewWebhookStore(d)
		var webhooks notify.WebhookService = notify.NewWebhookService(webhookStore, cfg.Clock, notify.WithWebhookURLPolicy(cfg.WebhookURLPolicy))
		webhooks = notify.WebhookLoggingMiddleware(log.With(logger, "level", "warn"))(webhooks)
		webhooks = notify.WebhookInstrumentingMiddleware(kitprometheus.NewCounter(calls), kitprometheus.NewHistogram(callDuration))(webhooks)
		notifytransport.RegisterWebhookRoutes(mux, webhooks)
		dispatcher := &notify.WebhookDispatcher{Repo: webhookStore, Sender: webhookhttp.NewSender(cfg.WebhookURLPolicy), Clock: cfg.Clock, Logger: logger}
		out.Webhooks, out.Dispatcher = webhooks, dispatcher
		// Webhooks have pumps of their own, so a mail failure never holds
		// agency systems back, nor the other way round.
		enqueue := func(ctx context.Context, ev PumpEvent) error {
			return webhooks.Enqueue(ctx, ev.AgencyID, ev.ID, ev.Type, ev.Payload)
		}
		records := consumerstore.New(d, "notify")
		out.pruners = append(out.pruners, records)
		out.Pumps = append(out.Pumps,
			Pump{Name: "webhooks<-booking", Cursors: outbox, Failures: records, Clock: cfg.Clock, Logger: logger,
				Fetch: bookingEvents(bookingOutbox), Apply: enqueue},
			Pump{Name: "webhooks<-intake", Cursors: outbox, Failures: records, Clock: cfg.Clock, Logger: logger,
				Fetch: intakeEvents(intakeOutbox), Apply: enqueue})
		out.Consumers = append(out.Consumers, func(ctx context.Context) { dispatcher.Run(ctx, time.Second) })
		warn := func(what string) func(error) {
			return func(err error) { _ = logger.Log("level", "warn", "msg", what, "err", err) }
		}
		out.Pumps = append(out.Pumps, Pump{Name: "notify<-booking", Cursors: outbox, Failures: records, Clock: cfg.Clock, Logger: logger,
			Fetch: bookingEvents(bookingOutbox),
			Apply: func(ctx context.Context, ev PumpEvent) error {
				return notifier.HandleBookingEvent(ctx, notify.Event{ID: ev.ID, Type: ev.Type, Payload: ev.Payload})
			}},
			Pump{Name: "notify<-intake", Cursors: outbox, Failures: records, Clock: cfg.Clock, Logger: logger,
				Fetch: intakeEvents(intakeOutbox),
				Apply: func(ctx context.Context, ev PumpEvent) error {
					return notifier.HandleCaseEvent(ctx, notify.Event{ID: ev.ID, Type: ev.Type, Payload: ev.Payload})
				}})
		for _, p := range out.Pumps {
			dead.add(records, p.Name)
		}
		out.Consumers = append(out.Consumers,
			func(ctx context.Context) { sender.Run(ctx, 2*time.Second, warn("send messages")) },
			func(ctx context.Context) {
				every(ctx, time.Minute, func() {
					if _, err := notifier.SendReminders(ctx); err != nil && ctx.Err() == nil {
						warn("plan reminders")(err)
					}
				})
			})
	}
	for _, p := range out.Pumps {
		out.Consumers = append(out.Consumers, func(ctx context.Context) { p.Run(ctx, time.Second) })
	}
	// Each process lists and retries the dead events of the consumers it
	// runs; in one process, all of them.
	if len(dead.Consumers()) > 0 {
		notifytransport.RegisterConsumerRoutes(mux, notify.ConsumerAdmin{Repo: dead, Clock: cfg.Clock})
		registry.MustRegister(newDeadEventGauge(dead))
		retention := cfg.ConsumedRetention
		if retention == 0 {
			retention = ConsumedRetention
		}
		retention = max(retention, 2*lookbackAge)
		pruners := out.pruners
		out.Consumers = append(out.Consumers, func(ctx context.Context) { pruneConsumed(ctx, pruners, retention, logger) })
	}

	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		_ = httpkit.WriteJSON(w, http.StatusOK, map[string]any{
			"name": "Tidbok", "version": cfg.Version, "services": cfg.Services,
			"api": "/v1", "openapi": "/openapi.yaml", "time": time.Now().UTC().Format(time.RFC3339),
		})
	})
	out.Handler = httpkit.Middleware(logger, httpMetrics)(httpkit.Authenticate(verifier)(mux))
	return out, nil
}

func limiter(perMinute float64, burst int) *httpkit.RateLimiter {
	if perMinute <= 0 {
		return nil
	}
	return httpkit.NewRateLimiter(perMinute, burst)
}
