package core

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkLimiterAllow measures a limiter's allow, the path every limited
// request takes: "known" for clients that already have a bucket, "flood"
// for a new key on every request once the table is full, as an attacker
// with many addresses sends them.
func BenchmarkLimiterAllow(b *testing.B) {
	keys := make([]string, 5*maxKeys)
	for i := range keys {
		keys[i] = "198.51." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256)
	}
	b.Run("known", func(b *testing.B) {
		l := newLimiter("bench", DefaultRates.SignIn, false, nil)
		now := time.Now()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			now = now.Add(time.Millisecond)
			l.allow(b.Context(), keys[i%1000], now)
		}
	})
	b.Run("flood", func(b *testing.B) {
		l := newLimiter("bench", DefaultRates.SignIn, false, nil)
		now := time.Now()
		for _, k := range keys[:maxKeys] {
			l.allow(b.Context(), k, now)
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			now = now.Add(100 * time.Microsecond)
			l.allow(b.Context(), keys[maxKeys+i%(len(keys)-maxKeys)], now)
		}
	})
}
