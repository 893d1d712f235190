package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// chromiumNames are the executable names Chromium goes by, in order of preference.
var chromiumNames = []string{
	"chromium", "chromium-browser", "chromium-headless-shell", "headless_shell",
	"google-chrome", "google-chrome-stable",
}

// Chromium returns the path of a Chromium or Chrome binary for real-browser
// tests: CHROMIUM_BIN when set (a path or a name on PATH), otherwise the first
// of chromium, chromium-browser, chromium-headless-shell, headless_shell,
// google-chrome and google-chrome-stable found on PATH. Pass the error to
// Require; it says how to get a browser.
func Chromium() (string, error) {
	if bin := os.Getenv("CHROMIUM_BIN"); bin != "" {
		path, err := exec.LookPath(bin)
		if err != nil {
			return "", fmt.Errorf("CHROMIUM_BIN=%s is not an executable: %w", bin, err)
		}
		return path, nil
	}
	for _, name := range chromiumNames {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("none of %s is on PATH; install one (apt-get install chromium) or set CHROMIUM_BIN: %w",
		strings.Join(chromiumNames, ", "), exec.ErrNotFound)
}
