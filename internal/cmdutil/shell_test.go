package cmdutil

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/volact/volact/internal/build"
)

func TestVersionInfo(t *testing.T) {
	setting := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	tests := []struct {
		name         string
		bi           *debug.BuildInfo
		ok           bool
		linked       string // build.Version
		wantVersion  string
		wantCommit   string
		wantModified bool
		wantGo       string
	}{
		{"no build info", nil, false, "1.2.3", "1.2.3", "", false, runtime.Version()},
		{"git checkout", &debug.BuildInfo{GoVersion: "go1.99.1", Settings: setting("vcs.revision", "abc123", "vcs.modified", "false")},
			true, "v1.0.0", "v1.0.0", "abc123", false, "go1.99.1"},
		{"local changes", &debug.BuildInfo{Settings: setting("vcs.revision", "abc123", "vcs.modified", "true")},
			true, "v1.0.0", "v1.0.0", "abc123", true, runtime.Version()},
		{"go install module@version", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}},
			true, "dev", "v0.4.0", "", false, runtime.Version()},
		{"go build without ldflags", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			true, "dev", "dev", "", false, runtime.Version()},
		{"ldflags win over module version", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}},
			true, "v0.5.0-rc1", "v0.5.0-rc1", "", false, runtime.Version()},
	}
	saved := build.Version
	t.Cleanup(func() { build.Version = saved })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			build.Version = tt.linked
			v := versionInfo(tt.bi, tt.ok)
			if v.Version != tt.wantVersion || v.Commit != tt.wantCommit || v.Modified != tt.wantModified || v.GoVersion != tt.wantGo {
				t.Errorf("got %+v, want version %q commit %q modified %v go %q", v, tt.wantVersion, tt.wantCommit, tt.wantModified, tt.wantGo)
			}
			if v.OS != runtime.GOOS || v.Arch != runtime.GOARCH {
				t.Errorf("platform %s/%s, want %s/%s", v.OS, v.Arch, runtime.GOOS, runtime.GOARCH)
			}
		})
	}
}

func TestRoffLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"--if-due", `\-\-if\-due`},
		{`C:\ProgramData\volact`, `C:\eProgramData\evolact`},
		{".hidden request", `\&.hidden request`},
		{"'quote request", `\&'quote request`},
		{"a.b 'c'", "a.b 'c'"},
	}
	for _, tt := range tests {
		if got := roffLine(tt.in); got != tt.want {
			t.Errorf("roffLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestManPageDateFromClock(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	ios, _, _, _ := TestStreams()
	env := map[string]string{"VOLACT_CLOCK_OFFSET": "48h"}
	f := &Factory{IO: ios, Getenv: func(k string) string { return env[k] }, SysNow: func() time.Time { return now }, Opts: &GlobalOptions{}}
	got, err := manDate(f)
	if err != nil || !got.Equal(now.Add(48*time.Hour)) {
		t.Errorf("manDate = %v, %v; want the injected clock %v", got, err, now.Add(48*time.Hour))
	}
}
