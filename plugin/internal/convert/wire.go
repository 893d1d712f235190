package convert

import (
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// mapSlice applies f to each element; nil stays nil.
func mapSlice[S ~[]E, E, T any](s S, f func(E) T) []T {
	if s == nil {
		return nil
	}
	out := make([]T, len(s))
	for i, e := range s {
		out[i] = f(e)
	}
	return out
}

// convertSlice converts between slices of string-like types; nil stays nil.
func convertSlice[T, F ~string](s []F) []T {
	return mapSlice(s, func(v F) T { return T(v) })
}

func toTimestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func fromTimestamp(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

func fromDuration(d *durationpb.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return d.AsDuration()
}

// toOptional converts an optional value; nil stays nil (an unset message).
func toOptional[T any, P any](v *T, f func(T) P) P {
	if v == nil {
		var zero P
		return zero
	}
	return f(*v)
}

// fromOptional converts an optional message; an unset one becomes nil.
func fromOptional[P comparable, T any](p P, f func(P) T) *T {
	var zero P
	if p == zero {
		return nil
	}
	v := f(p)
	return &v
}
