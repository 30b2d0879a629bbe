package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/hresult"
)

// fakeView records which rendering emit chose.
type fakeView struct{}

type fakeOspp struct{ fakeView }
type fakeSlmgr struct{ fakeView }
type fakeBoth struct{ fakeView }
type fakePartial struct{ fakeView }

func (fakeView) jsonValue() any               { return map[string]string{"view": "fake"} }
func (fakeView) human(l *lineWriter) error    { l.line("human"); return nil }
func (fakeOspp) ospp(l *lineWriter) error     { l.line("ospp"); return nil }
func (fakeSlmgr) slmgr(l *lineWriter) error   { l.line("slmgr"); return nil }
func (fakeBoth) ospp(l *lineWriter) error     { l.line("ospp"); return nil }
func (fakeBoth) slmgr(l *lineWriter) error    { l.line("slmgr"); return nil }
func (fakePartial) slmgr(l *lineWriter) error { l.line("slmgr"); return nil }
func (fakePartial) jsonWithError(e cmdutil.ErrorJSON) any {
	return map[string]any{"view": "fake", "error": e}
}

// TestEmitChoosesRendering runs emit in every output mode on views with
// and without their own ospp and slmgr text.
func TestEmitChoosesRendering(t *testing.T) {
	views := map[string]view{"human only": fakeView{}, "ospp": fakeOspp{}, "slmgr": fakeSlmgr{}, "both": fakeBoth{}}
	modes := []struct {
		name   string
		opts   cmdutil.GlobalOptions
		want   map[string]string // view -> stdout
		silent bool
	}{
		{"human", cmdutil.GlobalOptions{}, map[string]string{"human only": "human\n", "ospp": "human\n", "slmgr": "human\n", "both": "human\n"}, false},
		{"ospp", cmdutil.GlobalOptions{Legacy: "ospp"}, map[string]string{"human only": "human\n", "ospp": "ospp\n", "slmgr": "human\n", "both": "ospp\n"}, false},
		{"slmgr", cmdutil.GlobalOptions{Legacy: "slmgr"}, map[string]string{"human only": "human\n", "ospp": "human\n", "slmgr": "slmgr\n", "both": "slmgr\n"}, false},
		{"quiet", cmdutil.GlobalOptions{Quiet: true, Legacy: "ospp"}, map[string]string{"human only": "", "ospp": "", "slmgr": "", "both": ""}, false},
		{"json", cmdutil.GlobalOptions{JSON: true, Legacy: "slmgr"}, map[string]string{"human only": "{\n  \"view\": \"fake\"\n}\n", "ospp": "{\n  \"view\": \"fake\"\n}\n", "slmgr": "{\n  \"view\": \"fake\"\n}\n", "both": "{\n  \"view\": \"fake\"\n}\n"}, false},
	}
	for _, m := range modes {
		for name, v := range views {
			t.Run(m.name+"/"+name, func(t *testing.T) {
				f, out, _ := testFactory(nil)
				*f.Opts = m.opts
				if err := emit(f, v, nil); err != nil {
					t.Fatal(err)
				}
				if got := out.String(); got != m.want[name] {
					t.Errorf("stdout %q, want %q", got, m.want[name])
				}
			})
		}
	}
}

// TestEmitFailures covers the error paths: a failure without a result
// (legacy ERROR CODE text), a partial failure (the result, and with --json
// the error object inside the document) and an already reported failure.
func TestEmitFailures(t *testing.T) {
	low := hresult.New(hresult.CountTooLow, "count 1 of 5 needed").WithHint("retry later")
	low.CurrentCount = 1
	silent := errors.Join(hresult.New(hresult.GraceExpired, "not licensed").WithExit(hresult.ExitNotLicensed), cmdutil.ErrSilent)
	frame := osppProcessing + "\n" + osppSeparator + "\nERROR CODE: 0xC004F038\nERROR DESCRIPTION: count 1 of 5 needed\n" + osppSeparator + "\n" + osppSeparator + "\n" + osppExiting + "\n"
	tests := []struct {
		name       string
		opts       cmdutil.GlobalOptions
		v          view
		err        error
		wantOut    string
		wantSilent bool // the returned error is not printed again
	}{
		{"no result, human", cmdutil.GlobalOptions{}, nil, low, "", false},
		{"no result, ospp", cmdutil.GlobalOptions{Legacy: "ospp"}, nil, low, frame, false},
		{"no result, slmgr", cmdutil.GlobalOptions{Legacy: "slmgr"}, nil, low, "ERROR CODE: 0xC004F038\nERROR DESCRIPTION: count 1 of 5 needed\n", false},
		{"no result, quiet", cmdutil.GlobalOptions{Quiet: true, Legacy: "ospp"}, nil, low, "", false},
		{"no result, json", cmdutil.GlobalOptions{JSON: true, Legacy: "ospp"}, nil, low, "", false},
		{"partial, slmgr", cmdutil.GlobalOptions{Legacy: "slmgr"}, fakePartial{}, low, "slmgr\n", false},
		{"partial, json", cmdutil.GlobalOptions{JSON: true}, fakePartial{},
			low, `{"error":{"code":"0xC004F038","message":"count 1 of 5 needed","hint":"retry later","exit":5,"current_count":1},"view":"fake"}`, true},
		{"not partial, json", cmdutil.GlobalOptions{JSON: true}, fakeView{}, low, "", false},
		{"reported, json", cmdutil.GlobalOptions{JSON: true}, fakeView{}, silent, `{"view":"fake"}`, true},
		{"reported, human", cmdutil.GlobalOptions{}, fakeView{}, silent, "human\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, out, _ := testFactory(nil)
			*f.Opts = tt.opts
			err := emit(f, tt.v, tt.err)
			if hresult.CodeOf(err) != hresult.CodeOf(tt.err) {
				t.Fatalf("emit returned %v, want %v", err, tt.err)
			}
			if got := errors.Is(err, cmdutil.ErrSilent); got != tt.wantSilent {
				t.Errorf("silent = %v, want %v", got, tt.wantSilent)
			}
			got := out.String()
			if tt.opts.JSON && got != "" {
				got = compactJSON(t, got)
			}
			if got != tt.wantOut {
				t.Errorf("stdout\n%s\nwant\n%s", got, tt.wantOut)
			}
		})
	}
}

func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return b.String()
}

// TestEmitVerbs runs verbs in-process in every output mode, against a
// store with a catalog and a key: each verb prints through the emitter.
func TestEmitVerbs(t *testing.T) {
	tests := []struct {
		name string
		args []string // after the program name
		prog string   // volact unless set
		exit int
		want []string // substrings of stdout, in order; "" = stdout empty
	}{
		// inpkey: JSON, quiet, ospp, slmgr, human.
		{"inpkey json", []string{"inpkey", "--json", keySuiteMAK}, "", 0, []string{`"partial_key": "VVTHF"`}},
		{"inpkey quiet", []string{"inpkey", "-q", keySuiteMAK}, "", 0, []string{""}},
		{"inpkey ospp", []string{"/inpkey:" + keySuiteMAK}, "", 0, []string{osppProcessing, "<Product key installation successful>", osppExiting}},
		{"inpkey slmgr", []string{"/ipk", keySuiteMAK}, "slmgr.vbs", 0, []string{"Installed product key VVTHF successfully.\n"}},
		{"inpkey human", []string{"inpkey", keySuiteMAK}, "", 0, []string{"Installed product key VVTHF successfully.\n"}},
		// inpkey failure: ERROR CODE text in the old styles only.
		{"inpkey typo json", []string{"inpkey", "--json", keySuiteTypo}, "", 3, []string{`"error": {`, `"code": "0xC004F050"`}},
		{"inpkey typo ospp", []string{"/inpkey:" + keySuiteTypo}, "ospp.vbs", 3, []string{osppProcessing, "ERROR CODE: 0xC004F050", osppExiting}},
		{"inpkey typo slmgr", []string{"/ipk", keySuiteTypo}, "slmgr", 3, []string{"ERROR CODE: 0xC004F050\nERROR DESCRIPTION: "}},
		{"inpkey typo human", []string{"inpkey", keySuiteTypo}, "", 3, []string{""}},
		// dstatus: ospp text is its human form too.
		{"dstatus json", []string{"dstatus", "--json", "--check"}, "", 6, []string{`"status": "oob_grace"`, `"reason": ""`}},
		{"dstatus quiet", []string{"dstatus", "-q"}, "", 0, []string{""}},
		{"dstatus ospp", []string{"/dstatus"}, "", 0, []string{osppProcessing, "LICENSE STATUS:  ---OOB_GRACE--- ", osppExiting}},
		{"dstatus human", []string{"dstatus"}, "", 0, []string{osppProcessing, "LICENSE STATUS:  ---OOB_GRACE--- "}},
		// dli: slmgr text is its human form too; an unknown SKU fails.
		{"dli json", []string{"dli", "--json", "suite-pro"}, "", 0, []string{`"sku": "suite-pro"`}},
		{"dli slmgr", []string{"/dli"}, "slmgr.vbs", 0, []string{"Name: volact Suite Pro\n", "License Status: Initial grace period\n"}},
		{"dli human", []string{"dli"}, "", 0, []string{"License Status: Initial grace period\n"}},
		{"dli unknown sku", []string{"dli", "nope"}, "", 3, []string{""}},
		// sethst: ospp frame by default, slmgr line through /skms.
		{"sethst json", []string{"sethst", "--json", "kms.example.com"}, "", 0, []string{`"kms_host": "kms.example.com"`}},
		{"sethst quiet", []string{"sethst", "-q", "kms.example.com"}, "", 0, []string{""}},
		{"sethst ospp", []string{"/sethst:kms.example.com"}, "", 0, []string{osppProcessing, "<Successfully applied setting.>"}},
		{"sethst slmgr", []string{"/skms", "kms.example.com"}, "slmgr", 0, []string{"Key Management Service machine name set to kms.example.com:1688 successfully.\n"}},
		{"sethst human", []string{"sethst", "kms.example.com"}, "", 0, []string{"<Successfully applied setting.>"}},
		// history and ddescr: quiet silences them like every verb.
		{"history json", []string{"history", "--json"}, "", 0, []string{`"action": "inpkey"`, `"code": "0x00000000"`}},
		{"history quiet", []string{"history", "-q"}, "", 0, []string{""}},
		{"history ospp", []string{"/dhistoryacterr"}, "", 0, []string{"TIME\tSKU\tACTION\tCODE\tHOST\tMESSAGE\n"}},
		{"history human", []string{"history"}, "", 0, []string{"\tsuite-pro\tinpkey\t0x00000000\t"}},
		{"ddescr json", []string{"ddescr", "--json", "0xC004F038"}, "", 0, []string{`"code": "0xC004F038"`, `"exit": 5`}},
		{"ddescr quiet", []string{"ddescr", "-q", "0xC004F038"}, "", 0, []string{""}},
		{"ddescr ospp", []string{"/ddescr:0xC004F038"}, "", 0, []string{"ERROR CODE: 0xC004F038\nERROR DESCRIPTION: "}},
		// act with no host: a partial failure, its result shown.
		{"act slmgr", []string{"/ato"}, "", 4, []string{"Activating volact Suite Pro (suite-pro) ...\n", "ERROR CODE: 0xC004F074\n"}},
		{"act json", []string{"act", "--json"}, "", 4, []string{`"error": {`, `"code": "0xC004F074"`, `"hint": "`, `"results": [`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			if !strings.Contains(tt.name, "inpkey") {
				e.mustRun(t, "inpkey", keySuiteMAK)
			}
			prog := tt.prog
			if prog == "" {
				prog = "volact"
			}
			out, errOut, code := e.run(t, prog, tt.args...)
			if code != tt.exit {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.exit, out, errOut)
			}
			rest := out
			for _, w := range tt.want {
				if w == "" {
					if out != "" {
						t.Errorf("stdout not empty:\n%s", out)
					}
					continue
				}
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("stdout lacks %q (in order):\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}
