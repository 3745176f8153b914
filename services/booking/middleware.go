package booking

import (
	"context"
	"time"

	"github.com/go-kit/kit/metrics"
	"github.com/go-kit/log"

	"github.com/tidbok/tidbok/services/booking/availability"
)

// Middleware decorates a Service with a cross-cutting concern.
type Middleware func(Service) Service

// LoggingMiddleware logs each failed call with its duration and error.
// Successful calls are covered by the request log; ids only, never names or
// other personal data, reach the log.
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
	_ = s.logger.Log("service", "booking", "method", method, "took", time.Since(begin), "err", err)
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

func (s *loggingService) ListAgencies(ctx context.Context, page PageRequest) (r0 AgencyPage, err error) {
	defer func(begin time.Time) { s.log("ListAgencies", begin, err) }(time.Now())
	return s.next.ListAgencies(ctx, page)
}

func (s *loggingService) GetAgency(ctx context.Context, id string) (r0 Agency, err error) {
	defer func(begin time.Time) { s.log("GetAgency", begin, err) }(time.Now())
	return s.next.GetAgency(ctx, id)
}

func (s *loggingService) ListOffices(ctx context.Context, agencyID string) (r0 []Office, err error) {
	defer func(begin time.Time) { s.log("ListOffices", begin, err) }(time.Now())
	return s.next.ListOffices(ctx, agencyID)
}

func (s *loggingService) ListMeetingTypes(ctx context.Context, agencyID string) (r0 []MeetingType, err error) {
	defer func(begin time.Time) { s.log("ListMeetingTypes", begin, err) }(time.Now())
	return s.next.ListMeetingTypes(ctx, agencyID)
}

func (s *loggingService) CreateOffice(ctx context.Context, o Office) (r0 Office, err error) {
	defer func(begin time.Time) { s.log("CreateOffice", begin, err) }(time.Now())
	return s.next.CreateOffice(ctx, o)
}

func (s *loggingService) UpdateOffice(ctx context.Context, o Office) (r0 Office, err error) {
	defer func(begin time.Time) { s.log("UpdateOffice", begin, err) }(time.Now())
	return s.next.UpdateOffice(ctx, o)
}

func (s *loggingService) RetireOffice(ctx context.Context, agencyID string, id string) (err error) {
	defer func(begin time.Time) { s.log("RetireOffice", begin, err) }(time.Now())
	return s.next.RetireOffice(ctx, agencyID, id)
}

func (s *loggingService) CreateMeetingType(ctx context.Context, mt MeetingType) (r0 MeetingType, err error) {
	defer func(begin time.Time) { s.log("CreateMeetingType", begin, err) }(time.Now())
	return s.next.CreateMeetingType(ctx, mt)
}

func (s *loggingService) UpdateMeetingType(ctx context.Context, mt MeetingType) (r0 MeetingType, err error) {
	defer func(begin time.Time) { s.log("UpdateMeetingType", begin, err) }(time.Now())
	return s.next.UpdateMeetingType(ctx, mt)
}

func (s *loggingService) RetireMeetingType(ctx context.Context, agencyID string, id string) (err error) {
	defer func(begin time.Time) { s.log("RetireMeetingType", begin, err) }(time.Now())
	return s.next.RetireMeetingType(ctx, agencyID, id)
}

func (s *loggingService) ListStaffMembers(ctx context.Context, agencyID string) (r0 []StaffMember, err error) {
	defer func(begin time.Time) { s.log("ListStaffMembers", begin, err) }(time.Now())
	return s.next.ListStaffMembers(ctx, agencyID)
}

func (s *loggingService) GetStaffMember(ctx context.Context, agencyID string, id string) (r0 StaffMember, err error) {
	defer func(begin time.Time) { s.log("GetStaffMember", begin, err) }(time.Now())
	return s.next.GetStaffMember(ctx, agencyID, id)
}

func (s *loggingService) CreateStaffMember(ctx context.Context, m StaffMember) (r0 StaffMember, err error) {
	defer func(begin time.Time) { s.log("CreateStaffMember", begin, err) }(time.Now())
	return s.next.CreateStaffMember(ctx, m)
}

func (s *loggingService) UpdateStaffMember(ctx context.Context, m StaffMember) (r0 StaffMember, err error) {
	defer func(begin time.Time) { s.log("UpdateStaffMember", begin, err) }(time.Now())
	return s.next.UpdateStaffMember(ctx, m)
}

func (s *loggingService) RetireStaffMember(ctx context.Context, agencyID string, id string) (err error) {
	defer func(begin time.Time) { s.log("RetireStaffMember", begin, err) }(time.Now())
	return s.next.RetireStaffMember(ctx, agencyID, id)
}

func (s *loggingService) ListAbsences(ctx context.Context, agencyID string, staffID string) (r0 []Absence, err error) {
	defer func(begin time.Time) { s.log("ListAbsences", begin, err) }(time.Now())
	return s.next.ListAbsences(ctx, agencyID, staffID)
}

func (s *loggingService) AddAbsence(ctx context.Context, agencyID string, a Absence) (r0 Absence, err error) {
	defer func(begin time.Time) { s.log("AddAbsence", begin, err) }(time.Now())
	return s.next.AddAbsence(ctx, agencyID, a)
}

func (s *loggingService) DeleteAbsence(ctx context.Context, agencyID string, staffID string, id string) (err error) {
	defer func(begin time.Time) { s.log("DeleteAbsence", begin, err) }(time.Now())
	return s.next.DeleteAbsence(ctx, agencyID, staffID, id)
}

func (s *loggingService) ListClosures(ctx context.Context, agencyID string) (r0 []Closure, err error) {
	defer func(begin time.Time) { s.log("ListClosures", begin, err) }(time.Now())
	return s.next.ListClosures(ctx, agencyID)
}

func (s *loggingService) AddClosure(ctx context.Context, c Closure) (r0 Closure, err error) {
	defer func(begin time.Time) { s.log("AddClosure", begin, err) }(time.Now())
	return s.next.AddClosure(ctx, c)
}

func (s *loggingService) DeleteClosure(ctx context.Context, agencyID string, id string) (err error) {
	defer func(begin time.Time) { s.log("DeleteClosure", begin, err) }(time.Now())
	return s.next.DeleteClosure(ctx, agencyID, id)
}

func (s *loggingService) Holidays(ctx context.Context, agencyID string, year int) (r0 []HolidayStatus, err error) {
	defer func(begin time.Time) { s.log("Holidays", begin, err) }(time.Now())
	return s.next.Holidays(ctx, agencyID, year)
}

func (s *loggingService) SetOpenHolidays(ctx context.Context, agencyID string, open []availability.Holiday) (r0 Agency, err error) {
	defer func(begin time.Time) { s.log("SetOpenHolidays", begin, err) }(time.Now())
	return s.next.SetOpenHolidays(ctx, agencyID, open)
}

func (s *instrumentingService) Availability(ctx context.Context, req AvailabilityRequest) (r0 AvailabilityResult, err error) {
	defer func(begin time.Time) { s.observe("Availability", begin, err) }(time.Now())
	return s.next.Availability(ctx, req)
}

func (s *instrumentingService) AvailableDays(ctx context.Context, req AvailabilityRequest) (r0 DaysResult, err error) {
	defer func(begin time.Time) { s.observe("AvailableDays", begin, err) }(time.Now())
	return s.next.AvailableDays(ctx, req)
}

func (s *instrumentingService) ListAgencies(ctx context.Context, page PageRequest) (r0 AgencyPage, err error) {
	defer func(begin time.Time) { s.observe("ListAgencies", begin, err) }(time.Now())
	return s.next.ListAgencies(ctx, page)
}

func (s *instrumentingService) GetAgency(ctx context.Context, id string) (r0 Agency, err error) {
	defer func(begin time.Time) { s.observe("GetAgency", begin, err) }(time.Now())
	return s.next.GetAgency(ctx, id)
}

func (s *instrumentingService) ListOffices(ctx context.Context, agencyID string) (r0 []Office, err error) {
	defer func(begin time.Time) { s.observe("ListOffices", begin, err) }(time.Now())
	return s.next.ListOffices(ctx, agencyID)
}

func (s *instrumentingService) ListMeetingTypes(ctx context.Context, agencyID string) (r0 []MeetingType, err error) {
	defer func(begin time.Time) { s.observe("ListMeetingTypes", begin, err) }(time.Now())
	return s.next.ListMeetingTypes(ctx, agencyID)
}

func (s *instrumentingService) CreateOffice(ctx context.Context, o Office) (r0 Office, err error) {
	defer func(begin time.Time) { s.observe("CreateOffice", begin, err) }(time.Now())
	return s.next.CreateOffice(ctx, o)
}

func (s *instrumentingService) UpdateOffice(ctx context.Context, o Office) (r0 Office, err error) {
	defer func(begin time.Time) { s.observe("UpdateOffice", begin, err) }(time.Now())
	return s.next.UpdateOffice(ctx, o)
}

func (s *instrumentingService) RetireOffice(ctx context.Context, agencyID string, id string) (err error) {
	defer func(begin time.Time) { s.observe("RetireOffice", begin, err) }(time.Now())
	return s.next.RetireOffice(ctx, agencyID, id)
}

func (s *instrumentingService) CreateMeetingType(ctx context.Context, mt MeetingType) (r0 MeetingType, err error) {
	defer func(begin time.Time) { s.observe("CreateMeetingType", begin, err) }(time.Now())
	return s.next.CreateMeetingType(ctx, mt)
}

func (s *instrumentingService) UpdateMeetingType(ctx context.Context, mt MeetingType) (r0 MeetingType, err error) {
	defer func(begin time.Time) { s.observe("UpdateMeetingType", begin, err) }(time.Now())
	return s.next.UpdateMeetingType(ctx, mt)
}

func (s *instrumentingService) RetireMeetingType(ctx context.Context, agencyID string, id string) (err error) {
	defer func(begin time.Time) { s.observe("RetireMeetingType", begin, err) }(time.Now())
	return s.next.RetireMeetingType(ctx, agencyID, id)
}

func (s *instrumentingService) ListStaffMembers(ctx context.Context, agencyID string) (r0 []StaffMember, err error) {
	defer func(begin time.Time) { s.observe("ListStaffMembers", begin, err) }(time.Now())
	return s.next.ListStaffMembers(ctx, agencyID)
}

func (s *instrumentingService) GetStaffMember(ctx context.Context, agencyID string, id string) (r0 StaffMember, err error) {
	defer func(begin time.Time) { s.observe("GetStaffMember", begin, err) }(time.Now())
	return s.next.GetStaffMember(ctx, agencyID, id)
}

func (s *instrumentingService) CreateStaffMember(ctx context.Context, m StaffMember) (r0 StaffMember, err error) {
	defer func(begin time.Time) { s.observe("CreateStaffMember", begin, err) }(time.Now())
	return s.next.CreateStaffMember(ctx, m)
}

func (s *instrumentingService) UpdateStaffMember(ctx context.Context, m StaffMember) (r0 StaffMember, err error) {
	defer func(begin time.Time) { s.observe("UpdateStaffMember", begin, err) }(time.Now())
	return s.next.UpdateStaffMember(ctx, m)
}

func (s *instrumentingService) RetireStaffMember(ctx context.Context, agencyID string, id string) (err error) {
	defer func(begin time.Time) { s.observe("RetireStaffMember", begin, err) }(time.Now())
	return s.next.RetireStaffMember(ctx, agencyID, id)
}

func (s *instrumentingService) ListAbsences(ctx context.Context, agencyID string, staffID string) (r0 []Absence, err error) {
	defer func(begin time.Time) { s.observe("ListAbsences", begin, err) }(time.Now())
	return s.next.ListAbsences(ctx, agencyID, staffID)
}

func (s *instrumentingService) AddAbsence(ctx context.Context, agencyID string, a Absence) (r0 Absence, err error) {
	defer func(begin time.Time) { s.observe("AddAbsence", begin, err) }(time.Now())
	return s.next.AddAbsence(ctx, agencyID, a)
}

func (s *instrumentingService) DeleteAbsence(ctx context.Context, agencyID string, staffID string, id string) (err error) {
	defer func(begin time.Time) { s.observe("DeleteAbsence", begin, err) }(time.Now())
	return s.next.DeleteAbsence(ctx, agencyID, staffID, id)
}

func (s *instrumentingService) ListClosures(ctx context.Context, agencyID string) (r0 []Closure, err error) {
	defer func(begin time.Time) { s.observe("ListClosures", begin, err) }(time.Now())
	return s.next.ListClosures(ctx, agencyID)
}

func (s *instrumentingService) AddClosure(ctx context.Context, c Closure) (r0 Closure, err error) {
	defer func(begin time.Time) { s.observe("AddClosure", begin, err) }(time.Now())
	return s.next.AddClosure(ctx, c)
}

func (s *instrumentingService) DeleteClosure(ctx context.Context, agencyID string, id string) (err error) {
	defer func(begin time.Time) { s.observe("DeleteClosure", begin, err) }(time.Now())
	return s.next.DeleteClosure(ctx, agencyID, id)
}

func (s *instrumentingService) Holidays(ctx context.Context, agencyID string, year int) (r0 []HolidayStatus, err error) {
	defer func(begin time.Time) { s.observe("Holidays", begin, err) }(time.Now())
	return s.next.Holidays(ctx, agencyID, year)
}

func (s *instrumentingService) SetOpenHolidays(ctx context.Context, agencyID string, open []availability.Holiday) (r0 Agency, err error) {
	defer func(begin time.Time) { s.observe("SetOpenHolidays", begin, err) }(time.Now())
	return s.next.SetOpenHolidays(ctx, agencyID, open)
}

func (s *loggingService) Availability(ctx context.Context, req AvailabilityRequest) (r0 AvailabilityResult, err error) {
	defer func(begin time.Time) { s.log("Availability", begin, err) }(time.Now())
	return s.next.Availability(ctx, req)
}

func (s *loggingService) AvailableDays(ctx context.Context, req AvailabilityRequest) (r0 DaysResult, err error) {
	defer func(begin time.Time) { s.log("AvailableDays", begin, err) }(time.Now())
	return s.next.AvailableDays(ctx, req)
}

func (s *loggingService) PlaceHold(ctx context.Context, req HoldRequest) (r0 Hold, err error) {
	defer func(begin time.Time) { s.log("PlaceHold", begin, err) }(time.Now())
	return s.next.PlaceHold(ctx, req)
}

func (s *loggingService) Book(ctx context.Context, req BookRequest) (r0 Appointment, err error) {
	defer func(begin time.Time) { s.log("Book", begin, err) }(time.Now())
	return s.next.Book(ctx, req)
}

func (s *loggingService) GetAppointment(ctx context.Context, id string) (r0 Appointment, err error) {
	defer func(begin time.Time) { s.log("GetAppointment", begin, err) }(time.Now())
	return s.next.GetAppointment(ctx, id)
}

func (s *loggingService) ListAppointments(ctx context.Context, f AppointmentFilter) (r0 AppointmentPage, err error) {
	defer func(begin time.Time) { s.log("ListAppointments", begin, err) }(time.Now())
	return s.next.ListAppointments(ctx, f)
}

func (s *loggingService) Reschedule(ctx context.Context, req RescheduleRequest) (r0 Appointment, err error) {
	defer func(begin time.Time) { s.log("Reschedule", begin, err) }(time.Now())
	return s.next.Reschedule(ctx, req)
}

func (s *loggingService) Cancel(ctx context.Context, req CancelRequest) (r0 Appointment, err error) {
	defer func(begin time.Time) { s.log("Cancel", begin, err) }(time.Now())
	return s.next.Cancel(ctx, req)
}

func (s *loggingService) MarkArrived(ctx context.Context, req StatusRequest) (r0 Appointment, err error) {
	defer func(begin time.Time) { s.log("MarkArrived", begin, err) }(time.Now())
	return s.next.MarkArrived(ctx, req)
}

func (s *loggingService) MarkFulfilled(ctx context.Context, req StatusRequest) (r0 Appointment, err error) {
	defer func(begin time.Time) { s.log("MarkFulfilled", begin, err) }(time.Now())
	return s.next.MarkFulfilled(ctx, req)
}

func (s *loggingService) MarkNoShow(ctx context.Context, req StatusRequest) (r0 Appointment, err error) {
	defer func(begin time.Time) { s.log("MarkNoShow", begin, err) }(time.Now())
	return s.next.MarkNoShow(ctx, req)
}

func (s *loggingService) Events(ctx context.Context, afterSeq int64, limit int) (r0 []Event, err error) {
	defer func(begin time.Time) { s.log("Events", begin, err) }(time.Now())
	return s.next.Events(ctx, afterSeq, limit)
}

func (s *instrumentingService) PlaceHold(ctx context.Context, req HoldRequest) (r0 Hold, err error) {
	defer func(begin time.Time) { s.observe("PlaceHold", begin, err) }(time.Now())
	return s.next.PlaceHold(ctx, req)
}

func (s *instrumentingService) Book(ctx context.Context, req BookRequest) (r0 Appointment, err error) {
	defer func(begin time.Time) { s.observe("Book", begin, err) }(time.Now())
	return s.next.Book(ctx, req)
}

func (s *instrumentingService) GetAppointment(ctx context.Context, id string) (r0 Appointment, err error) {
	defer func(begin time.Time) { s.observe("GetAppointment", begin, err) }(time.Now())
	return s.next.GetAppointment(ctx, id)
}

func (s *instrumentingService) ListAppointments(ctx context.Context, f AppointmentFilter) (r0 AppointmentPage, err error) {
	defer func(begin time.Time) { s.observe("ListAppointments", begin, err) }(time.Now())
	return s.next.ListAppointments(ctx, f)
}

func (s *instrumentingService) Reschedule(ctx context.Context, req RescheduleRequest) (r0 Appointment, err error) {
	defer func(begin time.Time) { s.observe("Reschedule", begin, err) }(time.Now())
	return s.next.Reschedule(ctx, req)
}

func (s *instrumentingService) Cancel(ctx context.Context, req CancelRequest) (r0 Appointment, err error) {
	defer func(begin time.Time) { s.observe("Cancel", begin, err) }(time.Now())
	return s.next.Cancel(ctx, req)
}

func (s *instrumentingService) MarkArrived(ctx context.Context, req StatusRequest) (r0 Appointment, err error) {
	defer func(begin time.Time) { s.observe("MarkArrived", begin, err) }(time.Now())
	return s.next.MarkArrived(ctx, req)
}

func (s *instrumentingService) MarkFulfilled(ctx context.Context, req StatusRequest) (r0 Appointment, err error) {
	defer func(begin time.Time) { s.observe("MarkFulfilled", begin, err) }(time.Now())
	return s.next.MarkFulfilled(ctx, req)
}

func (s *instrumentingService) MarkNoShow(ctx context.Context, req StatusRequest) (r0 Appointment, err error) {
	defer func(begin time.Time) { s.observe("MarkNoShow", begin, err) }(time.Now())
	return s.next.MarkNoShow(ctx, req)
}

func (s *instrumentingService) Events(ctx context.Context, afterSeq int64, limit int) (r0 []Event, err error) {
	defer func(begin time.Time) { s.observe("Events", begin, err) }(time.Now())
	return s.next.Events(ctx, afterSeq, limit)
}

func (s *loggingService) RequestCallback(ctx context.Context, req CallbackRequest) (r0 Callback, err error) {
	defer func(begin time.Time) { s.log("RequestCallback", begin, err) }(time.Now())
	return s.next.RequestCallback(ctx, req)
}

func (s *loggingService) ListCallbacks(ctx context.Context, f CallbackFilter) (r0 []Callback, err error) {
	defer func(begin time.Time) { s.log("ListCallbacks", begin, err) }(time.Now())
	return s.next.ListCallbacks(ctx, f)
}

func (s *loggingService) ClaimNextCallback(ctx context.Context, agencyID string) (r0 Callback, err error) {
	defer func(begin time.Time) { s.log("ClaimNextCallback", begin, err) }(time.Now())
	return s.next.ClaimNextCallback(ctx, agencyID)
}

func (s *loggingService) ClaimCallback(ctx context.Context, a CallbackAction) (r0 Callback, err error) {
	defer func(begin time.Time) { s.log("ClaimCallback", begin, err) }(time.Now())
	return s.next.ClaimCallback(ctx, a)
}

func (s *loggingService) CompleteCallback(ctx context.Context, a CallbackAction) (r0 Callback, err error) {
	defer func(begin time.Time) { s.log("CompleteCallback", begin, err) }(time.Now())
	return s.next.CompleteCallback(ctx, a)
}

func (s *loggingService) NoAnswerCallback(ctx context.Context, a CallbackAction) (r0 Callback, err error) {
	defer func(begin time.Time) { s.log("NoAnswerCallback", begin, err) }(time.Now())
	return s.next.NoAnswerCallback(ctx, a)
}

func (s *loggingService) WithdrawCallback(ctx context.Context, a CallbackAction) (r0 Callback, err error) {
	defer func(begin time.Time) { s.log("WithdrawCallback", begin, err) }(time.Now())
	return s.next.WithdrawCallback(ctx, a)
}

func (s *instrumentingService) RequestCallback(ctx context.Context, req CallbackRequest) (r0 Callback, err error) {
	defer func(begin time.Time) { s.observe("RequestCallback", begin, err) }(time.Now())
	return s.next.RequestCallback(ctx, req)
}

func (s *instrumentingService) ListCallbacks(ctx context.Context, f CallbackFilter) (r0 []Callback, err error) {
	defer func(begin time.Time) { s.observe("ListCallbacks", begin, err) }(time.Now())
	return s.next.ListCallbacks(ctx, f)
}

func (s *instrumentingService) ClaimNextCallback(ctx context.Context, agencyID string) (r0 Callback, err error) {
	defer func(begin time.Time) { s.observe("ClaimNextCallback", begin, err) }(time.Now())
	return s.next.ClaimNextCallback(ctx, agencyID)
}

func (s *instrumentingService) ClaimCallback(ctx context.Context, a CallbackAction) (r0 Callback, err error) {
	defer func(begin time.Time) { s.observe("ClaimCallback", begin, err) }(time.Now())
	return s.next.ClaimCallback(ctx, a)
}

func (s *instrumentingService) CompleteCallback(ctx context.Context, a CallbackAction) (r0 Callback, err error) {
	defer func(begin time.Time) { s.observe("CompleteCallback", begin, err) }(time.Now())
	return s.next.CompleteCallback(ctx, a)
}

func (s *instrumentingService) NoAnswerCallback(ctx context.Context, a CallbackAction) (r0 Callback, err error) {
	defer func(begin time.Time) { s.observe("NoAnswerCallback", begin, err) }(time.Now())
	return s.next.NoAnswerCallback(ctx, a)
}

func (s *instrumentingService) WithdrawCallback(ctx context.Context, a CallbackAction) (r0 Callback, err error) {
	defer func(begin time.Time) { s.observe("WithdrawCallback", begin, err) }(time.Now())
	return s.next.WithdrawCallback(ctx, a)
}

func (s *loggingService) AppointmentCalendar(ctx context.Context, id string) (r0 []byte, err error) {
	defer func(begin time.Time) { s.log("AppointmentCalendar", begin, err) }(time.Now())
	return s.next.AppointmentCalendar(ctx, id)
}

func (s *instrumentingService) AppointmentCalendar(ctx context.Context, id string) (r0 []byte, err error) {
	defer func(begin time.Time) { s.observe("AppointmentCalendar", begin, err) }(time.Now())
	return s.next.AppointmentCalendar(ctx, id)
}
