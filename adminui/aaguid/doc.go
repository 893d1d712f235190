// Package aaguid names authenticators from their AAGUIDs for the operator
// dashboard (issue 4): a credential listed as "Google Password Manager" or
// "Windows Hello" tells a support agent far more than sixteen hex bytes.
//
// A Registry maps an AAGUID to a display name. Default returns the one
// built from the embedded aaguids.json; Load reads an operator's file of
// the same format and Merge lays it over the default, so a deployment can
// name its own or newer authenticators (or rename ours) without a rebuild.
// The format is one flat JSON object, sorted by key for readable diffs:
//
//	{
//	  "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4": "Google Password Manager",
//	  …
//	}
//
// Load validates strictly, because an operator file is input we did not
// write and the names end up in HTML: keys must be the canonical lowercase
// 8-4-4-4-12 form and unique, the all-zero AAGUID (which authenticators
// send when they do not identify themselves) cannot be named, and names
// must be non-blank valid UTF-8 of at most MaxNameLen bytes with no control
// or bidirectional-formatting characters. Names stay plain text: escaping
// is html/template's job at the point of output.
//
// A name is a hint, not a verified fact. Without attestation the AAGUID is
// whatever the authenticator chose to send, so the dashboard must present
// it as "reported as", never use it for a security decision; that is what
// FIDO MDS and attestation verification are for.
//
// # Data source
//
// aaguids.json is derived from aaguid.json of the community list
// github.com/passkeydeveloper/passkey-authenticator-aaguids at commit
// 47b6f84e4e3c9ab52f390e103fb4a1216e7952a5 (2026-08-07), keeping only each
// entry's name: the icons are large data: URIs and logos we have no
// licence to redistribute. That repository carries no licence file and
// states none; we keep only the factual AAGUID→name pairs, with
// attribution, for the purpose its README states (naming passkeys in
// management interfaces). SOURCE.md has the details and the refresh recipe.
// The data is read at build time through go:embed only; nothing here
// touches the network.
package aaguid
