package authenticator

import (
	"context"
	"fmt"
	"time"
)

// Activity window bounds for ActivityByDay.
const (
	DefaultActivityDays = 14
	MaxActivityDays     = 90
)

// ActivityDay is one UTC day's counts for the dashboard overview.
type ActivityDay struct {
	Day        time.Time // UTC midnight
	SignIns    int       // EventAuthenticationSuccess
	StepUps    int       // EventStepUpPassed
	Failures   int       // EventStepUpFailed, EventRecoveryFailed and EventIDVCheckFailed
	Recoveries int       // EventRecoveryCompleted
}

// Activity is the daily activity of the last few days, oldest day first,
// one entry per day (days without events have zero counts); the last is
// today (UTC).
type Activity struct {
	Days []ActivityDay
}

// activityTypes are the event types ActivityByDay counts.
var activityTypes = []EventType{
	EventAuthenticationSuccess, EventStepUpPassed,
	EventStepUpFailed, EventRecoveryFailed, EventIDVCheckFailed,
	EventRecoveryCompleted,
}

// ActivityByDay counts sign-ins, step-ups, failures and recoveries per UTC
// day over the last days days including today: 1..MaxActivityDays, 0
// meaning DefaultActivityDays.
func (s *Service) ActivityByDay(ctx context.Context, days int) (Activity, error) {
	if days == 0 {
		days = DefaultActivityDays
	}
	if days < 1 || days > MaxActivityDays {
		return Activity{}, UserError(CodeInvalidArgument, fmt.Sprintf("days must be between 1 and %d", MaxActivityDays), nil)
	}
	now := s.now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	since, until := today.AddDate(0, 0, 1-days), today.AddDate(0, 0, 1)
	counts, err := s.store.CountEventsByDay(ctx, activityTypes, since, until)
	if err != nil {
		return Activity{}, fmt.Errorf("count events by day: %w", err)
	}
	out := Activity{Days: make([]ActivityDay, days)}
	index := make(map[time.Time]int, days)
	for i := range out.Days {
		d := since.AddDate(0, 0, i)
		out.Days[i].Day = d
		index[d] = i
	}
	for _, c := range counts {
		i, ok := index[c.Day.UTC()]
		if !ok {
			continue
		}
		d := &out.Days[i]
		switch c.Type {
		case EventAuthenticationSuccess:
			d.SignIns += c.Count
		case EventStepUpPassed:
			d.StepUps += c.Count
		case EventStepUpFailed, EventRecoveryFailed, EventIDVCheckFailed:
			d.Failures += c.Count
		case EventRecoveryCompleted:
			d.Recoveries += c.Count
		}
	}
	return out, nil
}
