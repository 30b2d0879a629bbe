package cli

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
)

// renderStatus renders r as one legacy view: dstatus (ospp) or dli, dlv,
// xpr (slmgr), through emit as the commands print it.
func renderStatus(t *testing.T, name string, r *client.Report, crlf bool) []byte {
	t.Helper()
	f, out, _ := testFactory(nil)
	f.IO.CRLF = crlf
	var v view
	switch name {
	case "dstatus":
		f.Opts.Legacy = "ospp"
		v = dstatusView{r}
	case "dli", "dlv", "xpr":
		f.Opts.Legacy = "slmgr"
		v = slmgrStatusView{r, slmgrRenderers[name]}
	default:
		t.Fatalf("unknown view %q", name)
	}
	if err := emit(f, v, nil); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out.Bytes()
}

func reportOf(ps ...client.ProductStatus) *client.Report {
	return &client.Report{Products: ps, TrustedTime: fixedNow}
}

// TestLegacyStatusGolden renders every licensing state in each old view
// and compares it with its golden file, then checks the properties scripts
// rely on.
func TestLegacyStatusGolden(t *testing.T) {
	utcLocal(t)
	cases := append(statusCases(), statusCase{name: "no_keys"})
	for _, c := range cases {
		r := reportOf()
		if c.p.SKU != "" {
			r = reportOf(c.p)
		}
		for _, view := range []string{"dstatus", "dli", "dlv", "xpr"} {
			if c.name == "no_keys" && view != "dstatus" {
				continue // the slmgr views fail without a key (see TestScript)
			}
			t.Run(view+"_"+c.name, func(t *testing.T) {
				got := renderStatus(t, view, r, false)
				checkGolden(t, view+"_"+c.name, got)
				if view == "dstatus" {
					checkOsppText(t, got)
				} else {
					checkSlmgrText(t, view, got)
				}
			})
		}
	}
}

// TestLegacyStatusGoldenMulti shows several products at once: blocks are
// separated as the old tools did.
func TestLegacyStatusGoldenMulti(t *testing.T) {
	utcLocal(t)
	var ps []client.ProductStatus
	for _, c := range statusCases() {
		if c.name == "licensed_mak" || c.name == "licensed_kms_dns" || c.name == "unlicensed_no_key" {
			ps = append(ps, c.p)
		}
	}
	for _, view := range []string{"dstatus", "dli"} {
		got := renderStatus(t, view, reportOf(ps...), false)
		checkGolden(t, view+"_multi", got)
		// CRLF mode (Windows): the same bytes with \r\n line ends.
		crlf := renderStatus(t, view, reportOf(ps...), true)
		checkGolden(t, view+"_multi_crlf", crlf)
		if want := bytes.ReplaceAll(got, []byte("\n"), []byte("\r\n")); !bytes.Equal(crlf, want) {
			t.Errorf("%s: CRLF output is not the LF output with \\r\\n line ends", view)
		}
	}
}

var osppStatusLine = regexp.MustCompile(`^LICENSE STATUS:  ---(UNLICENSED|LICENSED|OOB_GRACE|OOT_GRACE|NOTIFICATIONS)--- $`)

// checkOsppText asserts what scripts parsing ospp /dstatus rely on.
func checkOsppText(t *testing.T, out []byte) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if lines[0] != osppProcessing || lines[len(lines)-1] != osppExiting {
		t.Errorf("not framed by ---Processing--- and ---Exiting---:\n%s", out)
	}
	for _, ln := range lines {
		switch {
		case strings.HasPrefix(ln, "Last 5 characters"):
			// Scripts cut the value at column 44 (0-based): Mid(line, 45, 5).
			if len(ln) != 49 || ln[:44] != "Last 5 characters of installed product key: " {
				t.Errorf("last-5 value is not at column 44 or the line goes on: %q", ln)
			}
		case strings.HasPrefix(ln, "LICENSE STATUS"):
			if !osppStatusLine.MatchString(ln) {
				t.Errorf("status line %q is not `LICENSE STATUS:  ---X--- `", ln)
			}
		case strings.HasPrefix(ln, "REMAINING GRACE"):
			if !regexp.MustCompile(`^REMAINING GRACE: \d+ days  \(\d+ minute\(s\) before expiring\)$`).MatchString(ln) {
				t.Errorf("grace line %q", ln)
			}
		case strings.HasPrefix(ln, "ERROR CODE"):
			if !regexp.MustCompile(`^ERROR CODE: 0x[0-9A-F]{8}$`).MatchString(ln) {
				t.Errorf("error line %q", ln)
			}
		}
	}
}

// dliAllowed are the only dli lines that may start with the words scripts
// grep for (Volume, Time, Timebased, License).
var dliAllowed = regexp.MustCompile(`^(License Status: |Volume activation expiration: \d+ minute\(s\) \(\d+ day\(s\)\)$|Time remaining: \d+ minute\(s\) \(\d+ day\(s\)\)$)`)

// checkSlmgrText asserts what scripts parsing slmgr output rely on.
func checkSlmgrText(t *testing.T, view string, out []byte) {
	t.Helper()
	for _, ln := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if strings.TrimRight(ln, " \t") != ln {
			t.Errorf("trailing space in slmgr output: %q", ln)
		}
		if view == "dli" {
			for _, w := range []string{"Volume", "Time", "Timebased", "License"} {
				if strings.HasPrefix(ln, w) && !dliAllowed.MatchString(ln) {
					t.Errorf("dli line %q starts with %q but is not a license line", ln, w)
				}
			}
		}
		if strings.HasPrefix(ln, " ") && !strings.HasPrefix(ln, "    ") || strings.HasPrefix(ln, "     ") {
			t.Errorf("indented line %q is not indented exactly 4 spaces", ln)
		}
	}
}

// TestLegacyActGolden renders /act (ospp) and /ato (slmgr) success and
// failure. A failure never prints success-looking text and returns the
// error for the exit status.
func TestLegacyActGolden(t *testing.T) {
	ok := []client.Result{{SKU: "suite-pro", Name: "volact Suite Pro", Status: license.Licensed, Code: hresult.OK, Message: "product activated successfully", CurrentCount: -1}}
	fail := hresult.New(hresult.NoHost, "no KMS host is configured or published in DNS")
	bad := []client.Result{{SKU: "workstation-ent", Name: "volact Workstation Enterprise", Status: license.OOBGrace, Code: fail.Code, Message: fail.Error(), CurrentCount: -1}}
	for _, style := range []string{"ospp", "slmgr"} {
		for _, c := range []struct {
			name string
			res  []client.Result
			err  error
		}{{"success", ok, nil}, {"failure", bad, fail}, {"no_key", nil, hresult.New(hresult.KeyNotInstalled, "no product key is installed")}} {
			t.Run(style+"_"+c.name, func(t *testing.T) {
				f, out, _ := testFactory(nil)
				f.Opts.Legacy = style
				var v view
				if c.res != nil {
					v = actView(c.res)
				}
				err := emit(f, v, c.err)
				if !errors.Is(err, c.err) {
					t.Fatalf("emit returned %v, want %v", err, c.err)
				}
				checkGolden(t, "act_"+style+"_"+c.name, out.Bytes())
				if c.err != nil && regexp.MustCompile(`(?i)success`).Match(out.Bytes()) {
					t.Errorf("failure printed success-looking text:\n%s", out)
				}
			})
		}
	}
}

// TestLegacyInstalledGolden renders /ipk and /inpkey success.
func TestLegacyInstalledGolden(t *testing.T) {
	in := client.Installation{SKU: "suite-pro", Name: "volact Suite Pro", Channel: "mak", PartialKey: "VVTHF"}
	for _, style := range []string{"ospp", "slmgr"} {
		f, out, _ := testFactory(nil)
		f.Opts.Legacy = style
		if err := emit(f, keyView{in, "<Product key installation successful>", "Installed product key VVTHF successfully."}, nil); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, "inpkey_"+style, out.Bytes())
	}
}
