// Package testsummary reads the event stream of `go test -json` and keeps
// the count of tests that passed, failed and were skipped, so `make test`
// can end on one plain line ("N passed, N failed, N skipped") that says
// what ran, whatever package happens to be listed last.
package testsummary

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// Counts are the results of individual tests (subtests included).
type Counts struct {
	Passed, Failed, Skipped int
	// PackageFailed is true when a package failed without a failing test
	// (a build error, a panic in TestMain, a timeout).
	PackageFailed bool
}

// String is the closing line.
func (c Counts) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", c.Passed, c.Failed, c.Skipped)
}

// OK reports whether everything that ran passed.
func (c Counts) OK() bool { return c.Failed == 0 && !c.PackageFailed }

// event is the part of test2json's TestEvent this package reads.
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// Copy reads test2json events from r, writes their output to w as `go test`
// without -v would have printed it (a test's own lines only when it fails
// or skips; package lines always), and returns the counts. A line that is
// not JSON (go test's own build errors) is copied as it is and marks a
// package failure.
func Copy(w io.Writer, r io.Reader) (Counts, error) {
	var c Counts
	failedTests := map[string]bool{}
	held := map[[2]string][]string{} // a running test's output, by package and test
	flush := func(key [2]string) error {
		for _, o := range held[key] {
			if _, err := io.WriteString(w, o); err != nil {
				return err
			}
		}
		delete(held, key)
		return nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			if _, err := fmt.Fprintf(w, "%s\n", line); err != nil {
				return c, err
			}
			c.PackageFailed = true
			continue
		}
		key := [2]string{e.Package, e.Test}
		if e.Action == "output" {
			if e.Test != "" {
				held[key] = append(held[key], e.Output)
				continue
			}
			if e.Output == "PASS\n" {
				continue // go test -json adds it per package; without -json it is not printed
			}
			if _, err := io.WriteString(w, e.Output); err != nil {
				return c, err
			}
			continue
		}
		if e.Test != "" && (e.Action == "fail" || e.Action == "skip") {
			if err := flush(key); err != nil {
				return c, err
			}
		} else if e.Test != "" && e.Action == "pass" {
			delete(held, key)
		}
		switch {
		case e.Test != "" && e.Action == "pass":
			c.Passed++
		case e.Test != "" && e.Action == "fail":
			c.Failed++
			failedTests[e.Package] = true
		case e.Test != "" && e.Action == "skip":
			c.Skipped++
		case e.Test == "" && e.Action == "fail" && !failedTests[e.Package]:
			c.PackageFailed = true
		}
	}
	return c, sc.Err()
}
