package httpkit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/tidbok/tidbok/core"
)

// Call is the request of an endpoint made by JSONEndpoint: a path under the
// service's base URL, its query, and a body sent as JSON when not nil.
type Call struct {
	Path  string
	Query url.Values
	Body  any
}

// ServiceBaseURL checks a remote service's base URL (http://booking:8080).
func ServiceBaseURL(service, raw string) (*url.URL, error) {
	base, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("%s service url %q must be an absolute http(s) URL", service, raw)
	}
	return base, nil
}

// JSONEndpoint is a go-kit client endpoint of another Tidbok service: it
// takes a Call and returns the decoded Resp. httpClient carries the
// service's own token (see the app package); the request id and language of
// the request being served go along. An error answer comes back as an error
// of the same kind, except that a refused service token is ErrUnavailable:
// the caller's own request is not what was wrong.
func JSONEndpoint[Resp any](method string, base *url.URL, httpClient *http.Client) endpoint.Endpoint {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	enc := func(ctx context.Context, r *http.Request, request any) error {
		c := request.(Call)
		u := *base
		u.Path = base.Path + c.Path
		u.RawQuery = c.Query.Encode()
		r.URL = &u
		r.Host = u.Host
		r.Header.Set("Accept", "application/json")
		if c.Body != nil {
			b, err := json.Marshal(c.Body)
			if err != nil {
				return err
			}
			r.Header.Set("Content-Type", "application/json")
			r.Body = io.NopCloser(bytes.NewReader(b))
			r.ContentLength = int64(len(b))
		}
		return nil
	}
	dec := func(_ context.Context, r *http.Response) (any, error) {
		var out Resp
		switch {
		case r.StatusCode == http.StatusUnauthorized:
			_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 64<<10))
			return out, fmt.Errorf("%s refused this process's service token; check TIDBOK_SERVICE_CLIENT_ID and its scopes: %w",
				base.Host, core.ErrUnavailable)
		case r.StatusCode >= 400:
			return out, DecodeProblem(r)
		case r.StatusCode == http.StatusNoContent:
			return out, nil
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 32<<20)).Decode(&out); err != nil {
			return out, fmt.Errorf("read answer of %s: %w: %w", base.Host, core.ErrUnavailable, err)
		}
		return out, nil
	}
	return kithttp.NewClient(method, base, enc, dec, kithttp.SetClient(httpClient),
		kithttp.ClientBefore(ForwardRequestContext)).Endpoint()
}

// Do calls e with c and returns its answer as Resp.
func Do[Resp any](ctx context.Context, e endpoint.Endpoint, c Call) (Resp, error) {
	resp, err := e(ctx, c)
	if err != nil {
		var zero Resp
		// A service that cannot be reached, or a token that cannot be had,
		// is a passing outage for the caller, not their mistake.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			return zero, fmt.Errorf("call %s: %w: %w", c.Path, core.ErrUnavailable, err)
		}
		return zero, err
	}
	return resp.(Resp), nil
}
