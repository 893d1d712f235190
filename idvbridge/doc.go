// Package idvbridge is the boundary to identity-verification (IDV)
// services: the Provider interface every adapter implements, its types, and
// its errors. It imports nothing of this project.
//
// A check is started for one journey (enrollment establishes a biometric
// reference; step-up and recovery match a live capture against it), for one
// user, bound to one ceremony. The user completes it at the provider (a
// hosted capture page for the web, an SDK token for native apps). Its
// outcome arrives either as a webhook, verified over the raw body before
// anything is decoded, or by an authenticated fetch; both give the same
// Outcome. The caller (the authenticator) accepts an outcome only for the
// run, user and ceremony it started (DESIGN.md §7.5).
//
// Adapters live in subpackages named after what they wrap (onfido,
// sandbox) and pass the conformance suite in idvtest.
//
// No biometric data passes through this package: only run ids, statuses
// and the provider's opaque reference ids (DESIGN.md §7.6).
package idvbridge
