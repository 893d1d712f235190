package adminui

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// chartRE finds each chart's class and its markup.
var (
	chartRE = regexp.MustCompile(`(?s)<svg class="chart-svg (bar-[a-z]+)"(.*?)</svg>`)
	barRE   = regexp.MustCompile(`<rect class="bar" x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"/><text class="chart-count" x="\d+" y="-?\d+">(\d+)</text><text class="chart-day" x="\d+" y="\d+">(\d+)</text>`)
)

// TestOverviewActivityCharts checks that the overview draws one chart per
// series from the Admin's counts: bar heights proportional to the counts
// (the largest is chartPlot), day labels, and the hidden table.
func TestOverviewActivityCharts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	resp := h.do(http.MethodGet, "/", []*http.Cookie{h.session(nil)}, nil)
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: status %d: %s", resp.StatusCode, body)
	}
	if got := h.admin.activityDays; len(got) != 1 || got[0] != authenticator.DefaultActivityDays {
		t.Errorf("ActivityByDay calls: got %v, want [%d]", got, authenticator.DefaultActivityDays)
	}
	type bar struct{ height, count int }
	want := map[string][]bar{
		// Heights are count/max of chartPlot (100), rounded.
		"bar-signins":    {{100, 40}, {25, 10}, {50, 20}},
		"bar-stepups":    {{50, 3}, {100, 6}, {0, 0}},
		"bar-failures":   {{50, 1}, {0, 0}, {100, 2}},
		"bar-recoveries": {{0, 0}, {0, 0}, {100, 1}},
	}
	charts := chartRE.FindAllStringSubmatch(body, -1)
	if len(charts) != len(want) {
		t.Fatalf("got %d charts, want %d:\n%s", len(charts), len(want), body)
	}
	for _, c := range charts {
		class, markup := c[1], c[2]
		bars := barRE.FindAllStringSubmatch(markup, -1)
		wantBars := want[class]
		if len(bars) != len(wantBars) {
			t.Errorf("%s: got %d bars, want %d:\n%s", class, len(bars), len(wantBars), markup)
			continue
		}
		for i, b := range bars {
			y, _ := strconv.Atoi(b[2])
			height, _ := strconv.Atoi(b[4])
			count, _ := strconv.Atoi(b[5])
			if height != wantBars[i].height || count != wantBars[i].count {
				t.Errorf("%s bar %d: height %d count %d, want height %d count %d", class, i, height, count, wantBars[i].height, wantBars[i].count)
			}
			if y+height != chartTop+chartPlot {
				t.Errorf("%s bar %d: y %d + height %d is not on the baseline %d", class, i, y, height, chartTop+chartPlot)
			}
			if wantDay := strconv.Itoa(23 + i); b[6] != wantDay {
				t.Errorf("%s bar %d: day label %q, want %q", class, i, b[6], wantDay)
			}
		}
		if !strings.Contains(markup, `aria-hidden="true"`) {
			t.Errorf("%s: the chart is not hidden from screen readers, which read the table", class)
		}
	}
	for _, title := range []string{"Sign-ins", "Step-ups", "Failures", "Recoveries"} {
		if !strings.Contains(body, "<figcaption>"+title+" ") {
			t.Errorf("overview lacks the %s chart's caption", title)
		}
	}
	for _, row := range []string{
		`<tr><th scope="row">2026-11-23</th><td>40</td><td>3</td><td>1</td><td>0</td></tr>`,
		`<tr><th scope="row">2026-11-24</th><td>10</td><td>6</td><td>0</td><td>0</td></tr>`,
		`<tr><th scope="row">2026-11-25</th><td>20</td><td>0</td><td>2</td><td>1</td></tr>`,
	} {
		if !strings.Contains(body, row) {
			t.Errorf("the activity table lacks %s", row)
		}
	}
	if !strings.Contains(body, `<table class="visually-hidden">`) {
		t.Error("the activity table is not visually hidden")
	}
	for _, banned := range []string{"<script", " style=", "Charts: next"} {
		if strings.Contains(body, banned) {
			t.Errorf("overview contains %q", banned)
		}
	}
}

// TestOverviewActivityError checks that an Admin error is reported in the
// activity panel while the rest of the overview still renders.
func TestOverviewActivityError(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.admin.activityErr = fmt.Errorf("rpc: %w", errors.New("connection refused to 10.0.0.7"))
	resp := h.do(http.MethodGet, "/", []*http.Cookie{h.session(nil)}, nil)
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: status %d, want 200: %s", resp.StatusCode, body)
	}
	for _, want := range []string{`<p class="error">Daily activity could not be loaded: `, "Users by status", "<th>3</th>", "badge-enrolled"} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %q:\n%s", want, body)
		}
	}
	for _, banned := range []string{"10.0.0.7", "<svg", "visually-hidden"} {
		if strings.Contains(body, banned) {
			t.Errorf("overview contains %q", banned)
		}
	}
}

// TestNewActivityView checks the layout of an empty window and of a series
// of zeros: no division by zero, no bar above the baseline.
func TestNewActivityView(t *testing.T) {
	t.Parallel()
	v := newActivityView(authenticator.Activity{})
	if len(v.Charts) != len(activitySeries) || len(v.Charts[0].Bars) != 0 || v.Charts[0].Width != chartSlot {
		t.Errorf("empty activity: %+v", v.Charts)
	}
	v = newActivityView(authenticator.Activity{Days: make([]authenticator.ActivityDay, 2)})
	for _, c := range v.Charts {
		for _, b := range c.Bars {
			if b.H != 0 || b.Y != chartTop+chartPlot {
				t.Errorf("%s: zero bar %+v", c.Title, b)
			}
		}
	}
}
