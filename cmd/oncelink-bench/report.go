package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// memory holds peak resident set sizes in bytes.
type memory struct {
	bare    int64
	servers []int64 // one per oncelink instance
}

func (m memory) peak() int64 { return slices.Max(append([]int64{0}, m.servers...)) }

// printTable writes one row per scenario and level, each figure beside its
// ratio to the bare handler at the same level.
func printTable(w io.Writer, rows []result, mem memory) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "clients\tscenario\treq/s\t×bare\tp50\t×bare\tp99\t×bare\tCPU/req\tload CPU/req\tok\terrors\t")
	var notes []string
	for _, r := range rows {
		b := bareAt(rows, r.clients)
		fmt.Fprintf(tw, "%d\t%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t\n",
			r.clients, r.name,
			r.rate(), ratio(r.rate(), b.rate()),
			ms(r.p(50)), ratio(float64(r.p(50)), float64(b.p(50))),
			ms(r.p(99)), ratio(float64(r.p(99)), float64(b.p(99))),
			r.cpuPerRequest(r.cpu), r.cpuPerRequest(r.loadCPU), r.ok, errorSummary(r))
		if r.firstErr != "" {
			notes = append(notes, fmt.Sprintf("%s at %d clients, first transport error: %s", r.name, r.clients, r.firstErr))
		}
		if r.exhausted {
			notes = append(notes, fmt.Sprintf("%s at %d clients ran out of prepared links before time was up", r.name, r.clients))
		}
	}
	tw.Flush()
	for _, n := range notes {
		fmt.Fprintln(w, "note:", n)
	}
	var each []string
	for i, s := range mem.servers {
		each = append(each, fmt.Sprintf("#%d %s", i+1, mib(s)))
	}
	fmt.Fprintf(w, "peak RSS (VmHWM): oncelink %s (%s), bare handler %s, ×%.1f\n",
		mib(mem.peak()), strings.Join(each, ", "), mib(mem.bare), float64(mem.peak())/float64(max(mem.bare, 1)))
}

// floors reports whether the server meets the floors at floorClients
// clients, and a one-line summary saying why.
func floors(rows []result, mem memory) (bool, string) {
	at := map[string]result{}
	for _, r := range rows {
		if r.clients == floorClients {
			at[r.name] = r
		}
	}
	bare, measured := at["bare"]
	for _, f := range scenarioFloors {
		_, ok := at[f.scenario]
		measured = measured && ok
	}
	if !measured {
		return false, fmt.Sprintf("floors: FAIL, not measured (-clients must include %d)", floorClients)
	}
	type check struct {
		ok   bool
		text string
	}
	var checks []check
	for _, f := range scenarioFloors {
		r := at[f.scenario]
		ratio := r.rate() / bare.rate()
		checks = append(checks, check{ratio >= f.ratio, fmt.Sprintf("%s ×%.2f (≥%.2f)", f.scenario, ratio, f.ratio)})
		checks = append(checks, check{r.ok > 0 && r.p(99) <= f.p99, fmt.Sprintf("%s p99 %s (≤%s)", f.scenario, ms(r.p(99)), ms(f.p99))})
	}
	checks = append(checks, check{mem.peak() > 0 && mem.peak() <= floorRSS, fmt.Sprintf("peak RSS %s (≤%s)", mib(mem.peak()), mib(floorRSS))})
	all := true
	var parts []string
	for _, c := range checks {
		verdict := "ok"
		if !c.ok {
			verdict, all = "FAIL", false
		}
		parts = append(parts, c.text+" "+verdict)
	}
	verdict := "PASS"
	if !all {
		verdict = "FAIL"
	}
	return all, fmt.Sprintf("floors at %d clients: %s: %s", floorClients, strings.Join(parts, ", "), verdict)
}

func bareAt(rows []result, clients int) result {
	for _, r := range rows {
		if r.name == "bare" && r.clients == clients {
			return r
		}
	}
	return result{}
}

func ratio(x, bare float64) string {
	if bare == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", x/bare)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

// cpuPerRequest shows d per successful request, or n/a when a process's
// CPU time could not be read (a server that died during the run).
func (r result) cpuPerRequest(d time.Duration) string {
	if !r.cpuKnown {
		return "n/a"
	}
	return us(r.perRequest(d))
}

func us(d time.Duration) string { return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond)) }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// errorSummary lists the unwanted outcomes by status, such as "410:3 transport:1".
func errorSummary(r result) string {
	if len(r.errors) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(r.errors)) {
		parts = append(parts, fmt.Sprintf("%s:%d", k, r.errors[k]))
	}
	return strings.Join(parts, " ")
}
