package acr

// CanonicalJSON canonicalises any JSON text per RFC 8785 without the
// exact-number rule of ParseAuthorizationDetails, so the RFC's own examples
// (whose numbers change under canonicalisation) can serve as test vectors.
func CanonicalJSON(raw string) ([]byte, error) {
	v, err := parseStrictJSON(raw, false)
	if err != nil {
		return nil, err
	}
	return appendCanonical(nil, v), nil
}

// ES6Number formats f as ECMAScript's Number.prototype.toString.
func ES6Number(f float64) string { return string(appendES6Number(nil, f)) }
