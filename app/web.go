package app

import (
	"context"
	"net/http"

	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/transport/web"
)

// registerManagePages mounts the pages a citizen reaches from the manage
// link in their invitation, and returns the signer notify mints links with.
func registerManagePages(ctx context.Context, mux *http.ServeMux, cfg Config, svc booking.Service, secrets booking.ManageLinkSecrets) (*booking.ManageLinks, error) {
	links, err := booking.LoadManageLinks(ctx, secrets)
	if err != nil {
		return nil, err
	}
	web.RegisterManagePages(mux, web.ManagePages{Booking: svc, Links: links, Clock: cfg.Clock, BaseURL: cfg.BaseURL,
		Limiter: limiter(cfg.PublicRateLimit, 30)})
	return links, nil
}
