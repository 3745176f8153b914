// Package notify is the HTTP transport of the notify service: the routes of
// its messages, calendar feeds and webhooks, with their request decoding and
// JSON shapes. Each Register*Routes function lists one part's routes in one
// place; app wires them onto the shared mux.
package notify
