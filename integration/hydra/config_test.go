package hydra_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/integration/hydra"
	"github.com/biometric-passkey/biometric-passkey/plugin"
)

func TestNewReportsEveryProblem(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		cfg  hydra.Config
		auth plugin.Authenticator
		want []string // substrings of the error, one per problem
	}{
		"empty": {
			want: []string{"PublicURL: is required", "HydraAdminURL: is required", "authenticator: required"},
		},
		"bad urls and values": {
			cfg: hydra.Config{
				PublicURL:         "ftp://example.com",
				HydraAdminURL:     "http://127.0.0.1:4445/admin",
				FirstPartyClients: []string{"bank", " "},
				EnrollmentScope:   "passkey enroll",
				RememberFor:       -time.Minute,
			},
			auth: &fakeAuth{},
			want: []string{
				`PublicURL: scheme must be http or https, got "ftp"`,
				"HydraAdminURL: must not end in /admin",
				"FirstPartyClients[1]: must not be empty",
				`EnrollmentScope: "passkey enroll" is not a single RFC 6749 §3.3 scope token`,
				"RememberFor: must be at least one second",
			},
		},
		"relative and decorated urls": {
			cfg:  hydra.Config{PublicURL: "http:///login", HydraAdminURL: "http://admin:secret@hydra:4445/?x=1"},
			auth: &fakeAuth{},
			want: []string{"PublicURL: must be an absolute URL with a host", "HydraAdminURL: must not contain user info, a query or a fragment"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := hydra.New(tc.cfg, tc.auth)
			if !errors.Is(err, hydra.ErrInvalidConfig) {
				t.Fatalf("New() error = %v, want ErrInvalidConfig", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("New() error = %q, want it to contain %q", err, w)
				}
			}
			if got, want := strings.Count(err.Error(), "\n")+1, len(tc.want); got != want {
				t.Errorf("New() reported %d problems, want %d:\n%v", got, want, err)
			}
		})
	}
}

func TestNewLeavesCallerConfigAlone(t *testing.T) {
	t.Parallel()
	cfg := hydra.Config{PublicURL: "http://localhost:8081/", HydraAdminURL: "http://127.0.0.1:4445", FirstPartyClients: []string{"bank"}}
	before := cfg
	if _, err := hydra.New(cfg, &fakeAuth{}); err != nil {
		t.Fatalf("New() error = %v", err)
	}
	if cfg.PublicURL != before.PublicURL || cfg.RememberFor != 0 || cfg.EnrollmentScope != "" || cfg.Logger != nil || cfg.Now != nil {
		t.Errorf("New() changed the caller's config: got %+v, want %+v", cfg, before)
	}
}

func TestNewRejectsBadOperatorRoles(t *testing.T) {
	t.Parallel()
	_, err := hydra.New(hydra.Config{
		PublicURL: "http://localhost:8081", HydraAdminURL: "http://127.0.0.1:4445",
		OperatorClients: []string{""}, OperatorRoles: map[string][]string{"op": nil}, OperatorRolesClaim: "sub",
	}, &fakeAuth{})
	for _, field := range []string{"OperatorClients[0]", `OperatorRoles["op"]`, "OperatorRolesClaim"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("New error %v does not name %s", err, field)
		}
	}
}
