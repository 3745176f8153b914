package notify

import (
	"net/netip"
	"net/url"
	"strings"
)

// URLPolicy decides where webhook deliveries may go. An agency admin names
// the URL, but Tidbok's server makes the request, from inside the operator's
// network, so without a rule an admin could make it post to the database, a
// cloud metadata service or an intranet (server-side request forgery).
//
// The rule:
//   - The URL is https, has a host, and carries no user:password and no
//     fragment. Plain http is accepted only for a loopback host.
//   - Loopback hosts (localhost, *.localhost, 127.0.0.0/8, ::1) are refused
//     unless AllowLoopback is set (development and tests). A webhook
//     registered with a loopback host may then reach loopback addresses, and
//     only that webhook.
//   - Every address a delivery connects to is checked when it connects, after
//     DNS, so a public name that resolves (or is re-pointed) to a private
//     address is refused too: loopback, private (RFC 1918, fc00::/7),
//     link-local (169.254.0.0/16 with the cloud metadata services,
//     fe80::/10), shared (100.64.0.0/10), unspecified, multicast and reserved
//     ranges, IPv4 inside IPv6 judged as IPv4.
//   - AllowedPrefixes opens chosen ranges, for agency systems on an internal
//     network the operator trusts.
//
// Registration checks what it can without the network (IP literals and
// loopback names); the HTTP sender checks every resolved address. Redirects
// are never followed, so a receiver cannot bounce a delivery elsewhere.
type URLPolicy struct {
	AllowLoopback   bool
	AllowedPrefixes []netip.Prefix
}

// maxWebhookURL bounds a webhook URL; receivers need nothing longer.
const maxWebhookURL = 2000

// CheckURL returns what is wrong with raw as a webhook URL, for the url
// field's error, or "" when it may be registered.
func (p URLPolicy) CheckURL(raw string) string {
	if raw == "" {
		return "is required"
	}
	if len(raw) > maxWebhookURL {
		return "is too long"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return "must be an absolute URL such as https://example.se/webhooks"
	}
	switch {
	case u.User != nil:
		return "must not contain a user name or password; deliveries are signed instead"
	case u.Fragment != "" || strings.HasSuffix(raw, "#"):
		return "must not contain a fragment (#...)"
	}
	loopback := IsLoopbackHost(u.Hostname())
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return "must use https"
	case loopback && !p.AllowLoopback:
		return "must not point at this server (localhost)"
	case u.Scheme == "http" && !loopback:
		return "must use https (plain http is only for localhost during development)"
	}
	if addr, err := netip.ParseAddr(u.Hostname()); err == nil && !p.AllowAddr(addr, loopback) {
		return "must not point at a private, loopback or link-local address"
	}
	return ""
}

// IsLoopbackHost reports whether host (a URL's host name, without port) names
// this machine: localhost, a name under .localhost (RFC 6761), or a loopback
// IP address.
func IsLoopbackHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	addr, err := netip.ParseAddr(strings.Trim(h, "[]"))
	return err == nil && addr.Unmap().IsLoopback()
}

// AllowAddr reports whether a delivery may connect to addr. loopbackURL says
// whether the webhook's URL names a loopback host; only such a webhook, and
// only with AllowLoopback, may reach loopback addresses.
func (p URLPolicy) AllowAddr(addr netip.Addr, loopbackURL bool) bool {
	addr = addr.Unmap().WithZone("")
	for _, pre := range p.AllowedPrefixes {
		if pre.Contains(addr) {
			return true
		}
	}
	if addr.IsLoopback() {
		return loopbackURL && p.AllowLoopback
	}
	if nat64.Contains(addr) {
		// A NAT64 address reaches the IPv4 address in its last four bytes.
		b := addr.As16()
		addr = netip.AddrFrom4([4]byte(b[12:]))
		if addr.IsLoopback() {
			return false
		}
	}
	if !addr.IsValid() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() {
		return false
	}
	for _, pre := range reservedPrefixes {
		if pre.Contains(addr) {
			return false
		}
	}
	return true
}

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// reservedPrefixes are special-purpose ranges (RFC 6890) netip has no
// predicate for: none is a public agency system.
var reservedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (carrier NAT, some cloud metadata)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("100::/64"),        // discard
}
