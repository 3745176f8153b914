package app

import (
	"net/http"

	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/transport/web"
)

// registerManagePages mounts the pages a citizen reaches from the manage
// link in their invitation.
func registerManagePages(mux *http.ServeMux, cfg Config, svc booking.Service, links *booking.ManageLinks) {
	web.RegisterManagePages(mux, web.ManagePages{Booking: svc, Links: links, Clock: cfg.Clock, BaseURL: cfg.BaseURL,
		Limiter: limiter(cfg.PublicRateLimit, 30)})
}
