package testkit

import (
	"fmt"
	"time"
)

// WithLuhn completes 11 digits (YYYYMMDDNNN) to a personal identity number
// with its check digit, computed over the last nine as Skatteverket does.
func WithLuhn(eleven string) string {
	sum := 0
	for i, c := range eleven[2:] {
		d := int(c-'0') * (2 - i%2)
		sum += d/10 + d%10
	}
	return eleven + fmt.Sprint((10-sum%10)%10)
}

// PersonalNumber returns the i-th of a series of valid personal identity
// numbers (twelve digits, Luhn check digit), one birth date per i.
func PersonalNumber(i int) string {
	// Birth dates from 1940 over 80 years; 37 has no factor in common with
	// the 29 200 days, so every i below that gets its own date.
	birth := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 37*i%29200)
	return WithLuhn(birth.Format("20060102") + fmt.Sprintf("%03d", 100+i%900))
}
