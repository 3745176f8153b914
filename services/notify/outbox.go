package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tidbok/tidbok/core"
)

// Channels a stored message goes out on.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Stored message statuses.
const (
	StatusPending = "pending"
	StatusSent    = "sent"
	StatusDead    = "dead"
)

// StoredMessage is a message as kept before, during and after sending. The
// body is the Message (e-mail) or SMSBody as JSON; MessageID is fixed when
// stored, so every retry carries the same one.
type StoredMessage struct {
	ID            string
	DedupeKey     string // what makes the message unique: event, recipient, kind
	Channel       string
	Recipient     string
	MessageID     string
	Subject       string
	Body          []byte
	AgencyID      string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	SentAt        *time.Time
}

// SMSBody is the stored form of a text message.
type SMSBody struct {
	To   string `json:"to"`
	Text string `json:"text"`
}

// OutboxRepository keeps stored messages.
type OutboxRepository interface {
	// Enqueue stores messages; one whose DedupeKey exists is skipped, so an
	// event handled twice sends nothing twice.
	Enqueue(ctx context.Context, msgs []StoredMessage) error
	// ClaimDue returns up to limit pending messages due at now and moves their
	// next attempt to now+lease, so no other sender takes them meanwhile.
	ClaimDue(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]StoredMessage, error)
	MarkSent(ctx context.Context, id string, at time.Time) error
	MarkFailed(ctx context.Context, id string, attempts int, next time.Time, lastError string, dead bool) error
	ListMessages(ctx context.Context, status, agencyID string, limit int) ([]StoredMessage, error)
	Message(ctx context.Context, id string) (StoredMessage, error)
	// MessageByKey returns the message stored under a dedupe key, or
	// core.ErrNotFound.
	MessageByKey(ctx context.Context, dedupeKey string) (StoredMessage, error)
	// Retry makes a dead message pending again, due at now.
	Retry(ctx context.Context, id string, now time.Time) error
}

// retryDelays is the backoff between attempts; after the last one a message
// is a dead letter an admin can retry. About 16 hours in all.
var retryDelays = []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour}

// Sender sends stored messages through the mailer and the SMS gateway.
type Sender struct {
	Repo   OutboxRepository
	Mailer Mailer
	SMS    SMSSender
	Clock  core.Clock
	// Lease is how long a claimed message is left to one sender (2 minutes
	// when zero). A sender starts no message of a batch after half of it.
	Lease time.Duration
}

// SendDue sends every message that is due, up to a batch, and reports how
// many it sent. A message that fails is retried later; one the server
// refuses for good, or that runs out of attempts, becomes a dead letter.
func (s Sender) SendDue(ctx context.Context, batch int) (int, error) {
	clock := s.Clock
	if clock == nil {
		clock = core.SystemClock{}
	}
	lease := s.Lease
	if lease == 0 {
		lease = 2 * time.Minute
	}
	claimed := clock.Now()
	msgs, err := s.Repo.ClaimDue(ctx, claimed, batch, lease)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, m := range msgs {
		if ctx.Err() != nil {
			return sent, ctx.Err()
		}
		if clock.Now().After(claimed.Add(lease / 2)) {
			// A slow relay has used up half the lease: stop taking messages
			// from this batch. Another sender may claim them once the lease
			// runs out, and must not find this one still sending them.
			break
		}
		err := s.send(ctx, m)
		now := clock.Now()
		if err == nil {
			if err := s.Repo.MarkSent(ctx, m.ID, now); err != nil {
				return sent, err
			}
			sent++
			continue
		}
		attempts := m.Attempts + 1
		dead := errors.Is(err, ErrPermanent) || attempts > len(retryDelays)
		next := now
		if !dead {
			d := retryDelays[attempts-1]
			next = now.Add(d + time.Duration(rand.Int64N(int64(d/5)+1))) // jitter spreads a burst of retries
		}
		if err := s.Repo.MarkFailed(ctx, m.ID, attempts, next, trimError(err), dead); err != nil {
			return sent, err
		}
	}
	return sent, nil
}

func (s Sender) send(ctx context.Context, m StoredMessage) error {
	switch m.Channel {
	case ChannelEmail:
		var msg Message
		if err := json.Unmarshal(m.Body, &msg); err != nil {
			return fmt.Errorf("stored message %s: %w", m.ID, ErrPermanent)
		}
		msg.MessageID = m.MessageID
		return s.Mailer.Send(ctx, msg)
	case ChannelSMS:
		var b SMSBody
		if err := json.Unmarshal(m.Body, &b); err != nil {
			return fmt.Errorf("stored sms %s: %w", m.ID, ErrPermanent)
		}
		if s.SMS == nil {
			return fmt.Errorf("no SMS gateway configured: %w", ErrPermanent)
		}
		return s.SMS.SendSMS(ctx, b.To, b.Text)
	}
	return fmt.Errorf("channel %q: %w", m.Channel, ErrPermanent)
}

func trimError(err error) string {
	s := err.Error()
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}

// Run sends due messages every interval until ctx ends.
func (s Sender) Run(ctx context.Context, interval time.Duration, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			n, err := s.SendDue(ctx, 50)
			if err != nil && ctx.Err() == nil && onError != nil {
				onError(err)
			}
			if n < 50 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
