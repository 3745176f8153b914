package tokens

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/tidbok/tidbok/core"
)

// Defaults of JWKSClientConfig.
const (
	DefaultJWKSTimeout    = 5 * time.Second
	DefaultJWKSMinRefetch = 10 * time.Second
	DefaultJWKSMaxAge     = 10 * time.Minute
)

// maxJWKSBytes bounds the document we read; a few keys take a few hundred bytes.
const maxJWKSBytes = 64 << 10

// JWKSClientConfig configures a JWKSClient.
type JWKSClientConfig struct {
	// URL of the auth service's key set, e.g. "http://auth:8080" + JWKSPath.
	URL string
	// HTTPClient makes the requests; default a client of its own.
	HTTPClient *http.Client
	// Timeout bounds one fetch; default DefaultJWKSTimeout.
	Timeout time.Duration
	// MinRefetch is the least time between two fetches, so tokens naming
	// random key ids cannot turn every request into a fetch; default
	// DefaultJWKSMinRefetch.
	MinRefetch time.Duration
	// MaxAge is how long fetched keys are used before they are fetched again,
	// so a key the auth service withdrew stops being accepted; default
	// DefaultJWKSMaxAge.
	MaxAge time.Duration
	// Clock tells the time; default core.SystemClock.
	Clock core.Clock
}

// JWKSClient is a KeySource that reads the auth service's JWK Set over HTTP.
// It keeps the keys it read, fetches again for a key id it does not know or
// once the keys are older than MaxAge, and never fetches more than once per
// MinRefetch. When a fetch fails it keeps using the keys it has. It is safe
// for concurrent use; concurrent lookups share one fetch.
type JWKSClient struct {
	url        string
	http       *http.Client
	timeout    time.Duration
	minRefetch time.Duration
	maxAge     time.Duration
	clock      core.Clock

	mu       sync.Mutex
	keys     *KeySet
	fetched  time.Time     // last successful fetch
	tried    time.Time     // last fetch started, successful or not
	lastErr  error         // the last fetch's error, nil after a success
	inflight chan struct{} // closed when the running fetch ends; nil when none runs
}

// NewJWKSClient returns a client for cfg. It fetches nothing until asked for
// a key.
func NewJWKSClient(cfg JWKSClientConfig) (*JWKSClient, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("tokens: JWKS URL %q is not an http(s) URL", cfg.URL)
	}
	c := &JWKSClient{
		url:        u.String(),
		http:       cfg.HTTPClient,
		timeout:    cfg.Timeout,
		minRefetch: cfg.MinRefetch,
		maxAge:     cfg.MaxAge,
		clock:      cfg.Clock,
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.timeout <= 0 {
		c.timeout = DefaultJWKSTimeout
	}
	if c.minRefetch <= 0 {
		c.minRefetch = DefaultJWKSMinRefetch
	}
	if c.maxAge <= 0 {
		c.maxAge = DefaultJWKSMaxAge
	}
	if c.clock == nil {
		c.clock = core.SystemClock{}
	}
	return c, nil
}

// Key returns the key named kid. It returns an error wrapping ErrUnknownKey
// when the key set does not have it, and another error when no key set could
// be fetched.
func (c *JWKSClient) Key(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	for {
		c.mu.Lock()
		now := c.clock.Now()
		key, known := c.lookup(kid)
		if known && now.Sub(c.fetched) < c.maxAge {
			c.mu.Unlock()
			return key, nil
		}
		if c.inflight != nil {
			// Someone is fetching: wait for that rather than fetch twice.
			wait := c.inflight
			c.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if !c.tried.IsZero() && now.Sub(c.tried) < c.minRefetch {
			lastErr := c.lastErr
			c.mu.Unlock()
			return c.answer(key, known, lastErr)
		}
		done := make(chan struct{})
		c.inflight, c.tried = done, now
		c.mu.Unlock()

		keys, err := c.fetch(ctx)

		c.mu.Lock()
		if err == nil {
			c.keys, c.fetched = keys, now
		}
		c.lastErr = err
		c.inflight = nil
		close(done)
		key, known = c.lookup(kid)
		c.mu.Unlock()
		return c.answer(key, known, err)
	}
}

// lookup finds kid in the keys held; c.mu must be held.
func (c *JWKSClient) lookup(kid string) (ed25519.PublicKey, bool) {
	if c.keys == nil {
		return nil, false
	}
	key, ok := c.keys.byID[kid]
	return key, ok
}

// answer decides a lookup once no fetch is possible: a key held (even an old
// one) is used, an unknown kid is unknown only if the last fetch worked.
func (c *JWKSClient) answer(key ed25519.PublicKey, known bool, fetchErr error) (ed25519.PublicKey, error) {
	switch {
	case known:
		return key, nil
	case fetchErr != nil:
		return nil, fetchErr
	default:
		return nil, ErrUnknownKey
	}
}

// fetch reads the key set. It is detached from the caller's cancellation,
// because other lookups wait for its result, and bounded by the timeout.
func (c *JWKSClient) fetch(ctx context.Context) (*KeySet, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: JWKS request: %w", core.ErrUnavailable, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: fetching JWKS: %w", core.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: fetching JWKS: status %d", core.ErrUnavailable, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading JWKS: %w", core.ErrUnavailable, err)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("%w: JWKS larger than %d bytes", core.ErrUnavailable, maxJWKSBytes)
	}
	keys, err := ParseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", core.ErrUnavailable, err)
	}
	return keys, nil
}
