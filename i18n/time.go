package i18n

import (
	"strconv"
	"time"
)

// When writes a time for people, in UTC, as the language writes dates:
// "2 Jan 2026, 15:04 UTC". A page's script rewrites it in the reader's
// own time zone.
func (l *Localizer) When(t time.Time) string {
	t = t.UTC()
	return l.T("time.when", "Day", t.Day(), "Month", l.T("time.month."+strconv.Itoa(int(t.Month()))),
		"Year", t.Year(), "Clock", t.Format("15:04"))
}

// Left writes how long remains, coarsely: "2d 3h", "5m 10s"; "expired"
// once nothing does.
func (l *Localizer) Left(d time.Duration) string {
	d = d.Round(time.Second)
	if d <= 0 {
		return l.T("time.expired")
	}
	days, d := d/(24*time.Hour), d%(24*time.Hour)
	hours, d := d/time.Hour, d%time.Hour
	mins, secs := d/time.Minute, (d%time.Minute)/time.Second
	switch {
	case days > 0:
		return l.T("time.left.days", "Days", int(days), "Hours", int(hours))
	case hours > 0:
		return l.T("time.left.hours", "Hours", int(hours), "Minutes", int(mins))
	case mins > 0:
		return l.T("time.left.minutes", "Minutes", int(mins), "Seconds", int(secs))
	}
	return l.T("time.left.seconds", "Seconds", int(secs))
}
