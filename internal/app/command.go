package app

import (
	"flag"
	"fmt"
	"io"

	"github.com/biometric-passkey/biometric-passkey/internal/version"
)

// Command is a parsed command line of either binary.
type Command struct {
	ConfigPath string
	Config     Config
	Args       []string // what follows the flags
}

// ParseCommand parses the flags both binaries share (--config, --version)
// and loads the configuration with environment overrides. done is true when
// the invocation was fully handled (--version printed to stdout).
func ParseCommand(name string, args, env []string, stdout io.Writer) (cmd Command, done bool, err error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	configPath := fs.String("config", "", "path of the YAML configuration (see examples/config.yaml)")
	showVersion := fs.Bool("version", false, "print versions and exit")
	if err := fs.Parse(args); err != nil {
		return Command{}, false, err
	}
	if *showVersion {
		_, err := fmt.Fprintln(stdout, version.String(name))
		return Command{}, true, err
	}
	cfg, err := Load(*configPath, env)
	if err != nil {
		return Command{}, false, err
	}
	return Command{ConfigPath: *configPath, Config: cfg, Args: fs.Args()}, false, nil
}
