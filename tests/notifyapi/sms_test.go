package notifyapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tidbok/tidbok/app"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
)

// gsm0338 is the GSM 03.38 basic character set, written out from the
// standard's table: a text of these characters is 7 bits a character and
// shows right on every phone.
const gsm0338 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// smsGateway is an HTTP gateway taking Tidbok's generic JSON POST.
type smsGateway struct {
	mu    sync.Mutex
	texts []struct{ To, Message string }
}

func startGateway(t *testing.T) (*smsGateway, string) {
	t.Helper()
	g := &smsGateway{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			To      string `json:"to"`
			Message string `json:"message"`
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "want a JSON POST", http.StatusBadRequest)
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.To == "" || body.Message == "" {
			http.Error(w, "want to and message", http.StatusBadRequest)
			return
		}
		g.mu.Lock()
		g.texts = append(g.texts, struct{ To, Message string }{body.To, body.Message})
		g.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	return g, srv.URL + "/sms"
}

func (g *smsGateway) sent() map[string][]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string][]string{}
	for _, s := range g.texts {
		out[s.To] = append(out[s.To], s.Message)
	}
	return out
}

var personalNumberLike = regexp.MustCompile(`\d{6}[-+]?\d{4}`)

func TestBookingConfirmationsByTextOnlyToThoseWhoAllowedIt(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		gateway, url := startGateway(t)
		e := newEnv(t, d, func(c *app.Config) { c.SMSURL = url })

		karin := e.signInCitizen(t, "karin@example.se", "sv")
		wantStatus(t, e.call(t, "PATCH", "/v1/me", karin.Token, map[string]any{
			"phone": "070-123 45 67", "notify_sms": true, "personal_identity_number": "19800314-1234"}), http.StatusOK)
		john := e.signInCitizen(t, "john@example.com", "en")
		wantStatus(t, e.call(t, "PATCH", "/v1/me", john.Token, map[string]any{"phone": "+44 7700 900123", "notify_sms": true}), http.StatusOK)
		pelle := e.signInCitizen(t, "pelle@example.se", "sv") // a number, but no texts
		wantStatus(t, e.call(t, "PATCH", "/v1/me", pelle.Token, map[string]any{"phone": "070-765 43 21"}), http.StatusOK)

		e.book(t, local(time.March, 25, 10, 0), map[string]string{"id": karin.ID})
		e.book(t, local(time.March, 25, 11, 0), map[string]string{"id": john.ID})
		e.book(t, local(time.March, 25, 13, 0), map[string]string{"id": pelle.ID})
		e.book(t, local(time.March, 25, 14, 0), map[string]string{"email": "olle@example.se"}) // no number at all
		e.deliver(t)

		got := gateway.sent()
		want := map[string]string{
			"+46701234567":  "Bokat: Exempelby kommun, 25 mar kl 10.00. Stadshuset, plan 3.",
			"+447700900123": "Booked: Exempelby kommun, 25 Mar 11:00. Stadshuset, plan 3.",
		}
		if len(got) != len(want) {
			t.Fatalf("texts went to %v, want only %d numbers", got, len(want))
		}
		for to, text := range want {
			if len(got[to]) != 1 || got[to][0] != text {
				t.Errorf("texts to %s: %q, want [%q]", to, got[to], text)
			}
		}
		for to, texts := range got {
			for _, s := range texts {
				if i := strings.IndexFunc(s, func(r rune) bool { return !strings.ContainsRune(gsm0338, r) }); i >= 0 {
					r, _ := utf8.DecodeRuneInString(s[i:])
					t.Errorf("text to %s has %q, outside GSM 03.38: %q", to, r, s)
				}
				if n := utf8.RuneCountInString(s); n > 160 {
					t.Errorf("text to %s is %d characters: %q", to, n, s)
				}
				if personalNumberLike.MatchString(s) || strings.Contains(s, "800314") {
					t.Errorf("text to %s carries a personal identity number: %q", to, s)
				}
			}
		}
	})
}
