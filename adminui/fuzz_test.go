package adminui

import (
	"testing"
	"time"
)

// FuzzParseSession: no input panics, and whatever opens is a complete,
// unexpired session.
func FuzzParseSession(f *testing.F) {
	s, err := newSealer(testSessionKey)
	if err != nil {
		f.Fatal(err)
	}
	good, err := s.seal(purposeSession, session{Sub: "op", Role: RoleSupport, CSRF: "0123456789abcdefghij", Expires: testNow.Add(time.Hour).Unix()})
	if err != nil {
		f.Fatal(err)
	}
	login, _ := s.seal(purposeLogin, loginState{State: "s", Nonce: "n", Verifier: "v", Expires: testNow.Add(time.Hour).Unix()})
	for _, seed := range []string{good, login, "", "%%", "AAAA", good[:len(good)-2]} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		sess, err := s.parseSession(value, testNow)
		if err != nil {
			if sess != (session{}) {
				t.Errorf("parseSession(%q) failed with a non-zero session %+v", value, sess)
			}
			return
		}
		if sess.Sub == "" || sess.Role.rank() == 0 || sess.Expires <= testNow.Unix() {
			t.Errorf("parseSession(%q) = %+v: incomplete or expired", value, sess)
		}
	})
}
