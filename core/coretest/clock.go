// Package coretest holds what tests across Tidbok share: a clock that they
// set and advance instead of sleeping.
package coretest

import (
	"sync"
	"time"
)

// Clock is a core.Clock that stands still until a test moves it. It is
// safe for the server's goroutines and the test to use at once, and tells
// the time in UTC, as core.SystemClock does.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t.UTC()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Advance moves the clock by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t.UTC()
}
