// Package deptest enforces the architecture of DESIGN.md §3 in tests:
// dependencies point inward, and production code never links the testing
// package.
package deptest
