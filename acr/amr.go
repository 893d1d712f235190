package acr

import (
	"errors"
	"fmt"
	"slices"
)

// AMRMapping says which RFC 8176 amr values describe each piece of evidence.
// The UV flag cannot tell a biometric unlock from a PIN, so UserVerified must
// never map to "face" or "fpt"; only a server-side biometric match may.
type AMRMapping struct {
	DeviceBound    []string // a device-bound passkey (BE=0): "hwk"
	Synced         []string // a synced passkey (BE=1): "swk"
	UserVerified   []string // the authenticator verified the user (UV=1): "user", "mfa"
	BiometricMatch []string // a live biometric check matched the reference: "face"
}

// DefaultAMR is the documented default mapping (README, "acr and amr").
// A UV-verified passkey is two factors (possession of the key, plus the
// device unlock), so "mfa" is included; "user" records the presence test.
func DefaultAMR() AMRMapping {
	return AMRMapping{
		DeviceBound:    []string{"hwk"},
		Synced:         []string{"swk"},
		UserVerified:   []string{"user", "mfa"},
		BiometricMatch: []string{"face"},
	}
}

// registeredAMR is the IANA "Authentication Method Reference Values"
// registry (RFC 8176 §2) plus "pop" from the OpenID EAP ACR values spec.
var registeredAMR = []string{
	"face", "fpt", "geo", "hwk", "iris", "kba", "mca", "mfa", "otp", "pin", "pop",
	"pwd", "rba", "retina", "sc", "sms", "swk", "tel", "user", "vbm", "wia",
}

func (m AMRMapping) clone() AMRMapping {
	return AMRMapping{
		DeviceBound: slices.Clone(m.DeviceBound), Synced: slices.Clone(m.Synced),
		UserVerified: slices.Clone(m.UserVerified), BiometricMatch: slices.Clone(m.BiometricMatch),
	}
}

func (m AMRMapping) validate() []error {
	var errs []error
	check := func(field string, vals []string) {
		for _, v := range vals {
			if !slices.Contains(registeredAMR, v) {
				errs = append(errs, fmt.Errorf("%w: amr.%s: %q is not a registered RFC 8176 value", ErrInvalidLadder, field, v))
			}
		}
	}
	check("device_bound", m.DeviceBound)
	check("synced", m.Synced)
	check("user_verified", m.UserVerified)
	check("biometric_match", m.BiometricMatch)
	for _, v := range m.UserVerified {
		if v == "face" || v == "fpt" || v == "iris" || v == "retina" || v == "vbm" {
			errs = append(errs, fmt.Errorf("%w: amr.user_verified: %q would claim a biometric the UV flag cannot prove (WebAuthn §6.1 flags say only that the user was verified)", ErrInvalidLadder, v))
		}
	}
	return errs
}

// Evidence is what one login proved. Every field describes this ceremony,
// never an earlier one: in particular UserVerified is this assertion's UV
// flag, not the credential record's (go-webauthn latches the latter).
type Evidence struct {
	PasskeyVerified  bool // a valid assertion for this ceremony's challenge
	UserVerified     bool // UV=1 in this assertion's authenticator data (WebAuthn §6.1)
	BackupEligible   bool // the credential is a synced passkey (BE=1)
	CredentialActive bool // the credential is active (not revoked or flagged)
	UserActive       bool // the user is not suspended
	BiometricMatch   bool // a live biometric check for this ceremony matched the reference
}

// Outcome is the acr and amr a login earned.
type Outcome struct {
	ACR string   `json:"acr"`
	AMR []string `json:"amr"`
}

// ErrNoLevel means the evidence reaches no level at all.
var ErrNoLevel = errors.New("the evidence reaches no assurance level")

// Assess returns the highest level whose requirements the evidence meets,
// with the amr describing that evidence (sorted, unique). It is the only way
// an acr is made: requested values play no part.
func (l *Ladder) Assess(ev Evidence) (Outcome, error) {
	met := map[Requirement]bool{
		RequirePasskey:   ev.PasskeyVerified && ev.UserVerified && ev.CredentialActive && ev.UserActive,
		RequireBiometric: ev.BiometricMatch,
	}
	best := -1
	for i, lv := range l.levels {
		ok := true
		for _, r := range lv.Requires {
			ok = ok && met[r]
		}
		if ok {
			best = i
		}
	}
	if best < 0 {
		return Outcome{}, ErrNoLevel
	}
	var amr []string
	if ev.BackupEligible {
		amr = append(amr, l.amr.Synced...)
	} else {
		amr = append(amr, l.amr.DeviceBound...)
	}
	amr = append(amr, l.amr.UserVerified...)
	if ev.BiometricMatch && slices.Contains(l.levels[best].Requires, RequireBiometric) {
		amr = append(amr, l.amr.BiometricMatch...)
	}
	slices.Sort(amr)
	return Outcome{ACR: l.levels[best].ACR, AMR: slices.Compact(amr)}, nil
}
