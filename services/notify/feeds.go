package notify

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tidbok/tidbok/calendar"
	"github.com/tidbok/tidbok/core"
)

// FeedToken gives calendar apps read access to one person's meetings. The
// token itself is shown once and kept only as a hash.
type FeedToken struct {
	ID        string
	OwnerKind core.PrincipalKind // citizen or staff
	OwnerID   string
	CreatedAt time.Time
	RevokedAt *time.Time
}

// FeedRepository keeps feed tokens.
type FeedRepository interface {
	CreateFeedToken(ctx context.Context, t FeedToken, hash string) error
	FeedTokenByHash(ctx context.Context, hash string) (FeedToken, error)
	FeedTokens(ctx context.Context, kind core.PrincipalKind, ownerID string) ([]FeedToken, error)
	RevokeFeedToken(ctx context.Context, id string, kind core.PrincipalKind, ownerID string, at time.Time) error
}

// FeedSource lists the appointments a feed shows, as calendar events, for
// the owner. It is booking's side of a feed; cmd wires it.
type FeedSource interface {
	FeedEvents(ctx context.Context, owner core.Principal, from time.Time) (name string, events []calendar.Event, err error)
}

// Feeds serves subscribable calendars.
type Feeds struct {
	Repo   FeedRepository
	Source FeedSource
	Clock  core.Clock
	// Refresh is how often calendar apps should fetch the feed again.
	Refresh time.Duration
}

func (f Feeds) now() time.Time {
	if f.Clock == nil {
		return time.Now().UTC()
	}
	return f.Clock.Now()
}

func hashFeedToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes a new feed for the caller and returns the token once.
func (f Feeds) CreateToken(ctx context.Context) (FeedToken, string, error) {
	p, err := core.Caller(ctx)
	if err != nil {
		return FeedToken{}, "", err
	}
	if p.Kind != core.KindCitizen && p.Kind != core.KindStaff {
		return FeedToken{}, "", fmt.Errorf("feeds are for citizens and staff: %w", core.ErrForbidden)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return FeedToken{}, "", err
	}
	token := "tbf_" + base64.RawURLEncoding.EncodeToString(b)
	t := FeedToken{ID: core.NewID(), OwnerKind: p.Kind, OwnerID: p.Subject, CreatedAt: f.now()}
	if err := f.Repo.CreateFeedToken(ctx, t, hashFeedToken(token)); err != nil {
		return FeedToken{}, "", err
	}
	return t, token, nil
}

// ListTokens lists the caller's feeds.
func (f Feeds) ListTokens(ctx context.Context) ([]FeedToken, error) {
	p, err := core.Caller(ctx)
	if err != nil {
		return nil, err
	}
	return f.Repo.FeedTokens(ctx, p.Kind, p.Subject)
}

// RevokeToken stops one of the caller's feeds.
func (f Feeds) RevokeToken(ctx context.Context, id string) error {
	p, err := core.Caller(ctx)
	if err != nil {
		return err
	}
	if !core.ValidID(id) {
		return core.Invalid("id", "must be a UUID")
	}
	return f.Repo.RevokeFeedToken(ctx, id, p.Kind, p.Subject, f.now())
}

// Calendar returns the feed for token: METHOD:PUBLISH with the owner's
// meetings from 30 days back, the same UIDs as the invitations.
func (f Feeds) Calendar(ctx context.Context, token string) ([]byte, error) {
	notFound := fmt.Errorf("no such feed: %w", core.ErrNotFound)
	if !strings.HasPrefix(token, "tbf_") || len(token) > 100 {
		return nil, notFound
	}
	t, err := f.Repo.FeedTokenByHash(ctx, hashFeedToken(token))
	if errors.Is(err, core.ErrNotFound) || (err == nil && t.RevokedAt != nil) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	owner := core.Principal{Kind: t.OwnerKind, Subject: t.OwnerID}
	name, events, err := f.Source.FeedEvents(ctx, owner, f.now().AddDate(0, 0, -30))
	if err != nil {
		return nil, err
	}
	refresh := f.Refresh
	if refresh == 0 {
		refresh = time.Hour
	}
	return calendar.Publish(name, events, f.now(), refresh)
}
