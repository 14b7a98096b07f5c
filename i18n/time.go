package i18n

import (
	"strconv"
	"time"
)

// When writes a time for people, in UTC, as the language writes dates:
// "2 Jan 2026, 15:04 UTC". A page's script rewrites it in the reader's
// own time zone.
func (l *Localizer) When(t time.Time) string { return l.when(t, time.UTC, "15:04") }

// WhenIn writes a time as When does, but as the clocks of zone read it,
// the zone named by its IANA name: "2 Jan 2026, 16:04 Europe/Berlin". A
// nil zone is UTC. Mails, which no script rewrites, write times so.
func (l *Localizer) WhenIn(t time.Time, zone *time.Location) string {
	if zone == nil {
		zone = time.UTC
	}
	return l.when(t, zone, "15:04")
}

// WhenSeconds writes a time as When does, to the second.
func (l *Localizer) WhenSeconds(t time.Time) string { return l.when(t, time.UTC, "15:04:05") }

// when writes t as zone's clocks read it, its time of day in layout.
func (l *Localizer) when(t time.Time, zone *time.Location, layout string) string {
	t = t.In(zone)
	return l.T("time.when", "Day", t.Day(), "Month", l.T("time.month."+strconv.Itoa(int(t.Month()))),
		"Year", t.Year(), "Clock", t.Format(layout), "Zone", zone.String())
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

// Wait writes how long to wait, in words, rounded up to the second: "45
// seconds", "1 minute", "1 minute 30 seconds"; from an hour on, rounded
// up to the minute: "2 hours 5 minutes". A page script that counts a wait
// down says it as Wait does, from the same messages (see ScriptFile).
func (l *Localizer) Wait(d time.Duration) string {
	secs := max(0, int((d+time.Second-1)/time.Second))
	switch {
	case secs < 60:
		return l.N("time.wait.seconds", secs)
	case secs < 60*60:
		return l.waitPair(l.N("time.wait.minutes", secs/60), "time.wait.seconds", secs%60)
	}
	mins := (secs + 59) / 60
	return l.waitPair(l.N("time.wait.hours", mins/60), "time.wait.minutes", mins%60)
}

// waitPair is a wait of larger units, and n of the smaller unit that
// message id counts, when there are any.
func (l *Localizer) waitPair(larger, id string, n int) string {
	if n == 0 {
		return larger
	}
	return l.T("time.wait.pair", "Larger", larger, "Smaller", l.N(id, n))
}
