package availability

import (
	"fmt"
	"slices"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/se"

	"github.com/tidbok/tidbok/core"
)

// Holiday names a Swedish public holiday, or one of the eves that most of
// Sweden takes off (midsommarafton, julafton, nyårsafton). The names are
// stable: agencies store them in their HolidayPolicy.
type Holiday string

// The Swedish holidays the engine knows.
const (
	Nyarsdagen           Holiday = "nyarsdagen"
	TrettondedagJul      Holiday = "trettondedag_jul"
	Langfredagen         Holiday = "langfredagen"
	Paskdagen            Holiday = "paskdagen"
	AnnandagPask         Holiday = "annandag_pask"
	ForstaMaj            Holiday = "forsta_maj"
	KristiHimmelfardsdag Holiday = "kristi_himmelfardsdag"
	Pingstdagen          Holiday = "pingstdagen"
	Nationaldagen        Holiday = "nationaldagen"
	Midsommarafton       Holiday = "midsommarafton"
	Midsommardagen       Holiday = "midsommardagen"
	AllaHelgonsDag       Holiday = "alla_helgons_dag"
	Julafton             Holiday = "julafton"
	Juldagen             Holiday = "juldagen"
	AnnandagJul          Holiday = "annandag_jul"
	Nyarsafton           Holiday = "nyarsafton"
)

// swedishHolidays pairs our names with rickar/cal's rules. se.Holidays leaves
// out the Sunday holidays (påskdagen, pingstdagen); they are added because a
// health centre may have Sunday hours.
var swedishHolidays = []struct {
	name Holiday
	rule *cal.Holiday
}{
	{Nyarsdagen, se.Nyarsdagen},
	{TrettondedagJul, se.TrettondedagJul},
	{Langfredagen, se.Langfredagen},
	{Paskdagen, se.Paskdagen},
	{AnnandagPask, se.AnnandagPask},
	{ForstaMaj, se.ForstaMaj},
	{KristiHimmelfardsdag, se.KristiHimmelfardsdag},
	{Pingstdagen, se.Pingstdagen},
	{Nationaldagen, se.Nationaldagen},
	{Midsommarafton, se.Midsommarafton},
	{Midsommardagen, se.Midsommardagen},
	{AllaHelgonsDag, se.AllaHelgonsDag},
	{Julafton, se.Julafton},
	{Juldagen, se.Juldagen},
	{AnnandagJul, se.AnnandagJul},
	{Nyarsafton, se.Nyarsafton},
}

// AllHolidays lists every Holiday in calendar order.
var AllHolidays = func() []Holiday {
	out := make([]Holiday, len(swedishHolidays))
	for i, h := range swedishHolidays {
		out[i] = h.name
	}
	return out
}()

// Valid reports whether h is a known holiday.
func (h Holiday) Valid() bool { return slices.Contains(AllHolidays, h) }

// HolidayDate is one holiday in one year.
type HolidayDate struct {
	Holiday Holiday
	Name    string // the Swedish name, e.g. "Midsommarafton"
	Date    Date
}

// SwedishHolidays returns the holidays of year, sorted by date.
func SwedishHolidays(year int) []HolidayDate {
	out := make([]HolidayDate, 0, len(swedishHolidays))
	for _, h := range swedishHolidays {
		actual, _ := h.rule.Calc(year)
		if actual.IsZero() {
			continue
		}
		// cal computes in its own default zone; only the date matters.
		out = append(out, HolidayDate{Holiday: h.name, Name: h.rule.Name, Date: DateOf(actual)})
	}
	slices.SortStableFunc(out, func(a, b HolidayDate) int { return a.Date.Compare(b.Date) })
	return out
}

// HolidayPolicy is an agency's setting for holidays: every holiday is closed
// unless it is listed in Open, as a health centre might open on some.
type HolidayPolicy struct {
	Open []Holiday
}

// Validate checks that every opened holiday is known.
func (p HolidayPolicy) Validate() error {
	var v core.Validator
	for i, h := range p.Open {
		v.Check(h.Valid(), fmt.Sprintf("open_holidays[%d]", i), fmt.Sprintf("%q is not a holiday Tidbok knows", h))
	}
	return v.Err()
}

// ClosedDates returns the dates from first to last that the policy keeps
// closed, sorted.
func (p HolidayPolicy) ClosedDates(first, last Date) []Date {
	var out []Date
	for y := first.Year; y <= last.Year; y++ {
		for _, h := range SwedishHolidays(y) {
			if !h.Date.Before(first) && !h.Date.After(last) && !slices.Contains(p.Open, h.Holiday) {
				out = append(out, h.Date)
			}
		}
	}
	return out
}
