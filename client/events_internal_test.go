package client

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// TestNextWait: a Retry-After is waited out up to maxRetryAfter, however
// far off its date, and the error then says the wait kept; without one,
// the wait doubles from the server's retry up to maxRetry.
func TestNextWait(t *testing.T) {
	week := 7 * 24 * time.Hour
	for _, tc := range []struct {
		err        error
		wait, want time.Duration
	}{
		{&APIError{Status: http.StatusServiceUnavailable, RetryAfter: week}, 0, maxRetryAfter},
		{&APIError{Status: http.StatusTooManyRequests, RetryAfter: 90 * time.Second}, 0, 90 * time.Second},
		{&APIError{Status: http.StatusBadGateway}, 0, defaultRetry},
		{errors.New("connection refused"), 4 * time.Second, 8 * time.Second},
		{errors.New("connection refused"), maxRetry, maxRetry},
	} {
		if got := nextWait(tc.err, tc.wait, defaultRetry); got != tc.want {
			t.Errorf("after %v, %v: wait %v, want %v", tc.wait, tc.err, got, tc.want)
		}
		var e *APIError
		if errors.As(tc.err, &e) && e.RetryAfter > maxRetryAfter {
			t.Errorf("%v: the error says a wait of %v, more than the %v kept", tc.err, e.RetryAfter, maxRetryAfter)
		}
	}
}
