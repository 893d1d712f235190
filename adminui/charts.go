package adminui

import (
	"context"
	"log/slog"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// The overview's daily activity charts are server-rendered SVG: markup, not
// script, so the CSP (no script-src at all) allows them, and they are
// styled through admin.css classes only (style-src 'self' forbids inline
// styles). Each chart is aria-hidden; a visually hidden table carries the
// same numbers for screen readers.

// Chart geometry in SVG user units: one slot per day, the bar centred in it,
// a line for the count above the bar and one for the day label below.
const (
	chartSlot   = 28
	chartBar    = 20
	chartPlot   = 100 // the height of the tallest bar
	chartTop    = 14  // room for the count above the tallest bar
	chartBottom = 16  // room for the day label
	chartHeight = chartTop + chartPlot + chartBottom
)

// activityView is the overview's activity panel: one chart per series and
// the rows of the accessible table.
type activityView struct {
	Charts []chartView
	Rows   []authenticator.ActivityDay
}

// chartView is one series drawn as bars.
type chartView struct {
	Title  string
	Class  string // a CSS class that colours the bars
	Max    int
	Width  int
	Height int
	Base   int // y of the baseline
	Bars   []barView
}

// barView is one day's bar: its rectangle, the count above it and the day
// label below.
type barView struct {
	X, Y, W, H int
	TextX      int // centre of the slot
	CountY     int
	LabelY     int
	Count      int
	Label      string // day of the month
	Date       string // the full date, for the tooltip
}

// activitySeries names each series and picks its count out of a day.
var activitySeries = []struct {
	title, class string
	count        func(authenticator.ActivityDay) int
}{
	{"Sign-ins", "bar-signins", func(d authenticator.ActivityDay) int { return d.SignIns }},
	{"Step-ups", "bar-stepups", func(d authenticator.ActivityDay) int { return d.StepUps }},
	{"Failures", "bar-failures", func(d authenticator.ActivityDay) int { return d.Failures }},
	{"Recoveries", "bar-recoveries", func(d authenticator.ActivityDay) int { return d.Recoveries }},
}

// newActivityView lays the charts out. A bar's height is its count's share
// of the series' largest count times chartPlot, rounded to the nearest
// unit; a series of zeros draws no bars above the baseline.
func newActivityView(a authenticator.Activity) *activityView {
	v := &activityView{Rows: a.Days}
	for _, s := range activitySeries {
		c := chartView{Title: s.title, Class: s.class, Width: max(len(a.Days), 1) * chartSlot, Height: chartHeight, Base: chartTop + chartPlot}
		for _, d := range a.Days {
			c.Max = max(c.Max, s.count(d))
		}
		for i, d := range a.Days {
			n := s.count(d)
			h := 0
			if c.Max > 0 {
				h = (n*chartPlot + c.Max/2) / c.Max
			}
			x := i*chartSlot + (chartSlot-chartBar)/2
			c.Bars = append(c.Bars, barView{
				X: x, Y: c.Base - h, W: chartBar, H: h,
				TextX: i*chartSlot + chartSlot/2, CountY: c.Base - h - 3, LabelY: chartHeight - 3, Count: n,
				Label: d.Day.UTC().Format("2"), Date: d.Day.UTC().Format("Mon 2 Jan 2006"),
			})
		}
		v.Charts = append(v.Charts, c)
	}
	return v
}

// activity reads the overview's activity panel. An error is logged and
// reported in the panel, so that the rest of the overview still renders.
func (s *Server) activity(ctx context.Context) (*activityView, string) {
	a, err := s.admin.ActivityByDay(ctx, authenticator.DefaultActivityDays)
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "overview activity", slog.String("error", err.Error()))
		return nil, "Daily activity could not be loaded: " + authenticator.PublicMessage(err)
	}
	return newActivityView(a), ""
}

// activityDate formats a day of the accessible table.
func activityDate(t time.Time) string { return t.UTC().Format("2006-01-02") }
