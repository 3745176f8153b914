package booking

import (
	"context"
	"time"

	"github.com/go-kit/kit/metrics"
	"github.com/go-kit/log"
)

// Middleware decorates a Service with a cross-cutting concern.
type Middleware func(Service) Service

// LoggingMiddleware logs each call with its duration and error. It logs ids,
// never names or other personal data.
func LoggingMiddleware(logger log.Logger) Middleware {
	return func(next Service) Service { return &loggingService{logger: logger, next: next} }
}

type loggingService struct {
	logger log.Logger
	next   Service
}

func (s *loggingService) log(method string, begin time.Time, err error, kv ...any) {
	if err == nil {
		return // successful reads are covered by the request log; keep the noise down
	}
	fields := append([]any{"service", "booking", "method", method, "took", time.Since(begin), "err", err}, kv...)
	_ = s.logger.Log(fields...)
}

func (s *loggingService) ListAgencies(ctx context.Context, page PageRequest) (p AgencyPage, err error) {
	defer func(begin time.Time) { s.log("ListAgencies", begin, err) }(time.Now())
	return s.next.ListAgencies(ctx, page)
}

func (s *loggingService) GetAgency(ctx context.Context, id string) (a Agency, err error) {
	defer func(begin time.Time) { s.log("GetAgency", begin, err, "agency_id", id) }(time.Now())
	return s.next.GetAgency(ctx, id)
}

func (s *loggingService) ListOffices(ctx context.Context, agencyID string) (o []Office, err error) {
	defer func(begin time.Time) { s.log("ListOffices", begin, err, "agency_id", agencyID) }(time.Now())
	return s.next.ListOffices(ctx, agencyID)
}

func (s *loggingService) ListMeetingTypes(ctx context.Context, agencyID string) (m []MeetingType, err error) {
	defer func(begin time.Time) { s.log("ListMeetingTypes", begin, err, "agency_id", agencyID) }(time.Now())
	return s.next.ListMeetingTypes(ctx, agencyID)
}

// InstrumentingMiddleware counts calls and measures their duration per method
// and outcome ("ok" or "error").
func InstrumentingMiddleware(calls metrics.Counter, duration metrics.Histogram) Middleware {
	return func(next Service) Service {
		return &instrumentingService{calls: calls, duration: duration, next: next}
	}
}

type instrumentingService struct {
	calls    metrics.Counter
	duration metrics.Histogram
	next     Service
}

func (s *instrumentingService) observe(method string, begin time.Time, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	lvs := []string{"service", "booking", "method", method, "outcome", outcome}
	s.calls.With(lvs...).Add(1)
	s.duration.With(lvs...).Observe(time.Since(begin).Seconds())
}

func (s *instrumentingService) ListAgencies(ctx context.Context, page PageRequest) (p AgencyPage, err error) {
	defer func(begin time.Time) { s.observe("ListAgencies", begin, err) }(time.Now())
	return s.next.ListAgencies(ctx, page)
}

func (s *instrumentingService) GetAgency(ctx context.Context, id string) (a Agency, err error) {
	defer func(begin time.Time) { s.observe("GetAgency", begin, err) }(time.Now())
	return s.next.GetAgency(ctx, id)
}

func (s *instrumentingService) ListOffices(ctx context.Context, agencyID string) (o []Office, err error) {
	defer func(begin time.Time) { s.observe("ListOffices", begin, err) }(time.Now())
	return s.next.ListOffices(ctx, agencyID)
}

func (s *instrumentingService) ListMeetingTypes(ctx context.Context, agencyID string) (m []MeetingType, err error) {
	defer func(begin time.Time) { s.observe("ListMeetingTypes", begin, err) }(time.Now())
	return s.next.ListMeetingTypes(ctx, agencyID)
}
