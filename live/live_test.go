package live

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"
)

func TestLocalDeliversOnlyToTheOwner(t *testing.T) {
	var l Local
	ctx := context.Background()
	ann, cancelAnn := l.Subscribe(1)
	defer cancelAnn()
	ann2, cancelAnn2 := l.Subscribe(1)
	defer cancelAnn2()
	bob, cancelBob := l.Subscribe(2)
	defer cancelBob()

	if err := l.Publish(ctx, Event{Owner: 1, Link: 7, What: Used}); err != nil {
		t.Fatal(err)
	}
	for i, ch := range []<-chan Event{ann, ann2} {
		if got, want := <-ch, (Event{Owner: 1, Link: 7, What: Used, ID: 1}); got != want {
			t.Errorf("subscriber %d got %+v, want %+v", i, got, want)
		}
	}
	l.Publish(ctx, Event{Owner: 1, Link: 7, What: Viewed})
	if e := <-ann; e.ID != 2 {
		t.Errorf("second event has ID %d, want 2", e.ID)
	}
	<-ann2
	select {
	case e := <-bob:
		t.Errorf("another owner got %+v", e)
	default:
	}
}

func TestLocalLastIsPerOwner(t *testing.T) {
	var l Local
	ctx := context.Background()
	if got := l.Last(1); got != 0 {
		t.Errorf("Last before any event = %d", got)
	}
	l.Publish(ctx, Event{Owner: 1, What: Used})
	l.Publish(ctx, Event{Owner: 2, What: Used})
	l.Publish(ctx, Event{Owner: 1, What: Viewed})
	if got1, got2, got3 := l.Last(1), l.Last(2), l.Last(3); got1 != 3 || got2 != 2 || got3 != 0 {
		t.Errorf("Last = %d, %d, %d; want 3, 2, 0", got1, got2, got3)
	}
}

func TestLocalDropsASlowSubscriberWithoutBlocking(t *testing.T) {
	var l Local
	ctx := context.Background()
	slow, cancelSlow := l.Subscribe(1)
	defer cancelSlow()
	fast, cancelFast := l.Subscribe(1)
	defer cancelFast()

	for i := range Buffer + 1 {
		if err := l.Publish(ctx, Event{Owner: 1, Link: int64(i), What: Viewed}); err != nil {
			t.Fatal(err)
		}
		if e := <-fast; e.Link != int64(i) {
			t.Fatalf("fast subscriber got link %d, want %d", e.Link, i)
		}
	}
	n := 0
	for range slow {
		n++
	}
	if n != Buffer {
		t.Errorf("slow subscriber got %d events before its channel closed, want %d", n, Buffer)
	}
	l.Publish(ctx, Event{Owner: 1, Link: 99, What: Viewed})
	if e := <-fast; e.Link != 99 {
		t.Errorf("fast subscriber after the drop got %+v", e)
	}
	if got := len(l.subs[1]); got != 1 {
		t.Errorf("%d subscriptions left, want 1", got)
	}
}

func TestLocalCancel(t *testing.T) {
	var l Local
	ch, cancel := l.Subscribe(1)
	cancel()
	if _, open := <-ch; open {
		t.Error("channel still open after cancel")
	}
	cancel() // a second cancel is harmless
	if err := l.Publish(context.Background(), Event{Owner: 1, What: Revoked}); err != nil {
		t.Fatal(err)
	}
	if len(l.subs) != 0 {
		t.Errorf("subscriptions left after cancel: %v", l.subs)
	}
}

// TestLocalConcurrent runs publishers, subscribers and cancels at once, for
// the race detector.
func TestLocalConcurrent(t *testing.T) {
	var l Local
	var wg sync.WaitGroup
	for owner := range int64(4) {
		wg.Go(func() {
			for range 50 {
				ch, cancel := l.Subscribe(owner)
				l.Publish(context.Background(), Event{Owner: owner, What: Viewed})
				<-ch
				cancel()
			}
		})
		wg.Go(func() {
			for range 200 {
				l.Publish(context.Background(), Event{Owner: owner, What: Used})
			}
		})
	}
	wg.Wait()
}

// TestWireEvents: an event crosses to the other instances whole, a
// created link's expiry to the millisecond, and one from an instance that
// does not send expiries arrives without one.
func TestWireEvents(t *testing.T) {
	expires := time.UnixMilli(1_767_225_600_123)
	for _, e := range []Event{
		{Owner: 7, Link: 3, What: Created, Expires: expires},
		{Owner: 7, Request: 2, What: RequestChanged},
		{Owner: 7, What: SessionsChanged},
	} {
		payload, err := json.Marshal(toWire(e))
		if err != nil {
			t.Fatal(err)
		}
		var w wireEvent
		if err := json.Unmarshal(payload, &w); err != nil {
			t.Fatal(err)
		}
		if got := w.event(); got != e {
			t.Errorf("%+v arrived as %+v, through %s", e, got, payload)
		}
	}
	var w wireEvent
	if err := json.Unmarshal([]byte(`{"o":7,"l":3,"w":"created"}`), &w); err != nil || !w.event().Expires.IsZero() {
		t.Errorf("an event without an expiry: %+v, %v", w.event(), err)
	}
}
