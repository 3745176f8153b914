// Package sms delivers text messages: through an HTTP gateway that takes
// Tidbok's generic JSON POST, through 46elks (a Swedish SMS provider), or,
// when none is configured, as files under the data directory.
// docs/operations.md ("SMS") describes both shapes.
package sms

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/notify"
)

// Gateway posts {"to": "+4670...", "message": "..."} as JSON to URL. Any 2xx
// answer is success; 4xx (but 429) is permanent; 429, 5xx and network errors
// are transient. User information in URL is sent as HTTP Basic credentials.
type Gateway struct {
	URL    string
	Client *http.Client
}

// SendSMS implements notify.SMSSender.
func (g Gateway) SendSMS(ctx context.Context, to, text string) error {
	body, _ := json.Marshal(map[string]string{"to": to, "message": text})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL, bytes.NewReader(body))
	if err != nil {
		// Not err itself: it may quote the URL and its credentials.
		return fmt.Errorf("sms gateway: the URL does not make a request: %w", notify.ErrPermanent)
	}
	req.Header.Set("Content-Type", "application/json")
	return do(g.Client, req, "sms gateway")
}

// do sends req and sorts the answer: 2xx is success, 4xx (but 429) will not
// change by retrying, the rest may. Errors never show the URL, which may
// carry credentials.
func do(client *http.Client, req *http.Request, name string) error {
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", name, core.ErrUnavailable)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests:
		return fmt.Errorf("%s answered %d: %w", name, resp.StatusCode, notify.ErrPermanent)
	default:
		return fmt.Errorf("%s answered %d: %w", name, resp.StatusCode, core.ErrUnavailable)
	}
}

// ElksHost is 46elks' API host; a TIDBOK_SMS_URL on it selects Elks.
const ElksHost = "api.46elks.com"

// DefaultElksFrom is the sender name when TIDBOK_SMS_URL gives none.
const DefaultElksFrom = "Tidbok"

// Elks sends through 46elks (https://46elks.se/docs/send-sms): a form POST
// of from, to and message to Endpoint, authenticated with the account's API
// username and password (HTTP Basic).
type Elks struct {
	Endpoint string // https://api.46elks.com/a1/sms
	Username string
	Password string
	// From is the sender: a phone number in E.164, or 3–11 letters and
	// digits beginning with a letter, such as the agency's short name.
	From   string
	Client *http.Client
}

// SendSMS implements notify.SMSSender.
func (e Elks) SendSMS(ctx context.Context, to, text string) error {
	form := url.Values{"from": {e.From}, "to": {to}, "message": {text}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.Endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("46elks: the endpoint does not make a request: %w", notify.ErrPermanent)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(e.Username, e.Password)
	return do(e.Client, req, "46elks")
}

// validElksFrom is 46elks' rule for a sender: a number in E.164 or an
// alphanumeric name of 3 to 11 characters beginning with a letter.
func validElksFrom(s string) bool {
	if strings.HasPrefix(s, "+") {
		if len(s) < 8 || len(s) > 16 {
			return false
		}
		return strings.Trim(s[1:], "0123456789") == ""
	}
	if len(s) < 3 || len(s) > 11 || !isLetter(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// Files writes each message to <Dir>/<time>-<to>-<random>.txt, for
// development; names sort in the order the texts were written.
type Files struct {
	Dir string
}

// SendSMS implements notify.SMSSender.
func (f Files) SendSMS(_ context.Context, to, text string) error {
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return fmt.Errorf("sms dir: %w: %w", core.ErrUnavailable, err)
	}
	// The random part keeps two texts written in the same instant apart.
	name := time.Now().UTC().Format("20060102T150405.000000000Z") + "-" + url.PathEscape(to) + "-" +
		strings.ToLower(rand.Text()[:8]) + ".txt"
	if err := os.WriteFile(filepath.Join(f.Dir, name), []byte("To: "+to+"\n\n"+text+"\n"), 0o600); err != nil {
		return fmt.Errorf("write sms: %w: %w", core.ErrUnavailable, err)
	}
	return nil
}

// New returns the sender TIDBOK_SMS_URL (rawURL) names: files under
// <dataDir>/sms when it is empty; 46elks when its host is api.46elks.com
// (https://USER:PASSWORD@api.46elks.com/a1/sms, optionally ?from=Sender);
// otherwise the generic JSON gateway at that URL. Errors never show the URL.
func New(rawURL, dataDir string) (notify.SMSSender, error) {
	if rawURL == "" {
		return Files{Dir: filepath.Join(dataDir, "sms")}, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("TIDBOK_SMS_URL must be an http(s) URL")
	}
	if !strings.EqualFold(u.Hostname(), ElksHost) {
		return Gateway{URL: rawURL}, nil
	}
	password, _ := u.User.Password()
	if u.Scheme != "https" || u.User.Username() == "" || password == "" {
		return nil, fmt.Errorf("TIDBOK_SMS_URL for 46elks must be https://API_USERNAME:API_PASSWORD@%s/a1/sms", ElksHost)
	}
	from := u.Query().Get("from")
	if from == "" {
		from = DefaultElksFrom
	}
	if !validElksFrom(from) {
		return nil, fmt.Errorf("TIDBOK_SMS_URL: from must be a number in E.164 or 3 to 11 letters and digits beginning with a letter")
	}
	endpoint := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return Elks{Endpoint: endpoint.String(), Username: u.User.Username(), Password: password, From: from}, nil
}
