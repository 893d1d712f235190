package adminui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// deadLetterPage is how many dead letters a page shows.
const deadLetterPage = 100

type deadLettersView struct {
	Flash   string
	CSRF    string
	After   int64
	Letters []deadLetterView
	Next    string
}

type deadLetterView struct {
	ID        int64
	EventID   int64
	EventType authenticator.EventType
	User      string
	Endpoint  string
	Attempts  int
	LastError string
	CreatedAt time.Time
	DeadAt    time.Time
}

// deadLetters is GET /events/dead (admin only): the webhook deliveries the
// deliverer gave up on (docs/adr/0009-event-webhooks.md), oldest first, a
// page at a time, each with a redeliver form.
func (s *Server) deadLetters(w http.ResponseWriter, r *http.Request, sess *session) error {
	if err := s.requireAdmin(r, sess, "viewing dead letters"); err != nil {
		return err
	}
	v := deadLettersView{Flash: s.takeFlash(w, r), CSRF: sess.CSRF}
	if a := r.URL.Query().Get("after"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n < 0 {
			return &pageError{status: http.StatusBadRequest, message: "The page link is not valid."}
		}
		v.After = n
	}
	page, err := s.admin.ListDeadLetters(r.Context(), v.After, deadLetterPage)
	if err != nil {
		return err
	}
	for _, d := range page {
		v.Letters = append(v.Letters, deadLetterView{ID: d.ID, EventID: d.EventID, EventType: d.Event.Type, User: d.Event.UserExternalID,
			Endpoint: d.Endpoint, Attempts: d.Attempts, LastError: d.LastError, CreatedAt: d.CreatedAt, DeadAt: d.UpdatedAt})
	}
	if len(page) == deadLetterPage {
		v.Next = queryURL("/events/dead", "after", strconv.FormatInt(page[len(page)-1].ID, 10))
	}
	s.render(w, r, http.StatusOK, pageDeadLetters, sess, "Dead letters", v)
	return nil
}

// redeliver is POST /events/dead/{id}/redeliver (admin only; CSRF token
// and a reason): the dead letter goes back to pending, and the deliverer
// tries it again at once. Admin audits it with the operator's sub.
func (s *Server) redeliver(w http.ResponseWriter, r *http.Request, sess *session) error {
	f, err := checkedForm(w, r, sess, maxActionForm)
	if errors.Is(err, errCSRFMismatch) {
		s.refused(r, sess, "redeliver", "", refusedCSRF)
	}
	if err != nil {
		return err
	}
	if err := s.requireAdmin(r, sess, "redelivering events"); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return &pageError{status: http.StatusNotFound, back: "/events/dead", message: "There is no such dead letter."}
	}
	reason, err := formReason(f, "/events/dead")
	if err != nil {
		return err
	}
	d, err := s.admin.RedeliverEvent(r.Context(), authenticator.RedeliverRequest{Operator: sess.Sub, DeliveryID: id, Reason: reason})
	if err != nil {
		return withBack(err, "/events/dead")
	}
	if err := s.setFlash(w, fmt.Sprintf("Delivery %d of event %d to %s is pending again.", d.ID, d.EventID, d.Endpoint)); err != nil {
		return err
	}
	http.Redirect(w, r, "/events/dead", http.StatusSeeOther)
	return nil
}
