package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery.
const (
	HeaderEventID   = "X-BP-Event-Id"
	HeaderTimestamp = "X-BP-Timestamp"
	HeaderSignature = "X-BP-Signature"
)

// DefaultTolerance is how far a receiver should let X-BP-Timestamp be from
// its clock before it refuses the request as a possible replay.
const DefaultTolerance = 5 * time.Minute

// Sign returns the X-BP-Signature value for body sent at timestamp (Unix
// seconds): "v1=" and the hex HMAC-SHA256, keyed with secret, of the
// timestamp in decimal, a dot and the body.
func Sign(secret []byte, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("webhook: missing or malformed X-BP-Timestamp or X-BP-Signature")
	ErrBadSignature = errors.New("webhook: signature does not match")
	ErrStale        = errors.New("webhook: timestamp outside the tolerance (possible replay)")
)

// Verify checks a received delivery: the timestamp is within tolerance of
// now (so a captured request cannot be replayed later) and one of the
// signature's v1= values matches, compared in constant time. Receivers must
// verify the raw body, before parsing it, and should also ignore an
// X-BP-Event-Id they have already processed (delivery is at least once).
func Verify(secret []byte, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(header.Get(HeaderTimestamp), 10, 64)
	sig := header.Get(HeaderSignature)
	if err != nil || sig == "" {
		return ErrNoSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	want := []byte(Sign(secret, ts, body))
	for v := range strings.SplitSeq(sig, ",") {
		if hmac.Equal([]byte(strings.TrimSpace(v)), want) {
			return nil
		}
	}
	return ErrBadSignature
}
