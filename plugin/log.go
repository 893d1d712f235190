package plugin

import (
	"context"
	"io"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// NewLogger returns a logger for the plugin process that writes JSON lines
// in hclog's shape (@timestamp, @level, @message, then the attributes). The
// host's go-plugin client parses exactly that shape from the plugin's stderr
// and re-emits each line at its own level through LaunchConfig.Logger; any
// other line arrives as a debug message.
//
// Make the logger before calling Serve: go-plugin replaces os.Stderr once it
// serves, and only what is written to the original stderr reaches the host's
// log.
func NewLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: hclogAttr}))
}

// hclogAttr renames slog's built-in keys to hclog's.
func hclogAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.TimeKey:
		return slog.String("@timestamp", a.Value.Time().Format(hclog.TimeFormatJSON))
	case slog.LevelKey:
		if lv, ok := a.Value.Any().(slog.Level); ok {
			return slog.String("@level", hclogLevelName(lv))
		}
		return slog.Attr{Key: "@level", Value: a.Value}
	case slog.MessageKey:
		return slog.Attr{Key: "@message", Value: a.Value}
	}
	return a
}

// hclogLevelName names an slog level as hclog does; levels below Debug are
// hclog's trace.
func hclogLevelName(l slog.Level) string {
	switch {
	case l < slog.LevelDebug:
		return "trace"
	case l < slog.LevelInfo:
		return "debug"
	case l < slog.LevelWarn:
		return "info"
	case l < slog.LevelError:
		return "warn"
	default:
		return "error"
	}
}

// hostLogger returns the hclog.Logger go-plugin needs on the host side,
// writing to l: go-plugin's own messages and the plugin's re-emitted stderr
// lines, each at its level, with the hclog logger name as the "logger"
// attribute.
func hostLogger(l *slog.Logger) hclog.Logger {
	il := hclog.NewInterceptLogger(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Trace, Output: io.Discard})
	il.RegisterSink(slogSink{l})
	return il
}

// slogSink forwards hclog lines to an slog.Logger, which applies its own level.
type slogSink struct{ l *slog.Logger }

func (s slogSink) Accept(name string, level hclog.Level, msg string, args ...any) {
	s.l.Log(context.Background(), slogLevel(level), msg, append([]any{slog.String("logger", name)}, args...)...)
}

// slogLevel is the inverse of hclogLevelName.
func slogLevel(l hclog.Level) slog.Level {
	switch l {
	case hclog.Trace:
		return slog.LevelDebug - 4
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}
