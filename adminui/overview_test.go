package adminui

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// overviewCalls reports how often the overview's Admin called
// CountUsersByStatus and ListUsers.
func (f *fakeAdmin) overviewCalls() (counts, lists int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.countCalls, f.listUserCalls
}

// TestOverviewUserCounts checks that the overview reads the counts with
// one CountUsersByStatus call and pages through no users, and shows every
// known status in its order, zero counts included, then a status a newer
// plugin adds, and the total.
func TestOverviewUserCounts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.admin.users = append(h.admin.users,
		authenticator.User{ExternalID: "carol", Status: "retired"},
		authenticator.User{ExternalID: "dave", Status: authenticator.UserEnrolled})
	resp := h.do(http.MethodGet, "/", []*http.Cookie{h.session(nil)}, nil)
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: status %d: %s", resp.StatusCode, body)
	}
	if counts, lists := h.admin.overviewCalls(); counts != 1 || lists != 0 {
		t.Errorf("Admin calls: got %d CountUsersByStatus and %d ListUsers, want 1 and 0", counts, lists)
	}
	rows := []string{
		`<tr><td><span class="badge badge-invited">invited</span></td><td>0</td></tr>`,
		`<tr><td><span class="badge badge-biometric_pending">biometric_pending</span></td><td>1</td></tr>`,
		`<tr><td><span class="badge badge-enrolled">enrolled</span></td><td>2</td></tr>`,
		`<tr><td><span class="badge badge-suspended">suspended</span></td><td>1</td></tr>`,
		`<tr><td><span class="badge badge-retired">retired</span></td><td>1</td></tr>`,
		`<tr><th>Total</th><th>5</th></tr>`,
	}
	last := -1
	for _, row := range rows {
		i := strings.Index(body, row)
		switch {
		case i < 0:
			t.Errorf("overview lacks %s:\n%s", row, body)
		case i < last:
			t.Errorf("overview has %s out of order:\n%s", row, body)
		default:
			last = i
		}
	}
	if strings.Contains(body, "10,000") {
		t.Errorf("overview still reports a truncated count:\n%s", body)
	}
}

// TestOverviewUserCountsError checks that a CountUsersByStatus failure is
// reported in the users panel, as an activity failure is in its own, while
// the rest of the overview still renders and the cause stays in the log.
func TestOverviewUserCountsError(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.admin.countErr = fmt.Errorf("rpc: %w", errors.New("connection refused to 10.0.0.7"))
	resp := h.do(http.MethodGet, "/", []*http.Cookie{h.session(nil)}, nil)
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: status %d, want 200: %s", resp.StatusCode, body)
	}
	for _, want := range []string{
		`<p class="error">User counts could not be loaded: ` + authenticator.ErrInternal.Message,
		"Users by status", "Activity per day", "<svg",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %q:\n%s", want, body)
		}
	}
	for _, banned := range []string{"10.0.0.7", "<th>Total</th>", "badge-enrolled"} {
		if strings.Contains(body, banned) {
			t.Errorf("overview contains %q:\n%s", banned, body)
		}
	}
	if counts, lists := h.admin.overviewCalls(); counts != 1 || lists != 0 {
		t.Errorf("Admin calls: got %d CountUsersByStatus and %d ListUsers, want 1 and 0", counts, lists)
	}
}
