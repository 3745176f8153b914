package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tidbok/tidbok/core"
)

func TestLoadAsksOnlyItsTargetAndReports(t *testing.T) {
	var hits atomic.Int64
	var badRequests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		q := r.URL.Query()
		if r.URL.Path != "/v1/availability" || q.Get("mode") != "video" || q.Get("from") == "" || q.Get("to") == "" {
			badRequests.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"time_zone":"Europe/Stockholm","items":[{"start":"a"},{"start":"b"}]}`))
	}))
	defer srv.Close()
	mt := core.NewID()
	getenv := func(string) string { return "" }

	t.Run("stops after the requests it was allowed", func(t *testing.T) {
		var out bytes.Buffer
		err := run(context.Background(), []string{"-url", srv.URL, "-meeting-type", mt, "-mode", "video",
			"-concurrency", "3", "-requests", "50", "-warmup", "5", "-duration", "1m"}, getenv, &out, &out)
		if err != nil {
			t.Fatal(err)
		}
		if got := hits.Load(); got != 1+5+50 {
			t.Fatalf("server saw %d requests, want 56 (one check, five warm-up, fifty measured)", got)
		}
		if badRequests.Load() != 0 {
			t.Fatalf("%d requests were not availability questions", badRequests.Load())
		}
		for _, want := range []string{"50 answered", "200: 50", "2 slots", "p50", "p99"} {
			if !strings.Contains(out.String(), want) {
				t.Fatalf("output lacks %q:\n%s", want, out.String())
			}
		}
	})

	t.Run("refuses what it should not do", func(t *testing.T) {
		for name, args := range map[string][]string{
			"a host elsewhere":     {"-url", "http://example.org", "-meeting-type", mt},
			"no meeting type":      {"-url", srv.URL},
			"too many goroutines":  {"-url", srv.URL, "-meeting-type", mt, "-concurrency", "100000"},
			"a run without end":    {"-url", srv.URL, "-meeting-type", mt, "-duration", "24h"},
			"a window of a year":   {"-url", srv.URL, "-meeting-type", mt, "-weeks", "52"},
			"a URL with a query":   {"-url", srv.URL + "?x=1", "-meeting-type", mt},
			"a scheme that is not": {"-url", "file:///etc/passwd", "-meeting-type", mt},
		} {
			t.Run(name, func(t *testing.T) {
				before := hits.Load()
				var out bytes.Buffer
				if err := run(context.Background(), args, getenv, &out, &out); err == nil {
					t.Fatalf("accepted %q", args)
				}
				if hits.Load() != before {
					t.Fatal("sent a request anyway")
				}
			})
		}
	})

	t.Run("stops when the first answer is not slots", func(t *testing.T) {
		refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"status":404}`, http.StatusNotFound)
		}))
		defer refusing.Close()
		var out bytes.Buffer
		err := run(context.Background(), []string{"-url", refusing.URL, "-meeting-type", mt}, getenv, &out, &out)
		if err == nil || !strings.Contains(err.Error(), "404") {
			t.Fatalf("err = %v, want the 404 reported", err)
		}
	})
}
