package app

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db/consumerstore"
	"github.com/tidbok/tidbok/services/notify"
)

// deadEvents gathers the dead events of every consumer this process runs,
// each kept in the tables of the service it belongs to.
type deadEvents struct {
	byConsumer map[string]*consumerstore.Store
	names      []string
	stores     []*consumerstore.Store
}

var _ notify.DeadEventRepository = (*deadEvents)(nil)

func (d *deadEvents) add(s *consumerstore.Store, consumers ...string) {
	if d.byConsumer == nil {
		d.byConsumer = map[string]*consumerstore.Store{}
	}
	if !slices.Contains(d.stores, s) {
		d.stores = append(d.stores, s)
	}
	for _, c := range consumers {
		d.byConsumer[c] = s
		d.names = append(d.names, c)
	}
	slices.Sort(d.names)
}

func (d *deadEvents) Consumers() []string { return d.names }

func (d *deadEvents) DeadEvents(ctx context.Context, consumer string, limit int) ([]notify.DeadEvent, error) {
	stores := d.stores
	if consumer != "" {
		stores = []*consumerstore.Store{d.byConsumer[consumer]}
	}
	var out []notify.DeadEvent
	for _, s := range stores {
		evs, err := s.DeadEvents(ctx, consumer, limit)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			out = append(out, deadEventOf(e))
		}
	}
	slices.SortStableFunc(out, func(a, b notify.DeadEvent) int { return b.ParkedAt.Compare(a.ParkedAt) })
	return out[:min(len(out), limit)], nil
}

func (d *deadEvents) RetryDeadEvent(ctx context.Context, consumer, eventID string, at time.Time) (notify.DeadEvent, error) {
	s, ok := d.byConsumer[consumer]
	if !ok {
		return notify.DeadEvent{}, fmt.Errorf("no consumer %q: %w", consumer, core.ErrNotFound)
	}
	e, err := s.RequestRetry(ctx, consumer, eventID, at)
	return deadEventOf(e), err
}

func deadEventOf(e consumerstore.DeadEvent) notify.DeadEvent {
	out := notify.DeadEvent{Consumer: e.Consumer, EventID: e.EventID, Seq: e.Seq, Type: e.Type, Attempts: e.Attempts,
		LastError: e.LastError, FailedAt: e.FailedAt, RetryRequestedAt: e.RetryAt}
	if e.ParkedAt != nil {
		out.ParkedAt = *e.ParkedAt
	}
	return out
}

// deadEventGauge reports how many events each consumer has parked, counted
// in the database at each scrape so every replica tells the same.
type deadEventGauge struct {
	d    *deadEvents
	desc *prometheus.Desc
}

func newDeadEventGauge(d *deadEvents) deadEventGauge {
	return deadEventGauge{d: d, desc: prometheus.NewDesc("tidbok_consumer_dead_events",
		"Events each consumer has parked as dead, awaiting an administrator.", []string{"consumer"}, nil)}
}

func (g deadEventGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g deadEventGauge) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts := map[string]int{}
	for _, s := range g.d.stores {
		n, err := s.CountParked(ctx)
		if err != nil {
			return // a scrape without the figure rather than a failed scrape
		}
		for c, k := range n {
			counts[c] += k
		}
	}
	for _, c := range g.d.names {
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(counts[c]), c)
	}
}
