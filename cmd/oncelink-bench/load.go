package main

import (
	"cmp"
	"context"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	requestTimeout = 10 * time.Second
	maxPerClient   = 10_000_000 // bounds every client loop in count as well as in time
)

// target is one scenario: which request client number i sends next and
// which status counts as success. A nil request means there is nothing
// left to send.
type target struct {
	name    string
	want    int
	request func(ctx context.Context, i int) (*http.Request, error)
}

// result is what one scenario measured at one concurrency level.
type result struct {
	name      string
	clients   int
	ok        int            // responses with the wanted status
	errors    map[string]int // everything else, by status or "transport"
	firstErr  string
	exhausted bool // a client ran out of requests before time was up
	elapsed   time.Duration
	latencies []time.Duration // of successful requests, sorted
	cpu       time.Duration   // CPU time the serving processes spent meanwhile
	loadCPU   time.Duration   // and the load generator's
	cpuKnown  bool            // whether both could be read before and after
}

func (r result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ok) / r.elapsed.Seconds()
}

func (r result) p(q float64) time.Duration { return percentile(r.latencies, q) }

// percentile returns the nearest-rank q-th percentile (0 < q <= 100) of
// sorted durations, or 0 for none.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// newClient returns an HTTP client that keeps one connection alive and
// never follows redirects, so callers see the 303s themselves.
func newClient(jar http.CookieJar) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			MaxIdleConnsPerHost: 1,
			DisableCompression:  true,
			IdleConnTimeout:     time.Minute,
		},
		Jar:     jar,
		Timeout: requestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// perRequest is d per successful request.
func (r result) perRequest(d time.Duration) time.Duration {
	if r.ok == 0 {
		return 0
	}
	return d / time.Duration(r.ok)
}

// measureCPU runs measure and counts the CPU time the servers spend
// meanwhile, and the load generator's own (this process). Unlike
// throughput, these hardly depend on what else the machine runs.
func measureCPU(ctx context.Context, servers []*process, t target, clients int, d time.Duration) result {
	cpu := func() (server, self time.Duration, err error) {
		for _, p := range servers {
			d, perr := p.cpuTime()
			server, err = server+d, cmp.Or(err, perr)
		}
		self, serr := cpuTimeOf("/proc/self/stat")
		return server, self, cmp.Or(err, serr)
	}
	server0, self0, err0 := cpu()
	r := measure(ctx, t, clients, d)
	server1, self1, err1 := cpu()
	r.cpu, r.loadCPU = server1-server0, self1-self0
	r.cpuKnown = err0 == nil && err1 == nil
	return r
}

// measure runs t with the given number of concurrent clients for d.
func measure(ctx context.Context, t target, clients int, d time.Duration) result {
	type tally struct {
		ok        int
		errors    map[string]int
		firstErr  string
		exhausted bool
		lat       []time.Duration
	}
	tallies := make([]tally, clients)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			c := newClient(nil)
			defer c.CloseIdleConnections()
			tl := &tallies[i]
			tl.errors = map[string]int{}
			for n := 0; n < maxPerClient && ctx.Err() == nil && time.Now().Before(deadline); n++ {
				req, err := t.request(ctx, i)
				if err != nil {
					tl.errors["request"]++
					tl.firstErr = err.Error()
					break
				}
				if req == nil {
					tl.exhausted = true
					break
				}
				began := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						tl.errors["transport"]++
						if tl.firstErr == "" {
							tl.firstErr = err.Error()
						}
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				took := time.Since(began)
				if resp.StatusCode != t.want {
					tl.errors[strconv.Itoa(resp.StatusCode)]++
					continue
				}
				tl.ok++
				tl.lat = append(tl.lat, took)
			}
		})
	}
	wg.Wait()
	r := result{name: t.name, clients: clients, elapsed: time.Since(start), errors: map[string]int{}}
	for _, tl := range tallies {
		r.ok += tl.ok
		r.latencies = append(r.latencies, tl.lat...)
		for k, v := range tl.errors {
			r.errors[k] += v
		}
		r.exhausted = r.exhausted || tl.exhausted
		if r.firstErr == "" {
			r.firstErr = tl.firstErr
		}
	}
	slices.Sort(r.latencies)
	return r
}

// getHello loads the bare handler.
func getHello(base string) target {
	return target{name: "bare", want: http.StatusOK, request: func(ctx context.Context, _ int) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
	}}
}

// createLinks has signed-in clients create single-use message links,
// client i on instance i mod len(bases). The load generator shares the
// machine with the server, so what does not change is made once: the body,
// and the session's Cookie header, which creating links never changes.
func createLinks(bases []string, owner http.CookieJar) target {
	body := createBody(1)
	var cookies []string
	if owner != nil {
		u, _ := url.Parse(bases[0]) // cookies are not told apart by port
		for _, c := range owner.Cookies(u) {
			cookies = append(cookies, c.String())
		}
	}
	cookie := strings.Join(cookies, "; ")
	return target{name: "create", want: http.StatusCreated, request: func(ctx context.Context, i int) (*http.Request, error) {
		req, err := formRequest(ctx, bases[i%len(bases)]+"/links", body)
		if err == nil && cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		return req, err
	}}
}

// apiCreateLinks has clients create, through the API with key, the links
// createLinks creates on the web.
func apiCreateLinks(bases []string, key string) target {
	body := apiCreateBody(1)
	return target{name: "api-create", want: http.StatusCreated, request: func(ctx context.Context, i int) (*http.Request, error) {
		return apiCreateRequest(ctx, bases[i%len(bases)], key, body)
	}}
}

// consumeLinks has anonymous clients consume the tokens on the web.
func consumeLinks(bases []string, tokens []string) target {
	return useLinks("consume", bases, tokens, consumeRequest)
}

// apiOpenLinks has anonymous clients open the tokens through the API.
func apiOpenLinks(bases []string, tokens []string) target {
	return useLinks("api-open", bases, tokens, apiOpenRequest)
}

// useLinks has clients use the tokens, maxUses times each and no more,
// spread over all tokens so no single row is hot.
func useLinks(name string, bases []string, tokens []string, use func(ctx context.Context, base, token string) (*http.Request, error)) target {
	var next atomic.Int64
	total := int64(len(tokens)) * maxUses
	return target{name: name, want: http.StatusOK, request: func(ctx context.Context, i int) (*http.Request, error) {
		n := next.Add(1) - 1
		if n >= total {
			return nil, nil
		}
		return use(ctx, bases[i%len(bases)], tokens[n%int64(len(tokens))])
	}}
}
