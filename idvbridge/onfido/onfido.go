package onfido

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// Name is the provider's stable name, stored with references and checks.
const Name = "onfido"

// Applicant names. The API requires first_name and last_name to create an
// applicant (applicant_create); this project does not hold users' names
// and a biometric match does not need them, so every applicant gets the
// same placeholder. Workflows must therefore not compare document data
// with applicant data.
const (
	applicantFirstName = "Passkey"
	applicantLastName  = "Holder"
)

// Tags the adapter puts on every run, echoed in the run and in its webhook
// resource. A tag is at most 128 characters (workflow_run_shared.tags).
const (
	tagProject   = "biometric-passkey"
	tagJourney   = "journey:"
	tagCeremony  = "ceremony:"
	tagReference = "reference:"
	maxTagLen    = 128
	// MaxCeremonyIDLen is the longest ceremony id this adapter accepts:
	// the ceremony tag must fit in 128 characters.
	MaxCeremonyIDLen = maxTagLen - len(tagCeremony)
)

// referenceWait is how long after an enrollment run is approved its
// biometric token may take to appear under the customer user id. Until
// then the run reports pending; after, failed/error (the workflow stored
// no token, which is a configuration fault).
const referenceWait = 10 * time.Minute

// Provider is the Entrust/Onfido IDV adapter. It is safe for concurrent
// use.
type Provider struct {
	cfg Config
	log *slog.Logger
}

var _ idvbridge.Provider = (*Provider)(nil)

// New returns a Provider for cfg, or every problem with cfg at once.
func New(cfg Config) (*Provider, error) {
	c, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	return &Provider{cfg: c, log: c.Logger.With("idv_provider", Name)}, nil
}

// Name returns "onfido".
func (p *Provider) Name() string { return Name }

// BaseURL returns the API base URL the provider sends requests to.
func (p *Provider) BaseURL() string { return p.cfg.BaseURL }

// Start creates an applicant (enrollment) or checks that the reference's
// biometric token is still approved (step-up, recovery), then creates a
// workflow run with a hosted link and returns its URL and SDK token.
//
// Specification: POST /applicants, GET /biometric_tokens/{user_id}/{uuid},
// POST /workflow_runs (onfido-openapi-spec paths/).
func (p *Provider) Start(ctx context.Context, req idvbridge.StartRequest) (idvbridge.Check, error) {
	ref, err := p.checkStart(req)
	if err != nil {
		return idvbridge.Check{}, err
	}

	applicantID := ref.applicantID
	if req.Journey == idvbridge.JourneyEnrollment {
		var a applicant
		if err := p.do(ctx, request{
			method: http.MethodPost, path: "/applicants", route: "/applicants",
			body: applicantBuilder{FirstName: applicantFirstName, LastName: applicantLastName},
		}, &a); err != nil {
			return idvbridge.Check{}, err
		}
		if !isUUID(a.ID) {
			return idvbridge.Check{}, fmt.Errorf("onfido: POST /applicants: %w: answer has no applicant id", idvbridge.ErrUnavailable)
		}
		applicantID = a.ID
	} else if err := p.checkToken(ctx, ref); err != nil {
		return idvbridge.Check{}, err
	}

	tags := []string{tagProject, tagJourney + string(req.Journey), tagCeremony + req.CeremonyID}
	if req.Journey != idvbridge.JourneyEnrollment {
		tags = append(tags, tagReference+ref.tokenUUID)
	}
	expiresAt := p.cfg.Now().Add(p.cfg.LinkTTL).UTC().Truncate(time.Second)
	var run workflowRun
	if err := p.do(ctx, request{
		method: http.MethodPost, path: "/workflow_runs", route: "/workflow_runs",
		body: workflowRunBuilder{
			WorkflowID:     p.workflowFor(req.Journey),
			ApplicantID:    applicantID,
			CustomerUserID: req.UserID,
			Tags:           tags,
			Link: &wireLink{
				CompletedRedirectURL: req.ReturnURL,
				ExpiredRedirectURL:   req.ReturnURL,
				ExpiresAt:            formatTime(expiresAt),
				Language:             language(req.Locale),
			},
		},
	}, &run); err != nil {
		return idvbridge.Check{}, err
	}
	if !isUUID(run.ID) {
		return idvbridge.Check{}, fmt.Errorf("onfido: POST /workflow_runs: %w: answer has no run id", idvbridge.ErrUnavailable)
	}
	c := idvbridge.Check{
		Provider:   Name,
		RunID:      run.ID,
		Journey:    req.Journey,
		UserID:     req.UserID,
		CeremonyID: req.CeremonyID,
		SDKToken:   run.SDKToken,
		ExpiresAt:  expiresAt,
	}
	if run.Link != nil {
		c.CaptureURL = run.Link.URL
		if t := parseTime(run.Link.ExpiresAt); !t.IsZero() {
			c.ExpiresAt = t
		}
	}
	if c.CaptureURL == "" && c.SDKToken == "" {
		return idvbridge.Check{}, fmt.Errorf("onfido: POST /workflow_runs: %w: run %s has neither a link nor an SDK token", idvbridge.ErrUnavailable, run.ID)
	}
	p.log.InfoContext(ctx, "onfido: started a workflow run", "run_id", run.ID, "journey", req.Journey)
	return c, nil
}

// checkStart validates req before any request is made, and parses its
// reference.
func (p *Provider) checkStart(req idvbridge.StartRequest) (reference, error) {
	if err := req.Validate(); err != nil {
		return reference{}, err
	}
	var errs []error
	var ref reference
	if req.Reference != nil {
		r, err := parseReference(*req.Reference)
		switch {
		case err != nil:
			errs = append(errs, err)
		case r.userID != req.UserID:
			// A step-up must match the user's own reference: matching a
			// live capture against someone else's would let a person pass
			// as another.
			errs = append(errs, fmt.Errorf("%w: the reference belongs to another user", idvbridge.ErrInvalid))
		default:
			ref = r
		}
	}
	if len(req.CeremonyID) > MaxCeremonyIDLen {
		errs = append(errs, fmt.Errorf("%w: ceremony id longer than %d characters does not fit a run tag", idvbridge.ErrInvalid, MaxCeremonyIDLen))
	}
	if req.ReturnURL != "" {
		u, err := url.Parse(req.ReturnURL)
		if err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			errs = append(errs, fmt.Errorf("%w: return URL must be an absolute http(s) URL", idvbridge.ErrInvalid))
		}
	}
	return ref, errors.Join(errs...)
}

// checkToken makes sure the reference's biometric token still exists and
// is approved, so a deleted or declined reference fails at Start.
func (p *Provider) checkToken(ctx context.Context, ref reference) error {
	var one biometricTokenOne
	err := p.do(ctx, request{
		method: http.MethodGet,
		path:   "/biometric_tokens/" + url.PathEscape(ref.userID) + "/" + ref.tokenUUID,
		route:  "/biometric_tokens/{user_id}/{token_uuid}",
	}, &one)
	switch {
	case errors.Is(err, idvbridge.ErrNotFound):
		return fmt.Errorf("onfido: %w: the reference's biometric token no longer exists: %w", idvbridge.ErrNotFound, err)
	case err != nil:
		return err
	case one.BiometricToken == nil || one.BiometricToken.UUID != ref.tokenUUID:
		return fmt.Errorf("onfido: GET /biometric_tokens/{user_id}/{token_uuid}: %w: answer names another token", idvbridge.ErrUnavailable)
	case one.BiometricToken.Data.Status != "approved":
		return fmt.Errorf("onfido: %w: the reference's biometric token is %q, not approved", idvbridge.ErrNotFound, one.BiometricToken.Data.Status)
	}
	return nil
}

// Fetch returns the run's outcome from GET /workflow_runs/{id}. An id that
// is not a UUID cannot name a run: ErrNotFound without a request.
func (p *Provider) Fetch(ctx context.Context, runID string) (idvbridge.Outcome, error) {
	if runID == "" {
		return idvbridge.Outcome{}, fmt.Errorf("onfido: %w: empty run id", idvbridge.ErrInvalid)
	}
	if !isUUID(runID) {
		return idvbridge.Outcome{}, fmt.Errorf("onfido: %w: %q is not a workflow run id", idvbridge.ErrNotFound, runID)
	}
	var run workflowRun
	if err := p.do(ctx, request{
		method: http.MethodGet, path: "/workflow_runs/" + runID, route: "/workflow_runs/{id}",
	}, &run); err != nil {
		return idvbridge.Outcome{}, err
	}
	if !strings.EqualFold(run.ID, runID) {
		return idvbridge.Outcome{}, fmt.Errorf("onfido: GET /workflow_runs/{id}: %w: answer is for another run", idvbridge.ErrUnavailable)
	}
	return p.outcome(ctx, run)
}

// DeleteReference invalidates the reference's biometric token. A token
// that is already gone is not an error. The applicant is kept: it holds
// the enrollment's identity evidence, whose retention is the Onfido
// account's policy, and deleting it is a separate, operator decision.
//
// Specification: DELETE /biometric_tokens/{user_id}/{token_uuid}
// ("Invalidate biometric token", onfido-openapi-spec
// paths/biometric_tokens.yaml).
func (p *Provider) DeleteReference(ctx context.Context, ref idvbridge.Reference) error {
	r, err := parseReference(ref)
	if err != nil {
		return err
	}
	err = p.do(ctx, request{
		method: http.MethodDelete,
		path:   "/biometric_tokens/" + url.PathEscape(r.userID) + "/" + r.tokenUUID,
		route:  "/biometric_tokens/{user_id}/{token_uuid}",
	}, nil)
	if errors.Is(err, idvbridge.ErrNotFound) {
		return nil
	}
	if err == nil {
		p.log.InfoContext(ctx, "onfido: invalidated a biometric token")
	}
	return err
}

func (p *Provider) workflowFor(j idvbridge.Journey) string {
	switch j {
	case idvbridge.JourneyEnrollment:
		return p.cfg.Workflows.Enrollment
	case idvbridge.JourneyStepUp:
		return p.cfg.Workflows.StepUp
	case idvbridge.JourneyRecovery:
		return p.cfg.Workflows.Recovery
	}
	return ""
}

// languages maps a locale's primary language to the link languages the
// API offers (workflow_run_link.language).
var languages = map[string]string{
	"en": "en_US", "de": "de_DE", "es": "es_ES", "fr": "fr_FR",
	"it": "it_IT", "pt": "pt_PT", "nl": "nl_NL",
}

// language returns the link language for a BCP 47 tag, or "" (the
// provider's default) when the API offers none for it.
func language(locale string) string {
	primary, _, _ := strings.Cut(strings.ReplaceAll(locale, "_", "-"), "-")
	return languages[strings.ToLower(primary)]
}
