// Package sms delivers text messages: through an HTTP gateway that takes a
// JSON POST, or, when none is configured, as files under the data directory.
package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/notify"
)

// Gateway posts {"to": "+4670...", "message": "..."} as JSON to URL. Any 2xx
// answer is success; 4xx is permanent; 5xx and network errors are transient.
type Gateway struct {
	URL    string
	Client *http.Client
}

// SendSMS implements notify.SMSSender.
func (g Gateway) SendSMS(ctx context.Context, to, text string) error {
	body, _ := json.Marshal(map[string]string{"to": to, "message": text})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sms gateway request: %w: %w", notify.ErrPermanent, err)
	}
	req.Header.Set("Content-Type", "application/json")
	client := g.Client
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sms gateway: %w", core.ErrUnavailable)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests:
		return fmt.Errorf("sms gateway answered %d: %w", resp.StatusCode, notify.ErrPermanent)
	default:
		return fmt.Errorf("sms gateway answered %d: %w", resp.StatusCode, core.ErrUnavailable)
	}
}

// Files writes each message to <Dir>/<time>-<to>.txt, for development.
type Files struct {
	Dir string
}

// SendSMS implements notify.SMSSender.
func (f Files) SendSMS(_ context.Context, to, text string) error {
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return fmt.Errorf("sms dir: %w: %w", core.ErrUnavailable, err)
	}
	name := time.Now().UTC().Format("20060102T150405.000000000Z") + "-" + url.PathEscape(to) + ".txt"
	if err := os.WriteFile(filepath.Join(f.Dir, name), []byte("To: "+to+"\n\n"+text+"\n"), 0o600); err != nil {
		return fmt.Errorf("write sms: %w: %w", core.ErrUnavailable, err)
	}
	return nil
}

// New returns the gateway at rawURL, or files under <dataDir>/sms when empty.
func New(rawURL, dataDir string) (notify.SMSSender, error) {
	if rawURL == "" {
		return Files{Dir: filepath.Join(dataDir, "sms")}, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("TIDBOK_SMS_URL must be an http(s) URL")
	}
	return Gateway{URL: rawURL}, nil
}
