package notify

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/go-kit/log"

	"github.com/tidbok/tidbok/core"
)

// WebhookSender makes one delivery attempt: it posts d, signed with w's
// secret and stamped at, to w's URL. It returns the receiver's HTTP status (0
// when none came) and an error unless the receiver answered 2xx.
// services/notify/webhookhttp implements it.
type WebhookSender interface {
	Send(ctx context.Context, w Webhook, d Delivery, at time.Time) (status int, err error)
}

// Defaults of a WebhookDispatcher.
const (
	DefaultWebhookBatch       = 32
	DefaultWebhookConcurrency = 8
	// webhookLease is how long a claimed delivery is left alone by other
	// dispatchers: longer than a batch can take (BatchSize/Concurrency
	// rounds of the sender's 10 s timeout). A dispatcher that dies mid-send
	// leaves its claims to be retried when the lease runs out.
	webhookLease = 5 * time.Minute
)

// WebhookDispatcher sends due deliveries and records how each went. Any
// number of dispatchers may run against one database: each claims its own
// deliveries (PostgreSQL skips rows another has locked; SQLite serialises).
// A delivery is sent at least once and, rarely, more often (a crash after
// the receiver took it): receivers drop repeats by webhook-id.
type WebhookDispatcher struct {
	Repo        WebhookRepository
	Sender      WebhookSender
	Clock       core.Clock // the system clock when nil
	Logger      log.Logger // nothing is logged when nil
	BatchSize   int        // DefaultWebhookBatch when 0
	Concurrency int        // DefaultWebhookConcurrency when 0
	// Jitter spreads a retry delay so that receivers coming back are not hit
	// by every waiting delivery at once; WebhookJitter when nil.
	Jitter func(time.Duration) time.Duration
}

// WebhookJitter returns d scaled by a random factor in [0.8, 1.2), to the
// millisecond.
func WebhookJitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64())).Round(time.Millisecond)
}

func (d *WebhookDispatcher) now() time.Time {
	if d.Clock == nil {
		return core.SystemClock{}.Now().Truncate(time.Microsecond)
	}
	return d.Clock.Now().UTC().Truncate(time.Microsecond)
}

// RunOnce claims the deliveries due now (up to BatchSize), attempts them
// concurrently and records each outcome. It returns how many it attempted,
// and the errors of recording them; a failed attempt is an outcome, not an
// error.
func (d *WebhookDispatcher) RunOnce(ctx context.Context) (int, error) {
	batch, workers := d.BatchSize, d.Concurrency
	if batch <= 0 {
		batch = DefaultWebhookBatch
	}
	if workers <= 0 {
		workers = DefaultWebhookConcurrency
	}
	jitter := d.Jitter
	if jitter == nil {
		jitter = WebhookJitter
	}
	now := d.now()
	claims, err := d.Repo.ClaimDeliveries(ctx, now, now.Add(webhookLease), batch)
	if err != nil || len(claims) == 0 {
		return 0, err
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, workers)
	)
	for _, c := range claims {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			status, sendErr := d.Sender.Send(ctx, c.Webhook, c.Delivery, d.now())
			if ctx.Err() != nil {
				return // stopping: the lease runs out and the delivery is tried again
			}
			next := c.Delivery.afterAttempt(d.now(), status, sendErr, jitter(WebhookRetryDelay(c.Delivery.Attempts)))
			// A conflict means an admin acted on the delivery meanwhile; theirs wins.
			if err := d.Repo.UpdateDelivery(ctx, next, c.Delivery); err != nil && !errors.Is(err, core.ErrConflict) {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return len(claims), errors.Join(errs...)
}

// Run dispatches until ctx ends: at once again while there is a backlog,
// otherwise every interval. Errors are logged and tried again at the next
// round; deliveries wait in the database meanwhile.
func (d *WebhookDispatcher) Run(ctx context.Context, interval time.Duration) {
	logger := d.Logger
	if logger == nil {
		logger = log.NewNopLogger()
	}
	batch := d.BatchSize
	if batch <= 0 {
		batch = DefaultWebhookBatch
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			_ = logger.Log("level", "warn", "msg", "dispatch webhooks", "err", err)
		}
		if n >= batch && err == nil && ctx.Err() == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
