package testsummary

import (
	"strings"
	"testing"
)

func TestCopy(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in     string
		want   Counts
		output string
	}{
		"passes, skips and a failure": {
			in: `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"output","Package":"q","Test":"TestC","Output":"    x_test.go:9: got 1, want 2\n"}
{"Action":"pass","Package":"p","Test":"TestA/sub"}
{"Action":"skip","Package":"p","Test":"TestB"}
{"Action":"fail","Package":"q","Test":"TestC"}
{"Action":"output","Package":"q","Output":"FAIL\tq\t0.1s\n"}
{"Action":"fail","Package":"q"}
{"Action":"output","Package":"p","Output":"PASS\n"}
{"Action":"pass","Package":"p"}
`,
			want:   Counts{Passed: 2, Failed: 1, Skipped: 1},
			output: "    x_test.go:9: got 1, want 2\nFAIL\tq\t0.1s\n",
		},
		"package fails without a failing test": {
			in:     `{"Action":"fail","Package":"r"}` + "\n",
			want:   Counts{PackageFailed: true},
			output: "",
		},
		"build error line": {
			in:     "# r\nr/x.go:1: syntax error\n",
			want:   Counts{PackageFailed: true},
			output: "# r\nr/x.go:1: syntax error\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var out strings.Builder
			got, err := Copy(&out, strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("counts: got %+v, want %+v", got, tc.want)
			}
			if out.String() != tc.output {
				t.Errorf("output: got %q, want %q", out.String(), tc.output)
			}
			if got.OK() != (tc.want.Failed == 0 && !tc.want.PackageFailed) {
				t.Errorf("OK: got %v", got.OK())
			}
		})
	}
	if got := (Counts{Passed: 3, Failed: 1, Skipped: 2}).String(); got != "3 passed, 1 failed, 2 skipped" {
		t.Errorf("String: got %q", got)
	}
}
