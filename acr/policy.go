package acr

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// PolicyConfig is a resource server's per-action policy as it appears in
// configuration: which level, and how recent an authentication, each action
// needs, optionally by amount. For example
//
//	actions:
//	  - name: view-balance
//	    acr: routine
//	  - name: transfer                  # up to and including 1000.00 EUR
//	    acr: routine
//	  - name: transfer                  # above 1000.00 EUR
//	    acr: step-up
//	    max_age: 5m
//	    above: {value: "1000.00", currency: EUR}
//
// The rules of one action form tiers: exactly one rule without Above (the
// base, which also applies to amounts at or below every threshold) and any
// number of rules with a distinct threshold per currency. An amount gets the
// rule with the highest threshold it exceeds, else the base. A larger amount
// never needs less: a tier's level must be at least, and its max_age at most,
// those of every tier below it in the same currency.
type PolicyConfig struct {
	Actions []ActionRule `yaml:"actions"`
}

// ActionRule is one rule of a PolicyConfig.
type ActionRule struct {
	// Name is the action the resource server asks about ("transfer").
	Name string `yaml:"name"`
	// ACR is the level the action needs: an acr value of the ladder or a
	// level's short name ("step-up"); the acr value wins if both match.
	ACR string `yaml:"acr"`
	// MaxAge is how long ago, at most, the user may have authenticated
	// (RFC 9470 §3 max_age). It must be a whole number of seconds, since the
	// challenge carries seconds; zero means no freshness requirement. (A
	// max_age of zero seconds in the RFC's sense would refuse every token, so
	// it cannot be configured.)
	MaxAge time.Duration `yaml:"max_age"`
	// Above makes the rule apply only when the action's amount, in the same
	// currency, is strictly greater than this one. nil: the base rule.
	Above *Amount `yaml:"above"`
}

// AuthRequirement is what a resource server needs of the authentication
// behind an access token for one request: at least the level ACR and, when
// HasMaxAge, an authentication no older than MaxAge (RFC 9470 §3). It is
// named apart from Requirement, which is a kind of evidence a level needs.
type AuthRequirement struct {
	ACR       string        // an acr value of the ladder; the zero value is invalid
	MaxAge    time.Duration // meaningful only when HasMaxAge; whole seconds
	HasMaxAge bool
}

// maxMaxAge bounds max_age, as ParseRequest does.
const (
	maxMaxAge     = 100 * 365 * 24 * time.Hour
	maxMaxAgeText = "876000h (100 years)" // maxMaxAge in messages
)

// Errors of NewPolicy and Policy.Requirement.
var (
	// ErrInvalidPolicy is wrapped by every NewPolicy validation error.
	ErrInvalidPolicy = errors.New("invalid acr policy")
	// ErrUnknownAction: the policy has no rule for the action. A policy never
	// answers "no requirement" for an action it does not know.
	ErrUnknownAction = errors.New("action not in the acr policy")
	// ErrAmountRequired: the action's rules depend on an amount and none was given.
	ErrAmountRequired = errors.New("the action's requirement depends on an amount")
	// ErrCurrencyNotCovered: the action's rules depend on an amount, but none
	// has a threshold in the amount's currency.
	ErrCurrencyNotCovered = errors.New("the acr policy has no threshold in this currency")
)

// Policy answers what an action needs. It is immutable once built and safe
// for concurrent use.
type Policy struct {
	actions map[string]*actionPolicy
}

type actionPolicy struct {
	base  policyRule
	tiers map[string][]policyRule // by currency, ascending threshold
}

type policyRule struct {
	index int // position in PolicyConfig.Actions, for messages
	rank  int // ladder rank of need.ACR, -1 if unknown
	need  AuthRequirement
	above *Amount
	limit decimal // parsed above.Value
}

// NewPolicy validates a copy of cfg against the ladder, reporting every
// problem at once with the field it concerns (actions[i].acr, …), each
// wrapping ErrInvalidPolicy.
func NewPolicy(cfg PolicyConfig, ladder *Ladder) (*Policy, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidPolicy}, args...)...))
	}
	if ladder == nil {
		return nil, fmt.Errorf("%w: no ladder", ErrInvalidPolicy)
	}
	if len(cfg.Actions) == 0 {
		bad("actions: at least one action is required")
	}
	var order []string
	byName := map[string][]policyRule{}
	for i, ar := range cfg.Actions {
		field := fmt.Sprintf("actions[%d]", i)
		r := policyRule{index: i, rank: -1}
		if ar.Name == "" || strings.ContainsFunc(ar.Name, func(c rune) bool { return c <= ' ' || c == 0x7f }) {
			bad("%s.name: must be non-empty without spaces or control characters, got %q", field, ar.Name)
		}
		if lv, ok := ladder.resolve(ar.ACR); ok {
			r.need.ACR = lv.ACR
			r.rank, _ = ladder.Rank(lv.ACR)
		} else {
			bad("%s.acr: %q is neither an acr value nor a level name of the ladder (%s)", field, ar.ACR, ladder.describe())
		}
		switch {
		case ar.MaxAge < 0:
			bad("%s.max_age: must not be negative, got %s", field, ar.MaxAge)
		case ar.MaxAge%time.Second != 0:
			bad("%s.max_age: must be a whole number of seconds (the challenge carries seconds), got %s", field, ar.MaxAge)
		case ar.MaxAge > maxMaxAge:
			bad("%s.max_age: must be at most %s, got %s", field, maxMaxAgeText, ar.MaxAge)
		case ar.MaxAge > 0:
			r.need.MaxAge, r.need.HasMaxAge = ar.MaxAge, true
		}
		if ar.Above != nil {
			above := *ar.Above
			r.above = &above
			valid := true
			if err := validCurrency(above.Currency); err != nil {
				bad("%s.above.currency: %w", field, err)
				valid = false
			}
			if d, err := parseDecimal(above.Value); err != nil {
				bad("%s.above.value: %w", field, err)
				valid = false
			} else {
				r.limit = d
			}
			if !valid {
				continue // cannot be placed among the tiers
			}
		}
		if _, seen := byName[ar.Name]; !seen {
			order = append(order, ar.Name)
		}
		byName[ar.Name] = append(byName[ar.Name], r)
	}
	p := &Policy{actions: make(map[string]*actionPolicy, len(order))}
	for _, name := range order {
		ap, problems := buildAction(name, byName[name])
		for _, msg := range problems {
			bad("%s", msg)
		}
		p.actions[name] = ap
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// buildAction sorts one action's rules into a base and tiers and checks that
// they neither overlap nor ask less for larger amounts.
func buildAction(name string, rules []policyRule) (*actionPolicy, []string) {
	var problems []string
	ap := &actionPolicy{tiers: map[string][]policyRule{}}
	var bases []policyRule
	for _, r := range rules {
		if r.above == nil {
			bases = append(bases, r)
		} else {
			ap.tiers[r.above.Currency] = append(ap.tiers[r.above.Currency], r)
		}
	}
	switch len(bases) {
	case 0:
		idx := make([]string, len(rules))
		for i, r := range rules {
			idx[i] = fmt.Sprintf("actions[%d]", r.index)
		}
		problems = append(problems, fmt.Sprintf("%s: action %q has no rule without above, so amounts at or below its lowest threshold would have no requirement", strings.Join(idx, ", "), name))
	default:
		ap.base = bases[0]
		for _, dup := range bases[1:] {
			problems = append(problems, fmt.Sprintf("actions[%d]: duplicates actions[%d]: both are the rule without above of action %q", dup.index, bases[0].index, name))
		}
	}
	currencies := make([]string, 0, len(ap.tiers))
	for c := range ap.tiers {
		currencies = append(currencies, c)
	}
	slices.Sort(currencies)
	for _, c := range currencies {
		tiers := ap.tiers[c]
		slices.SortStableFunc(tiers, func(a, b policyRule) int { return a.limit.cmp(b.limit) })
		for i, t := range tiers {
			if i > 0 && tiers[i-1].limit.cmp(t.limit) == 0 {
				problems = append(problems, fmt.Sprintf("actions[%d].above: overlaps actions[%d]: both apply to action %q above %s", t.index, tiers[i-1].index, name, tiers[i-1].above))
				continue
			}
			lower := tiers[:i:i]
			if len(bases) > 0 {
				lower = append([]policyRule{ap.base}, lower...)
			}
			// Compare with the most demanding rule below, for each of level and age.
			var stronger, fresher *policyRule
			for j := range lower {
				l := &lower[j]
				if t.rank >= 0 && l.rank > t.rank && (stronger == nil || l.rank > stronger.rank) {
					stronger = l
				}
				if l.need.HasMaxAge && (!t.need.HasMaxAge || t.need.MaxAge > l.need.MaxAge) && (fresher == nil || l.need.MaxAge < fresher.need.MaxAge) {
					fresher = l
				}
			}
			if stronger != nil {
				problems = append(problems, fmt.Sprintf("actions[%d].acr: action %q would need %q above %s, less than the %q actions[%d] needs %s", t.index, name, t.need.ACR, t.above, stronger.need.ACR, stronger.index, appliesTo(*stronger)))
			}
			if fresher != nil {
				got := "no max_age"
				if t.need.HasMaxAge {
					got = "max_age " + t.need.MaxAge.String()
				}
				problems = append(problems, fmt.Sprintf("actions[%d].max_age: action %q would allow %s above %s, more than the max_age %s actions[%d] allows %s", t.index, name, got, t.above, fresher.need.MaxAge, fresher.index, appliesTo(*fresher)))
			}
		}
	}
	return ap, problems
}

// appliesTo describes the amounts a rule applies to, for messages.
func appliesTo(r policyRule) string {
	if r.above == nil {
		return "at or below the thresholds"
	}
	return "above " + r.above.String()
}

// Requirement returns what the action needs for the amount (nil when the
// action has none). It fails closed: an unknown action is ErrUnknownAction,
// never "no requirement"; an action whose rules depend on an amount needs
// one (ErrAmountRequired) in a currency they cover (ErrCurrencyNotCovered);
// a malformed amount is ErrInvalidAmount, even for an action without
// thresholds.
func (p *Policy) Requirement(action string, amount *Amount) (AuthRequirement, error) {
	var d decimal
	if amount != nil {
		var err error
		if d, err = amount.parse(); err != nil {
			return AuthRequirement{}, fmt.Errorf("action %q: %w", action, err)
		}
	}
	ap, ok := p.actions[action]
	if !ok {
		return AuthRequirement{}, fmt.Errorf("%w: %q", ErrUnknownAction, action)
	}
	if len(ap.tiers) == 0 {
		return ap.base.need, nil
	}
	if amount == nil {
		return AuthRequirement{}, fmt.Errorf("%w: action %q", ErrAmountRequired, action)
	}
	tiers, ok := ap.tiers[amount.Currency]
	if !ok {
		return AuthRequirement{}, fmt.Errorf("%w: action %q has no threshold in %s", ErrCurrencyNotCovered, action, amount.Currency)
	}
	need := ap.base.need
	for _, t := range tiers {
		if d.cmp(t.limit) <= 0 {
			break
		}
		need = t.need
	}
	return need, nil
}

// resolve finds a level by acr value, else by short name.
func (l *Ladder) resolve(s string) (Level, bool) {
	if lv, ok := l.Lookup(s); ok {
		return lv, true
	}
	for _, lv := range l.levels {
		if lv.Name == s {
			return lv, true
		}
	}
	return Level{}, false
}

// describe lists the ladder for error messages: "routine = urn:…, step-up = urn:…".
func (l *Ladder) describe() string {
	parts := make([]string, len(l.levels))
	for i, lv := range l.levels {
		parts[i] = lv.Name + " = " + lv.ACR
	}
	return strings.Join(parts, ", ")
}
