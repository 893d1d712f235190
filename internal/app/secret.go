package app

import (
	"encoding/json"
	"log/slog"
)

// Secret is a configuration value that must never be printed or logged
// (DESIGN.md §7.8): fmt and slog show "[redacted]" for a set value and ""
// for an empty one. YAML and environment overrides fill it like a string;
// Reveal hands the value to the one place that needs it.
type Secret string

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

// String redacts (fmt's %v and %s).
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString redacts (%#v).
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// LogValue redacts in structured logs.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON redacts, so a JSON log handler that encodes a whole
// configuration struct does not reveal it either. (YAML, which devstack
// writes its generated configuration in, keeps the value: Secret has no
// MarshalText.)
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }
