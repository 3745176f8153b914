// Command tidbok-load measures availability through HTTP, as a citizen's
// browser meets it: several goroutines ask a running Tidbok for the slots of
// one meeting type, for a bounded time and number of requests, and it prints
// the requests per second and the latency the client saw.
//
//	tidbok-load -url http://127.0.0.1:8080 -meeting-type <id> -mode phone -concurrency 4 -duration 20s
//
// With "seed" it writes the benchmark's agency (db/bookingstore/benchdata:
// 200 staff, 60 % of the next 8 weeks booked) into a database for a server
// to serve:
//
//	tidbok-load seed -database-url sqlite://./var/bench.db -staff 200
//
// It only sends requests to the URL it is given, follows no redirects, and
// refuses a host other than loopback unless -allow-remote is set: it is a
// measuring tool, not a way to load someone else's server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/bookingstore/benchdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "tidbok-load:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage error")

// Bounds on what one run may ask of a server.
const (
	maxConcurrency = 256
	maxDuration    = 10 * time.Minute
	maxRequests    = 10_000_000
)

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "seed" {
		return seed(ctx, args[1:], stdout, stderr)
	}
	cfg, err := parseLoad(args, getenv, stderr)
	if err != nil {
		return err
	}
	res, err := load(ctx, cfg)
	if err != nil {
		return err
	}
	res.print(stdout, cfg)
	return nil
}

type loadConfig struct {
	target      *url.URL // the availability URL, query included
	token       string
	concurrency int
	duration    time.Duration
	requests    int
	warmup      int
}

func parseLoad(args []string, getenv func(string) string, stderr io.Writer) (loadConfig, error) {
	var cfg loadConfig
	fs := flag.NewFlagSet("tidbok-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "http://127.0.0.1:8080", "base URL of the Tidbok server")
	meetingType := fs.String("meeting-type", "", "id of the meeting type to ask for (required)")
	mode := fs.String("mode", "phone", "phone, video or in_person")
	office := fs.String("office", "", "office id, to narrow in-person slots to one office")
	from := fs.String("from", "", "RFC 3339 start of the window; default: the next whole hour")
	weeks := fs.Int("weeks", 4, "length of the window in weeks (1 to 13)")
	fs.IntVar(&cfg.concurrency, "concurrency", 4, fmt.Sprintf("goroutines asking at once (1 to %d)", maxConcurrency))
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, fmt.Sprintf("how long to measure (at most %s)", maxDuration))
	fs.IntVar(&cfg.requests, "requests", 1_000_000, "stop after this many measured requests")
	fs.IntVar(&cfg.warmup, "warmup", 20, "requests sent before measuring, to fill caches and connections")
	allowRemote := fs.Bool("allow-remote", false, "allow a host other than loopback")
	fs.StringVar(&cfg.token, "token", getenv("TIDBOK_LOAD_TOKEN"), "bearer token to send (TIDBOK_LOAD_TOKEN); default anonymous")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, errUsage
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	u, err := url.Parse(strings.TrimSuffix(*base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return cfg, fmt.Errorf("-url %q must be an absolute http(s) URL without a query", *base)
	}
	if !*allowRemote && !isLoopback(u.Hostname()) {
		return cfg, fmt.Errorf("-url %q is not on this machine; pass -allow-remote to measure a server you run elsewhere", *base)
	}
	switch {
	case !core.ValidID(*meetingType):
		return cfg, errors.New("-meeting-type must be a meeting type id (a UUID)")
	case *office != "" && !core.ValidID(*office):
		return cfg, errors.New("-office must be an office id (a UUID)")
	case *weeks < 1 || *weeks > 13:
		return cfg, errors.New("-weeks must be between 1 and 13")
	case cfg.concurrency < 1 || cfg.concurrency > maxConcurrency:
		return cfg, fmt.Errorf("-concurrency must be between 1 and %d", maxConcurrency)
	case cfg.duration <= 0 || cfg.duration > maxDuration:
		return cfg, fmt.Errorf("-duration must be between 0 and %s", maxDuration)
	case cfg.requests < 1 || cfg.requests > maxRequests:
		return cfg, fmt.Errorf("-requests must be between 1 and %d", maxRequests)
	case cfg.warmup < 0 || cfg.warmup > 10_000:
		return cfg, errors.New("-warmup must be between 0 and 10000")
	}
	start := time.Now().Truncate(time.Hour).Add(time.Hour)
	if *from != "" {
		if start, err = time.Parse(time.RFC3339, *from); err != nil {
			return cfg, fmt.Errorf("-from %q is not an RFC 3339 time", *from)
		}
	}
	q := url.Values{"meeting_type_id": {*meetingType}, "mode": {*mode},
		"from": {start.Format(time.RFC3339)}, "to": {start.AddDate(0, 0, 7**weeks).Format(time.RFC3339)}}
	if *office != "" {
		q.Set("office_id", *office)
	}
	cfg.target = u.JoinPath("/v1/availability")
	cfg.target.RawQuery = q.Encode()
	return cfg, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// result is what the measured requests saw.
type result struct {
	elapsed   time.Duration
	latencies []time.Duration // of every answered request, sorted
	statuses  map[int]int
	failures  int // requests that got no answer
	lastErr   error
	slots     int // in the first answer, when it was 200
}

func load(ctx context.Context, cfg loadConfig) (*result, error) {
	client := &http.Client{
		Timeout: 30 * time.Second,
		// Never anywhere but the target.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConnsPerHost: cfg.concurrency,
			MaxConnsPerHost:     cfg.concurrency,
			IdleConnTimeout:     30 * time.Second,
		},
	}
	defer client.CloseIdleConnections()

	// One request first: a wrong meeting type or a refusal should stop the
	// run before it starts, and the answer says how much work one is.
	status, body, err := get(ctx, client, cfg)
	if err != nil {
		return nil, fmt.Errorf("first request: %w", err)
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("first request answered %d: %s", status, strings.TrimSpace(string(body)))
	}
	slots := strings.Count(string(body), `"start"`)
	for range cfg.warmup {
		if _, _, err := get(ctx, client, cfg); err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
	}

	ctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	var issued atomic.Int64
	type worker struct {
		latencies []time.Duration
		statuses  map[int]int
		failures  int
		lastErr   error
	}
	workers := make([]worker, cfg.concurrency)
	var wg sync.WaitGroup
	begin := time.Now()
	for i := range workers {
		w := &workers[i]
		w.statuses = map[int]int{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && issued.Add(1) <= int64(cfg.requests) {
				t0 := time.Now()
				status, _, err := get(ctx, client, cfg)
				took := time.Since(t0)
				switch {
				case err != nil && ctx.Err() != nil:
					return // the run ended during the request: not a failure
				case err != nil:
					w.failures++
					w.lastErr = err
				default:
					w.statuses[status]++
					w.latencies = append(w.latencies, took)
				}
			}
		}()
	}
	wg.Wait()
	res := &result{elapsed: time.Since(begin), statuses: map[int]int{}, slots: slots}
	for _, w := range workers {
		res.latencies = append(res.latencies, w.latencies...)
		for s, n := range w.statuses {
			res.statuses[s] += n
		}
		res.failures += w.failures
		if w.lastErr != nil {
			res.lastErr = w.lastErr
		}
	}
	slices.Sort(res.latencies)
	return res, nil
}

func get(ctx context.Context, client *http.Client, cfg loadConfig) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.target.String(), nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if cfg.token != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.token)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res.StatusCode, body, err
}

// percentile is the p-th percentile of sorted (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(p/100*float64(len(sorted))+0.5) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}

func (r *result) print(w io.Writer, cfg loadConfig) {
	n := len(r.latencies)
	ms := func(d time.Duration) string {
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
	}
	fmt.Fprintf(w, "target       GET %s\n", cfg.target)
	fmt.Fprintf(w, "answer       %d slots\n", r.slots)
	fmt.Fprintf(w, "requests     %d answered in %s by %d workers: %.1f/s\n", n, r.elapsed.Round(time.Millisecond),
		cfg.concurrency, float64(n)/r.elapsed.Seconds())
	codes := make([]int, 0, len(r.statuses))
	for s := range r.statuses {
		codes = append(codes, s)
	}
	slices.Sort(codes)
	var parts []string
	for _, s := range codes {
		parts = append(parts, fmt.Sprintf("%d: %d", s, r.statuses[s]))
	}
	fmt.Fprintf(w, "statuses     %s\n", strings.Join(parts, ", "))
	if r.failures > 0 {
		fmt.Fprintf(w, "failures     %d without an answer, the last: %v\n", r.failures, r.lastErr)
	}
	if r.statuses[http.StatusTooManyRequests] > 0 {
		fmt.Fprintln(w, "note         429s: the server limits availability per address; start it with TIDBOK_PUBLIC_RATE_LIMIT=0 to measure it")
	}
	fmt.Fprintf(w, "latency      p50 %s   p90 %s   p99 %s   max %s\n",
		ms(percentile(r.latencies, 50)), ms(percentile(r.latencies, 90)), ms(percentile(r.latencies, 99)), ms(percentile(r.latencies, 100)))
}

// seed writes the benchmark agency into a database.
func seed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tidbok-load seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := fs.String("database-url", "", "sqlite://path or postgres://... (required)")
	name := fs.String("name", "load", "name of the agency; seeding the same name twice fails")
	staff := fs.Int("staff", 200, "staff members serving the meeting type")
	weeks := fs.Int("weeks", 8, "weeks booked")
	booked := fs.Float64("booked", 0.6, "share of working time booked")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	switch {
	case *dbURL == "":
		return errors.New("seed: -database-url is required")
	case *staff < 1 || *staff > 5000:
		return errors.New("seed: -staff must be between 1 and 5000")
	case *weeks < 1 || *weeks > 52:
		return errors.New("seed: -weeks must be between 1 and 52")
	}
	d, err := db.Open(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	// Booked from today, so that a server on the wall clock sees it.
	today := time.Now().In(benchdata.Stockholm)
	start := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, benchdata.Stockholm)
	begin := time.Now()
	a, err := benchdata.Seed(ctx, d, benchdata.Config{Name: *name, Staff: *staff, Weeks: *weeks, Booked: *booked, Start: start, Seed: 7})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if d.Dialect == db.Postgres {
		if _, err := d.ExecContext(ctx, "ANALYZE"); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "seeded %d staff and %d blocks (%.0f %% of working time booked) into %s in %s\n",
		*staff, a.Blocks, 100*a.BookedShare, db.Redact(*dbURL), time.Since(begin).Round(time.Millisecond))
	fmt.Fprintf(stdout, "agency       %s\nmeeting type %s\noffices      %s\n", a.ID, a.MeetingTypeID, strings.Join(a.OfficeIDs, " "))
	return nil
}
