package acr

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Requirement is a kind of evidence a level needs.
type Requirement string

// Requirements a level can name.
const (
	// RequirePasskey: a passkey assertion with user verification (UV=1) from an
	// active credential of an active user, in this login.
	RequirePasskey Requirement = "passkey"
	// RequireBiometric: a live biometric check against the user's enrolled
	// reference, passed in this same ceremony.
	RequireBiometric Requirement = "biometric"
)

// Default acr values. They are URNs under the project's name so they never
// collide with a relying party's own values; deployments may rename them in
// config.
const (
	RoutineACR = "urn:biometric-passkey:acr:routine"
	StepUpACR  = "urn:biometric-passkey:acr:step-up"
)

// Level is one rung of the ladder.
type Level struct {
	Name     string        // short name for config, logs and pages: "routine"
	ACR      string        // the value RPs send in acr_values and read in the acr claim
	Requires []Requirement // evidence this level needs; always includes RequirePasskey
}

// Ladder is the ordered set of levels, lowest first. It is immutable once built.
type Ladder struct {
	levels []Level
	rank   map[string]int
	amr    AMRMapping
}

// DefaultLevels returns the default two-level ladder: routine (passkey with
// device unlock) below step-up (passkey and a live biometric match).
func DefaultLevels() []Level {
	return []Level{
		{Name: "routine", ACR: RoutineACR, Requires: []Requirement{RequirePasskey}},
		{Name: "step-up", ACR: StepUpACR, Requires: []Requirement{RequirePasskey, RequireBiometric}},
	}
}

// DefaultLadder returns the ladder of DefaultLevels and DefaultAMR.
func DefaultLadder() *Ladder {
	l, err := NewLadder(DefaultLevels(), DefaultAMR())
	if err != nil {
		panic(err) // the defaults are constants; a failure is a programming error
	}
	return l
}

// ErrInvalidLadder is wrapped by every NewLadder validation error.
var ErrInvalidLadder = errors.New("invalid acr ladder")

// NewLadder validates a copy of levels (lowest first) and the amr mapping,
// reporting every problem at once. Each level must require a passkey, and a
// higher level must require at least what the one below it requires, so that
// rank order and evidence order agree.
func NewLadder(levels []Level, amr AMRMapping) (*Ladder, error) {
	var errs []error
	if len(levels) == 0 {
		errs = append(errs, fmt.Errorf("%w: levels: at least one level is required", ErrInvalidLadder))
	}
	l := &Ladder{rank: make(map[string]int, len(levels)), amr: amr.clone()}
	names := map[string]bool{}
	for i, lv := range levels {
		lv.Requires = slices.Clone(lv.Requires)
		field := fmt.Sprintf("levels[%d]", i)
		if strings.TrimSpace(lv.Name) == "" || names[lv.Name] {
			errs = append(errs, fmt.Errorf("%w: %s.name: must be non-empty and unique, got %q", ErrInvalidLadder, field, lv.Name))
		}
		names[lv.Name] = true
		if lv.ACR == "" || strings.ContainsAny(lv.ACR, " \t\r\n\"\\") {
			errs = append(errs, fmt.Errorf("%w: %s.acr: must be non-empty without spaces or quotes, got %q", ErrInvalidLadder, field, lv.ACR))
		} else if _, dup := l.rank[lv.ACR]; dup {
			errs = append(errs, fmt.Errorf("%w: %s.acr: %q appears twice", ErrInvalidLadder, field, lv.ACR))
		}
		for _, r := range lv.Requires {
			if r != RequirePasskey && r != RequireBiometric {
				errs = append(errs, fmt.Errorf("%w: %s.requires: unknown requirement %q (want %q or %q)", ErrInvalidLadder, field, r, RequirePasskey, RequireBiometric))
			}
		}
		if !slices.Contains(lv.Requires, RequirePasskey) {
			errs = append(errs, fmt.Errorf("%w: %s.requires: every level requires %q", ErrInvalidLadder, field, RequirePasskey))
		}
		if i > 0 {
			for _, r := range levels[i-1].Requires {
				if !slices.Contains(lv.Requires, r) {
					errs = append(errs, fmt.Errorf("%w: %s.requires: must include %q, which the lower level %q requires", ErrInvalidLadder, field, r, levels[i-1].Name))
				}
			}
		}
		l.rank[lv.ACR] = i
		l.levels = append(l.levels, lv)
	}
	errs = append(errs, amr.validate()...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return l, nil
}

// Levels returns a copy of the levels, lowest first.
func (l *Ladder) Levels() []Level {
	out := make([]Level, len(l.levels))
	for i, lv := range l.levels {
		lv.Requires = slices.Clone(lv.Requires)
		out[i] = lv
	}
	return out
}

// Lowest returns the lowest level: the one a login gets when the RP asks for
// nothing in particular.
func (l *Ladder) Lowest() Level { return l.levels[0] }

// Lookup returns the level with the acr value.
func (l *Ladder) Lookup(acr string) (Level, bool) {
	i, ok := l.rank[acr]
	if !ok {
		return Level{}, false
	}
	return l.levels[i], true
}

// Rank returns the position of acr on the ladder (0 = lowest).
func (l *Ladder) Rank(acr string) (int, bool) {
	i, ok := l.rank[acr]
	return i, ok
}

// Satisfies reports whether the achieved acr is at or above the wanted acr.
// Unknown values satisfy nothing and are satisfied by nothing.
func (l *Ladder) Satisfies(achieved, wanted string) bool {
	a, okA := l.rank[achieved]
	w, okW := l.rank[wanted]
	return okA && okW && a >= w
}

// AMR returns the amr mapping.
func (l *Ladder) AMR() AMRMapping { return l.amr.clone() }
