package schema_test

import (
	"slices"
	"testing"
	"testing/fstest"

	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/schema"
)

func TestLoadMigrations(t *testing.T) {
	t.Parallel()
	file := func(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }
	tests := map[string]struct {
		fsys    fstest.MapFS
		want    []int
		wantErr bool
	}{
		"in order": {
			fsys: fstest.MapFS{
				"migrations/0002_more.sql": file("SELECT 2"),
				"migrations/0001_init.sql": file("SELECT 1"),
				"migrations/README":        file("not a migration"),
			},
			want: []int{1, 2},
		},
		"none":          {fsys: fstest.MapFS{}, wantErr: true},
		"gap":           {fsys: fstest.MapFS{"migrations/0001_a.sql": file(""), "migrations/0003_c.sql": file("")}, wantErr: true},
		"not from 1":    {fsys: fstest.MapFS{"migrations/0002_b.sql": file("")}, wantErr: true},
		"duplicate":     {fsys: fstest.MapFS{"migrations/0001_a.sql": file(""), "migrations/0001_b.sql": file("")}, wantErr: true},
		"no underscore": {fsys: fstest.MapFS{"migrations/0001.sql": file("")}, wantErr: true},
		"not a number":  {fsys: fstest.MapFS{"migrations/init_0001.sql": file("")}, wantErr: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := schema.Load(tt.fsys)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Load: got error %v, want error %t", err, tt.wantErr)
			}
			var versions []int
			for _, m := range got {
				versions = append(versions, m.Version)
			}
			if !slices.Equal(versions, tt.want) {
				t.Errorf("Load: got versions %v, want %v", versions, tt.want)
			}
		})
	}
}
