package plugin_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/plugin"
)

func TestNewLoggerWritesHCLogJSON(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		level slog.Level
		want  string
	}{
		"trace": {slog.LevelDebug - 4, "trace"},
		"debug": {slog.LevelDebug, "debug"},
		"info":  {slog.LevelInfo, "info"},
		"warn":  {slog.LevelWarn, "warn"},
		"error": {slog.LevelError, "error"},
		"above": {slog.LevelError + 4, "error"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			plugin.NewLogger(&buf, slog.LevelDebug-4).Log(t.Context(), tt.level, "hello", "user", "u-1", slog.Group("g", "time", "inner"))
			var line map[string]any
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("got %q, want one JSON line: %v", buf.String(), err)
			}
			if line["@level"] != tt.want || line["@message"] != "hello" || line["user"] != "u-1" {
				t.Errorf("got %v, want @level %q, @message hello, user u-1", line, tt.want)
			}
			// go-plugin parses @timestamp with exactly this layout.
			ts, ok := line["@timestamp"].(string)
			if _, err := time.Parse("2006-01-02T15:04:05.000000Z07:00", ts); !ok || err != nil {
				t.Errorf("@timestamp: got %v, want go-plugin's layout (%v)", line["@timestamp"], err)
			}
			if g, ok := line["g"].(map[string]any); !ok || g["time"] != "inner" {
				t.Errorf("group g: got %v, want its keys left alone", line["g"])
			}
		})
	}
}
