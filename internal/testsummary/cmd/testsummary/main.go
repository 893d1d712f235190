// Command testsummary turns `go test -json` on stdin back into go test's
// output and ends with "N passed, N failed, N skipped"; it exits 1 when
// anything failed. `make test` pipes through it.
package main

import (
	"fmt"
	"os"

	"github.com/biometric-passkey/biometric-passkey/internal/testsummary"
)

func main() {
	c, err := testsummary.Copy(os.Stdout, os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(1)
	}
	fmt.Println(c)
	if !c.OK() {
		os.Exit(1)
	}
}
