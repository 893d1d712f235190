package hydra

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"
)

// assets holds the pages, the static files they load (no external assets:
// the CSP allows only 'self') and the OpenAPI document.
//
//go:embed templates/*.html static/* openapi.yaml
var assets embed.FS

// Page names; each is templates/<name>.html rendered inside layout.html.
const (
	pageLogin   = "login"
	pageEnroll  = "enroll"
	pageConsent = "consent"
	pageError   = "error"
	pageVerify  = "verify"
	pageRecover = "recover"
)

// view is what every page template receives.
type view struct {
	Title   string
	Script  bool // load static/passkey.js
	Sandbox bool // set by render from Config.Sandbox
	Body    any  // the page's own data: loginView, enrollView, consentView, verifyView, recoverView or errorView
}

func parsePages() (map[string]*template.Template, error) {
	pages := make(map[string]*template.Template)
	for _, name := range []string{pageLogin, pageEnroll, pageConsent, pageError, pageVerify, pageRecover} {
		t, err := template.New(name).ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse page %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// serveOpenAPI serves the embedded OpenAPI 3.1 document (RFC 9512 media type).
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", yamlContentType)
	http.ServeFileFS(w, r, assets, "openapi.yaml")
}
