package e2e_test

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/oauth2"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/internal/app"
	"github.com/biometric-passkey/biometric-passkey/internal/softauthn"
	"github.com/biometric-passkey/biometric-passkey/internal/testenv"
)

// The production shape (DESIGN.md §2, §6; docs/adr/0007): stateless
// provider replicas, each with its own plugin process, behind one public
// origin, sharing Hydra, Redis (ceremonies, session levels) and PostgreSQL
// (users, credentials, events).

// TestRoutineSignInOnPostgreSQL is the walking skeleton with the plugin's
// durable store on PostgreSQL: enrollment through the API, routine passkey
// sign-ins (usernameless, then username-first) through Hydra, the ID token
// checked with go-oidc, and a login Hydra skips reporting what the sign-in
// achieved. The rows the plugin wrote are then read from the database, to
// show that PostgreSQL, not a SQLite file, holds them.
func TestRoutineSignInOnPostgreSQL(t *testing.T) {
	t.Parallel()
	s := newStackWith(t, stackOptions{postgres: true})
	a := s.enrollUser("pg-001", softauthn.Options{})
	b := s.newBrowser()

	for _, username := range []string{"", "pg-001"} {
		r := s.authorize(acrValues(acr.RoutineACR), oauth2.SetAuthURLParam("prompt", "login"))
		next, apiErr, code := s.signIn(b, s.loginPage(b, r), a, username)
		if code != http.StatusOK {
			t.Fatalf("sign-in (username %q): status %d: %+v", username, code, apiErr)
		}
		c := s.redeem(r, s.follow(b, next).callback)
		wantRoutine(t, c, "pg-001")
		s.checkAccessToken(c, acr.RoutineACR, c.AuthTime)
	}
	r := s.authorize(acrValues(acr.RoutineACR))
	at := s.follow(b, r.url)
	if at.callback == nil {
		t.Fatalf("the login after a sign-in was not skipped: %v", at.hops)
	}
	wantRoutine(t, s.redeem(r, at.callback), "pg-001")

	// Read only: what the plugin wrote is in PostgreSQL.
	conn, err := pgx.Connect(t.Context(), s.cfg.Authenticator.Store.DSN)
	if err != nil {
		t.Fatalf("connect to the store's database: %v", err)
	}
	defer conn.Close(t.Context())
	var status string
	var creds, events int
	if err := conn.QueryRow(t.Context(), `SELECT status,
		(SELECT count(*) FROM credentials WHERE user_external_id = $1),
		(SELECT count(*) FROM events WHERE user_external_id = $1)
		FROM users WHERE external_id = $1`, "pg-001").Scan(&status, &creds, &events); err != nil {
		t.Fatalf("read pg-001 from PostgreSQL: %v", err)
	}
	if status != string(authenticator.UserBiometricPending) || creds != 1 || events == 0 {
		t.Errorf("PostgreSQL holds pg-001 with status %q, %d credentials, %d events; want biometric_pending, 1, some", status, creds, events)
	}
}

// TestTwoReplicasShareOneCeremony runs two providers, each with its own
// plugin process, behind one load balancer (one public origin, the
// WebAuthn origin of both), sharing Hydra, Redis and PostgreSQL, and
// steers each request to one of them: an enrollment begun on A is
// finished on B; a sign-in begun on A is finished on B and Hydra issues a
// valid ID token; the same finish replayed on A is refused (a challenge is
// single-use across replicas); a login Hydra skips, served by A, reports
// the level B recorded; a credential revoked through B's Admin service
// fails the next sign-in through A.
func TestTwoReplicasShareOneCeremony(t *testing.T) {
	t.Parallel()
	s := newStackWith(t, stackOptions{postgres: true, balanced: true})
	const replicaA, replicaB = 0, 1
	providerB := s.addReplica()
	lb := s.lb

	// Enrollment: the link from A, the ceremony begun on A, finished on B.
	lb.pin(replicaA)
	link, err := url.Parse(s.createEnrollment("rep-001"))
	if err != nil {
		t.Fatal(err)
	}
	eb := s.newBrowser()
	var cer ceremony
	if code := s.postJSON(eb, "/api/v1/enroll/begin", "", map[string]string{"token": link.Query().Get("token")}, &cer); code != http.StatusOK {
		t.Fatalf("enroll begin on A: status %d: %+v", code, cer.apiError)
	}
	a := s.newAuthenticator()
	cred, err := a.Register(cer.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	lb.pin(replicaB)
	var enrolled journeyAnswer
	if code := s.postJSON(eb, "/api/v1/enroll/finish", "", map[string]any{"ceremony_id": cer.CeremonyID, "credential": rawJSON(cred)}, &enrolled); code != http.StatusOK || enrolled.Status != string(authenticator.UserBiometricPending) {
		t.Fatalf("enroll finish on B: status %d: %s; want 200 biometric_pending", code, s.last)
	}
	lb.wantServed(t, "/api/v1/enrollments", replicaA)
	lb.wantServed(t, "/api/v1/enroll/begin", replicaA)
	lb.wantServed(t, "/api/v1/enroll/finish", replicaB)
	// Both replicas' plugins read the same durable store.
	for i, p := range []*app.Provider{s.provider, providerB} {
		d, err := p.Admin().GetUser(t.Context(), "rep-001")
		if err != nil || len(d.Credentials) != 1 {
			t.Fatalf("GetUser(rep-001) through replica %d: %v (%d credentials), want 1 credential", i, err, len(d.Credentials))
		}
	}

	// Sign-in: the redirects spread over both replicas, the ceremony is
	// begun on A and finished on B.
	b := s.newBrowser()
	lb.pin(-1)
	r := s.authorize(acrValues(acr.RoutineACR))
	challenge := s.loginPage(b, r)
	lb.pin(replicaA)
	var login ceremony
	if code := s.postJSON(b, "/api/v1/login/begin", "", map[string]string{"login_challenge": challenge}, &login); code != http.StatusOK {
		t.Fatalf("login begin on A: status %d: %+v", code, login.apiError)
	}
	assertion, err := a.Assert(login.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	finish := map[string]any{"ceremony_id": login.CeremonyID, "credential": rawJSON(assertion)}
	lb.pin(replicaB)
	var done journeyAnswer
	if code := s.postJSON(b, "/api/v1/login/finish", "", finish, &done); code != http.StatusOK || done.RedirectTo == "" {
		t.Fatalf("login finish on B: status %d: %s", code, s.last)
	}
	lb.wantServed(t, "/api/v1/login/begin", replicaA)
	lb.wantServed(t, "/api/v1/login/finish", replicaB)

	// The same finish, replayed on A once B has taken the challenge.
	lb.pin(replicaA)
	var replay apiError
	if code := s.postJSON(b, "/api/v1/login/finish", "", finish, &replay); code < 400 || code >= 500 || replay.Error != string(authenticator.CodeChallengeUnknown) {
		t.Errorf("replayed finish on A: got %d %+v, want 4xx %s", code, replay, authenticator.CodeChallengeUnknown)
	}
	lb.wantServed(t, "/api/v1/login/finish", replicaA)
	// The replay never reached verification: had it, its sign count (equal
	// to the stored one) would have flagged the credential. A reads the
	// sign-in B recorded.
	if d, err := s.provider.Admin().GetUser(t.Context(), "rep-001"); err != nil || len(d.Credentials) != 1 ||
		d.Credentials[0].Status != authenticator.CredentialActive || d.Credentials[0].SignCount == 0 || d.Credentials[0].LastUsedAt.IsZero() {
		t.Errorf("GetUser(rep-001) through A after the replay: %v %+v, want an active credential used once", err, d.Credentials)
	}

	lb.pin(-1)
	wantRoutine(t, s.redeem(r, s.follow(b, done.RedirectTo).callback), "rep-001")

	// Hydra skips the next login; A serves it and reports the level that
	// B recorded for the session.
	lb.pin(replicaA)
	r = s.authorize(acrValues(acr.RoutineACR))
	at := s.follow(b, r.url)
	if at.callback == nil {
		t.Fatalf("the login after a sign-in was not skipped: %v", at.hops)
	}
	lb.wantServed(t, "/login", replicaA)
	wantRoutine(t, s.redeem(r, at.callback), "rep-001")

	// An operator revokes the credential through B's Admin service.
	d, err := providerB.Admin().GetUser(t.Context(), "rep-001")
	if err != nil || len(d.Credentials) != 1 {
		t.Fatalf("GetUser(rep-001) through B: %v (%d credentials), want 1 credential", err, len(d.Credentials))
	}
	if _, err := providerB.Admin().RevokeCredential(t.Context(), authenticator.RevokeCredentialRequest{
		CredentialID: d.Credentials[0].ID, Operator: "op-e2e", Reason: "lost device"}); err != nil {
		t.Fatalf("RevokeCredential through B: %v", err)
	}
	// A no longer vouches for the session, nor accepts the passkey.
	r = s.authorize(acrValues(acr.RoutineACR))
	if at := s.follow(b, r.url); at.loginChallenge == "" {
		t.Fatalf("A accepted the session of a credential revoked through B: %v", at.hops)
	} else {
		next, e, code := s.signIn(b, at.loginChallenge, a, "")
		if code != http.StatusForbidden || e.Error != string(authenticator.CodeCredentialRevoked) || next != "" {
			t.Errorf("sign-in through A after the revocation on B: got %d %+v, want 403 %s", code, e, authenticator.CodeCredentialRevoked)
		}
	}
	lb.wantServed(t, "/api/v1/login/finish", replicaA)
	if got := lb.servedBy(); !slices.Contains(got, replicaA) || !slices.Contains(got, replicaB) {
		t.Errorf("replicas that served requests: %v, want both", got)
	}
}

// wantRoutine checks an ID token's claims for a routine passkey sign-in.
func wantRoutine(t *testing.T, c claims, sub string) {
	t.Helper()
	if c.Subject != sub || c.ACR != acr.RoutineACR || !slices.Equal(c.AMR, []string{"hwk", "mfa", "user"}) {
		t.Errorf("claims: got sub %q acr %q amr %v, want %s, %s, [hwk mfa user]", c.Subject, c.ACR, c.AMR, sub, acr.RoutineACR)
	}
	if now := time.Now().Unix(); c.AuthTime <= 0 || c.AuthTime > now+1 {
		t.Errorf("auth_time %d is not a past sign-in's (now %d)", c.AuthTime, now)
	}
}

// addReplica starts another provider on the stack's configuration file and
// settings, so with its own plugin process on the same Hydra, Redis key
// prefix and durable store, listening on a port of its own behind the
// stack's balancer. It returns the replica, whose balancer index is the
// number of replicas before it.
func (s *stack) addReplica() *app.Provider {
	t := s.t
	t.Helper()
	if s.lb == nil {
		t.Fatal("addReplica needs a balanced stack")
	}
	cfg := s.cfg
	cfg.Host.Listen = "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	p, err := app.StartProvider(t.Context(), cfg, s.configPath, log)
	if err != nil {
		t.Fatalf("start replica: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("close replica: %v", err)
		}
	})
	s.lb.add(p)
	return p
}

// balancer is the load balancer in front of the replicas: a reverse proxy
// on the public URL's port that sends each request to the pinned replica,
// or round robin when none is pinned, and notes which replica served
// which path. It keeps the Host header, as a load balancer does.
type balancer struct {
	srv *http.Server

	mu       sync.Mutex
	replicas []*httputil.ReverseProxy
	pinned   int // -1: round robin
	next     int
	served   []servedRequest
}

// servedRequest is a request the balancer passed on.
type servedRequest struct {
	replica int
	path    string
}

// startBalancer serves the balancer on 127.0.0.1:port until the test ends.
func startBalancer(t *testing.T, port int) *balancer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("balancer: %v", err)
	}
	lb := &balancer{pinned: -1}
	lb.srv = &http.Server{Handler: lb, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = lb.srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := lb.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("close balancer: %v", err)
		}
	})
	return lb
}

// add puts a replica behind the balancer.
func (lb *balancer) add(p *app.Provider) {
	target := &url.URL{Scheme: "http", Host: p.Addr().String()}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host
		r.SetXForwarded()
	}}
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.replicas = append(lb.replicas, rp)
}

// pin sends the following requests to replica i; -1 spreads them round
// robin.
func (lb *balancer) pin(i int) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.pinned = i
}

func (lb *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	lb.mu.Lock()
	i := lb.pinned
	if i < 0 {
		i = lb.next % len(lb.replicas)
		lb.next++
	}
	rp := lb.replicas[i]
	lb.served = append(lb.served, servedRequest{replica: i, path: r.URL.Path})
	lb.mu.Unlock()
	rp.ServeHTTP(w, r)
}

// wantServed checks that replica served the last request for path.
func (lb *balancer) wantServed(t *testing.T, path string, replica int) {
	t.Helper()
	lb.mu.Lock()
	defer lb.mu.Unlock()
	for _, s := range slices.Backward(lb.served) {
		if s.path == path {
			if s.replica != replica {
				t.Errorf("the last %s went to replica %d, want %d", path, s.replica, replica)
			}
			return
		}
	}
	t.Errorf("no request for %s reached a replica", path)
}

// servedBy lists the replicas that served requests.
func (lb *balancer) servedBy() []int {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	var out []int
	for _, s := range lb.served {
		if !slices.Contains(out, s.replica) {
			out = append(out, s.replica)
		}
	}
	return out
}
