package hydra

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	hydraapi "github.com/ory/hydra-client-go/v2"
)

// Hydra puts acr and auth_time into ID tokens but not into access tokens or
// introspection (reference/hydra-and-oidc.md §3, §4). Resource servers that
// apply RFC 9470 step-up checks need both, so the provider carries them from
// the login step to the consent step and adds them to the access token's
// session data there:
//
//   - accepting a login (fresh or skipped) writes loginContext into the
//     accept body's context, under loginContextKey. Hydra stores it
//     server-side with the flow and returns it on that flow's consent
//     request; neither the browser nor the client can change it.
//   - accepting consent reads it back and sets session.access_token to
//     {"acr": …, "auth_time": …}. Introspection returns that under ext;
//     with oauth2.allowed_top_level_claims = [acr, auth_time] Hydra also
//     lifts both to the top level of JWT access tokens
//     (hydraproc sets OAUTH2_ALLOWED_TOP_LEVEL_CLAIMS=acr,auth_time).
//
// Refresh grants keep the consent's session data, so refreshed access
// tokens carry the same acr and auth_time: the sign-in's, not the refresh's.

// loginContextKey is the key of loginContext in Hydra's login context.
const loginContextKey = "biometric_passkey"

// loginContext is what the login step tells the consent step.
type loginContext struct {
	ACR string `json:"acr"`
	// AuthTime is when the user signed in, in Unix seconds; for a skipped
	// login, the recorded sign-in's time.
	AuthTime int64 `json:"auth_time,omitempty"`
}

// newLoginContext is the context of an accepted login. A zero authTime
// (a plugin that does not report it) leaves auth_time out, and the consent
// step then adds nothing to the access token.
func newLoginContext(acrValue string, authTime time.Time) map[string]any {
	lc := loginContext{ACR: acrValue}
	if !authTime.IsZero() {
		lc.AuthTime = authTime.Unix()
	}
	return map[string]any{loginContextKey: lc}
}

// accessTokenClaims returns the access token's session data for a consent
// request: the acr and auth_time this provider wrote at login, or nil when
// the consent request does not carry them (a login accepted by another
// provider or an older version), or the recorded acr is not the one Hydra
// holds for the flow. Only the consent request Hydra returned is read.
func (s *Server) accessTokenClaims(ctx context.Context, cr *hydraapi.OAuth2ConsentRequest) map[string]any {
	lc, problem := readLoginContext(cr)
	if problem == "" && lc.ACR != cr.GetAcr() {
		problem = "its acr differs from the consent request's"
	}
	if problem != "" {
		client := cr.GetClient()
		s.log.LogAttrs(ctx, slog.LevelWarn, "consent: access token gets no acr or auth_time",
			slog.String("reason", "the login context "+problem), slog.String("client_id", client.GetClientId()),
			slog.String("acr", cr.GetAcr()))
		return nil
	}
	return map[string]any{"acr": lc.ACR, "auth_time": lc.AuthTime}
}

// readLoginContext decodes loginContext from a consent request's context;
// problem says why it cannot be used.
func readLoginContext(cr *hydraapi.OAuth2ConsentRequest) (lc loginContext, problem string) {
	if cr.Context == nil {
		return lc, "is missing"
	}
	raw, err := json.Marshal(cr.Context)
	if err != nil {
		return lc, "cannot be read"
	}
	var c struct {
		LC *loginContext `json:"biometric_passkey"`
	}
	switch {
	case json.Unmarshal(raw, &c) != nil:
		return lc, "is malformed"
	case c.LC == nil:
		return lc, "is missing"
	case c.LC.ACR == "" || c.LC.AuthTime <= 0:
		return lc, "lacks acr or auth_time"
	}
	return *c.LC, ""
}
