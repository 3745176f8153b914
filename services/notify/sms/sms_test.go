package sms_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/notify"
	"github.com/tidbok/tidbok/services/notify/sms"
)

// request is what a fake provider received.
type request struct {
	Method, Path, ContentType string
	User, Password            string
	HasAuth                   bool
	Body                      []byte
}

// provider answers every request with status and records it.
func provider(t *testing.T, status int) (*httptest.Server, func() []request) {
	t.Helper()
	var mu sync.Mutex
	var got []request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		user, pass, ok := r.BasicAuth()
		mu.Lock()
		got = append(got, request{r.Method, r.URL.Path, r.Header.Get("Content-Type"), user, pass, ok, body})
		mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"id":"s1"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []request {
		mu.Lock()
		defer mu.Unlock()
		return append([]request(nil), got...)
	}
}

// outcomes is how an answer's status is sorted, for both shapes.
var outcomes = []struct {
	name   string
	status int
	want   error // nil, notify.ErrPermanent or core.ErrUnavailable
}{
	{"a 2xx answer is success", http.StatusAccepted, nil},
	{"a 4xx answer will not change by retrying", http.StatusBadRequest, notify.ErrPermanent},
	{"refused credentials will not change by retrying", http.StatusUnauthorized, notify.ErrPermanent},
	{"too many requests is worth retrying", http.StatusTooManyRequests, core.ErrUnavailable},
	{"a 5xx answer is worth retrying", http.StatusBadGateway, core.ErrUnavailable},
}

func checkOutcome(t *testing.T, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("err = %v, want success", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("err = %v, want %v", err, want)
	case err != nil && strings.Contains(err.Error(), "s3cret"):
		t.Fatalf("the error shows the password: %v", err)
	}
}

func TestGenericGatewayPostsJSON(t *testing.T) {
	for _, tc := range outcomes {
		t.Run(tc.name, func(t *testing.T) {
			srv, got := provider(t, tc.status)
			u, _ := url.Parse(srv.URL + "/send")
			u.User = url.UserPassword("tidbok", "s3cret")
			sender, err := sms.New(u.String(), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			checkOutcome(t, sender.SendSMS(context.Background(), "+46701234567", "Bokat: Exempelby kommun, 25 mar kl 10.00."), tc.want)
			reqs := got()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			var body map[string]string
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Fatalf("body %s: %v", r.Body, err)
			}
			if r.Method != http.MethodPost || r.Path != "/send" || r.ContentType != "application/json" || len(body) != 2 ||
				body["to"] != "+46701234567" || body["message"] != "Bokat: Exempelby kommun, 25 mar kl 10.00." {
				t.Fatalf("request %s %s %s %s", r.Method, r.Path, r.ContentType, r.Body)
			}
			if !r.HasAuth || r.User != "tidbok" || r.Password != "s3cret" {
				t.Fatalf("credentials from the URL were not sent as Basic auth")
			}
		})
	}
	t.Run("an unreachable gateway is worth retrying", func(t *testing.T) {
		srv, _ := provider(t, http.StatusOK)
		srv.Close()
		err := sms.Gateway{URL: srv.URL}.SendSMS(context.Background(), "+46701234567", "x")
		checkOutcome(t, err, core.ErrUnavailable)
	})
}

// Test46elksShape impersonates api.46elks.com/a1/sms: a form POST of from,
// to and message with the API credentials as HTTP Basic auth.
func Test46elksShape(t *testing.T) {
	for _, tc := range outcomes {
		t.Run(tc.name, func(t *testing.T) {
			srv, got := provider(t, tc.status)
			elks := sms.Elks{Endpoint: srv.URL + "/a1/sms", Username: "u0123456789abcdef", Password: "s3cret", From: "Exempelby"}
			checkOutcome(t, elks.SendSMS(context.Background(), "+46701234567", "Påminnelse: Exempelby kommun, 25 mar kl 10.00."), tc.want)
			reqs := got()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			form, err := url.ParseQuery(string(r.Body))
			if err != nil {
				t.Fatal(err)
			}
			if r.Method != http.MethodPost || r.Path != "/a1/sms" || r.ContentType != "application/x-www-form-urlencoded" {
				t.Fatalf("request %s %s %s", r.Method, r.Path, r.ContentType)
			}
			if len(form) != 3 || form.Get("from") != "Exempelby" || form.Get("to") != "+46701234567" ||
				form.Get("message") != "Påminnelse: Exempelby kommun, 25 mar kl 10.00." {
				t.Fatalf("form %v", form)
			}
			if !r.HasAuth || r.User != "u0123456789abcdef" || r.Password != "s3cret" {
				t.Fatalf("Basic auth %q/%q", r.User, r.Password)
			}
		})
	}
}

func TestNewPicksTheSenderFromTheURL(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		url  string
		want any
	}{
		{"no URL writes files under the data directory", "", sms.Files{Dir: filepath.Join(dir, "sms")}},
		{"any other URL is the generic gateway", "https://sms.example.se/send", sms.Gateway{URL: "https://sms.example.se/send"}},
		{"46elks' host selects 46elks, credentials from the URL", "https://u123:s3cret@api.46elks.com/a1/sms",
			sms.Elks{Endpoint: "https://api.46elks.com/a1/sms", Username: "u123", Password: "s3cret", From: sms.DefaultElksFrom}},
		{"46elks with a sender name", "https://u123:s3cret@api.46elks.com/a1/sms?from=Exempelby",
			sms.Elks{Endpoint: "https://api.46elks.com/a1/sms", Username: "u123", Password: "s3cret", From: "Exempelby"}},
		{"46elks with a sender number", "https://u123:s3cret@api.46elks.com/a1/sms?from=%2B46766861004",
			sms.Elks{Endpoint: "https://api.46elks.com/a1/sms", Username: "u123", Password: "s3cret", From: "+46766861004"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sms.New(tc.url, dir)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("New(%q) = %#v, want %#v", tc.url, got, tc.want)
			}
		})
	}

	refused := []struct{ name, url string }{
		{"not http", "smtp://sms.example.se"},
		{"no host", "https:///send"},
		{"46elks without credentials", "https://api.46elks.com/a1/sms"},
		{"46elks over plain http", "http://u123:s3cret@api.46elks.com/a1/sms"},
		{"46elks with a sender name too long", "https://u123:s3cret@api.46elks.com/a1/sms?from=ExempelbyKommun"},
		{"46elks with a sender name beginning with a digit", "https://u123:s3cret@api.46elks.com/a1/sms?from=1kommun"},
	}
	for _, tc := range refused {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			_, err := sms.New(tc.url, dir)
			if err == nil {
				t.Fatalf("New(%q) accepted", tc.url)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}

func TestFilesWriteOneFilePerText(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sms")
	f := sms.Files{Dir: dir}
	for _, text := range []string{"Bokat: första", "Bokat: andra"} {
		if err := f.SendSMS(context.Background(), "+46701234567", text); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 2 {
		t.Fatalf("%d files, %v", len(entries), err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, entries[0].Name()))
	if string(b) != "To: +46701234567\n\nBokat: första\n" {
		t.Fatalf("file %q", b)
	}
}
