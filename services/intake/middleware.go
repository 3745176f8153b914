package intake

import (
	"context"
	"time"

	"github.com/go-kit/kit/metrics"
	"github.com/go-kit/log"
)

// Middleware decorates a Service with a cross-cutting concern.
type Middleware func(Service) Service

// LoggingMiddleware logs each failed call with its duration and error; ids
// only, never case text or other personal data.
func LoggingMiddleware(logger log.Logger) Middleware {
	return func(next Service) Service { return &loggingService{logger: logger, next: next} }
}

type loggingService struct {
	logger log.Logger
	next   Service
}

func (s *loggingService) log(method string, begin time.Time, err error) {
	if err == nil {
		return
	}
	_ = s.logger.Log("service", "intake", "method", method, "took", time.Since(begin), "err", err)
}

// InstrumentingMiddleware counts calls and measures their duration per method
// and outcome.
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
	lvs := []string{"service", "intake", "method", method, "outcome", outcome}
	s.calls.With(lvs...).Add(1)
	s.duration.With(lvs...).Observe(time.Since(begin).Seconds())
}

func (s *loggingService) ListCategories(ctx context.Context, agencyID string) (r0 []Category, err error) {
	defer func(begin time.Time) { s.log("ListCategories", begin, err) }(time.Now())
	return s.next.ListCategories(ctx, agencyID)
}

func (s *loggingService) CreateCategory(ctx context.Context, c Category) (r0 Category, err error) {
	defer func(begin time.Time) { s.log("CreateCategory", begin, err) }(time.Now())
	return s.next.CreateCategory(ctx, c)
}

func (s *loggingService) UpdateCategory(ctx context.Context, c Category) (r0 Category, err error) {
	defer func(begin time.Time) { s.log("UpdateCategory", begin, err) }(time.Now())
	return s.next.UpdateCategory(ctx, c)
}

func (s *loggingService) RetireCategory(ctx context.Context, agencyID string, id string) (err error) {
	defer func(begin time.Time) { s.log("RetireCategory", begin, err) }(time.Now())
	return s.next.RetireCategory(ctx, agencyID, id)
}

func (s *loggingService) SetReferencePrefix(ctx context.Context, agencyID string, prefix string) (err error) {
	defer func(begin time.Time) { s.log("SetReferencePrefix", begin, err) }(time.Now())
	return s.next.SetReferencePrefix(ctx, agencyID, prefix)
}

func (s *loggingService) Submit(ctx context.Context, req SubmitRequest) (r0 Case, err error) {
	defer func(begin time.Time) { s.log("Submit", begin, err) }(time.Now())
	return s.next.Submit(ctx, req)
}

func (s *loggingService) GetCase(ctx context.Context, id string) (r0 CaseView, err error) {
	defer func(begin time.Time) { s.log("GetCase", begin, err) }(time.Now())
	return s.next.GetCase(ctx, id)
}

func (s *loggingService) ListCases(ctx context.Context, f CaseFilter) (r0 CasePage, err error) {
	defer func(begin time.Time) { s.log("ListCases", begin, err) }(time.Now())
	return s.next.ListCases(ctx, f)
}

func (s *loggingService) ChangeStatus(ctx context.Context, req StatusChange) (r0 Case, err error) {
	defer func(begin time.Time) { s.log("ChangeStatus", begin, err) }(time.Now())
	return s.next.ChangeStatus(ctx, req)
}

func (s *loggingService) Assign(ctx context.Context, req Assignment) (r0 Case, err error) {
	defer func(begin time.Time) { s.log("Assign", begin, err) }(time.Now())
	return s.next.Assign(ctx, req)
}

func (s *loggingService) SetPriority(ctx context.Context, id string, p Priority, ifMatch string) (r0 Case, err error) {
	defer func(begin time.Time) { s.log("SetPriority", begin, err) }(time.Now())
	return s.next.SetPriority(ctx, id, p, ifMatch)
}

func (s *loggingService) PostMessage(ctx context.Context, req Message) (r0 Entry, err error) {
	defer func(begin time.Time) { s.log("PostMessage", begin, err) }(time.Now())
	return s.next.PostMessage(ctx, req)
}

func (s *loggingService) Withdraw(ctx context.Context, id string, reason string) (r0 Case, err error) {
	defer func(begin time.Time) { s.log("Withdraw", begin, err) }(time.Now())
	return s.next.Withdraw(ctx, id, reason)
}

func (s *loggingService) Timeline(ctx context.Context, id string) (r0 []Entry, err error) {
	defer func(begin time.Time) { s.log("Timeline", begin, err) }(time.Now())
	return s.next.Timeline(ctx, id)
}

func (s *loggingService) Events(ctx context.Context, afterSeq int64, limit int) (r0 []Event, err error) {
	defer func(begin time.Time) { s.log("Events", begin, err) }(time.Now())
	return s.next.Events(ctx, afterSeq, limit)
}

func (s *loggingService) ApplyAppointmentEvent(ctx context.Context, ev AppointmentEvent) (err error) {
	defer func(begin time.Time) { s.log("ApplyAppointmentEvent", begin, err) }(time.Now())
	return s.next.ApplyAppointmentEvent(ctx, ev)
}

func (s *instrumentingService) ListCategories(ctx context.Context, agencyID string) (r0 []Category, err error) {
	defer func(begin time.Time) { s.observe("ListCategories", begin, err) }(time.Now())
	return s.next.ListCategories(ctx, agencyID)
}

func (s *instrumentingService) CreateCategory(ctx context.Context, c Category) (r0 Category, err error) {
	defer func(begin time.Time) { s.observe("CreateCategory", begin, err) }(time.Now())
	return s.next.CreateCategory(ctx, c)
}

func (s *instrumentingService) UpdateCategory(ctx context.Context, c Category) (r0 Category, err error) {
	defer func(begin time.Time) { s.observe("UpdateCategory", begin, err) }(time.Now())
	return s.next.UpdateCategory(ctx, c)
}

func (s *instrumentingService) RetireCategory(ctx context.Context, agencyID string, id string) (err error) {
	defer func(begin time.Time) { s.observe("RetireCategory", begin, err) }(time.Now())
	return s.next.RetireCategory(ctx, agencyID, id)
}

func (s *instrumentingService) SetReferencePrefix(ctx context.Context, agencyID string, prefix string) (err error) {
	defer func(begin time.Time) { s.observe("SetReferencePrefix", begin, err) }(time.Now())
	return s.next.SetReferencePrefix(ctx, agencyID, prefix)
}

func (s *instrumentingService) Submit(ctx context.Context, req SubmitRequest) (r0 Case, err error) {
	defer func(begin time.Time) { s.observe("Submit", begin, err) }(time.Now())
	return s.next.Submit(ctx, req)
}

func (s *instrumentingService) GetCase(ctx context.Context, id string) (r0 CaseView, err error) {
	defer func(begin time.Time) { s.observe("GetCase", begin, err) }(time.Now())
	return s.next.GetCase(ctx, id)
}

func (s *instrumentingService) ListCases(ctx context.Context, f CaseFilter) (r0 CasePage, err error) {
	defer func(begin time.Time) { s.observe("ListCases", begin, err) }(time.Now())
	return s.next.ListCases(ctx, f)
}

func (s *instrumentingService) ChangeStatus(ctx context.Context, req StatusChange) (r0 Case, err error) {
	defer func(begin time.Time) { s.observe("ChangeStatus", begin, err) }(time.Now())
	return s.next.ChangeStatus(ctx, req)
}

func (s *instrumentingService) Assign(ctx context.Context, req Assignment) (r0 Case, err error) {
	defer func(begin time.Time) { s.observe("Assign", begin, err) }(time.Now())
	return s.next.Assign(ctx, req)
}

func (s *instrumentingService) SetPriority(ctx context.Context, id string, p Priority, ifMatch string) (r0 Case, err error) {
	defer func(begin time.Time) { s.observe("SetPriority", begin, err) }(time.Now())
	return s.next.SetPriority(ctx, id, p, ifMatch)
}

func (s *instrumentingService) PostMessage(ctx context.Context, req Message) (r0 Entry, err error) {
	defer func(begin time.Time) { s.observe("PostMessage", begin, err) }(time.Now())
	return s.next.PostMessage(ctx, req)
}

func (s *instrumentingService) Withdraw(ctx context.Context, id string, reason string) (r0 Case, err error) {
	defer func(begin time.Time) { s.observe("Withdraw", begin, err) }(time.Now())
	return s.next.Withdraw(ctx, id, reason)
}

func (s *instrumentingService) Timeline(ctx context.Context, id string) (r0 []Entry, err error) {
	defer func(begin time.Time) { s.observe("Timeline", begin, err) }(time.Now())
	return s.next.Timeline(ctx, id)
}

func (s *instrumentingService) Events(ctx context.Context, afterSeq int64, limit int) (r0 []Event, err error) {
	defer func(begin time.Time) { s.observe("Events", begin, err) }(time.Now())
	return s.next.Events(ctx, afterSeq, limit)
}

func (s *instrumentingService) ApplyAppointmentEvent(ctx context.Context, ev AppointmentEvent) (err error) {
	defer func(begin time.Time) { s.observe("ApplyAppointmentEvent", begin, err) }(time.Now())
	return s.next.ApplyAppointmentEvent(ctx, ev)
}
