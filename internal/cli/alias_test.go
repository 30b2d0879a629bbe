package cli

import (
	"slices"
	"strings"
	"testing"
)

// TestTranslateArgs checks the rewriting of each old switch form.
func TestTranslateArgs(t *testing.T) {
	tests := []struct {
		in     string
		legacy bool
		want   string // "" with wantErr
		errHas string
	}{
		{in: "/dstatus", want: "dstatus --legacy=ospp"},
		{in: "-DSTATUS", want: "dstatus --legacy=ospp"},
		{in: "/dstatusall", want: "dstatus --all --legacy=ospp"},
		{in: "/inpkey:K-1", want: "inpkey K-1 --legacy=ospp"},
		{in: "/ipk K-1", want: "inpkey K-1 --legacy=slmgr"},
		{in: "-IPK:K-1", want: "inpkey K-1 --legacy=slmgr"},
		{in: "/unpkey:ABCDE", want: "unpkey ABCDE --legacy=ospp"},
		{in: "/upk", want: "unpkey --legacy=slmgr"},
		{in: "/dlv all", want: "dlv all --legacy=slmgr"},
		{in: "/dlv --json", want: "dlv --legacy=slmgr --json"},
		{in: "/dli", want: "dli --legacy=slmgr"},
		{in: "/xpr", want: "xpr --legacy=slmgr"},
		{in: "/sethst:h", want: "sethst h --legacy=ospp"},
		{in: "/skms h:1700", want: "sethst h:1700 --legacy=slmgr"},
		{in: "/skms:[fd00::5]:1688", want: "sethst [fd00::5]:1688 --legacy=slmgr"},
		{in: "/setprt:1700", want: "setprt 1700 --legacy=ospp"},
		{in: "/remhst", want: "remhst --legacy=ospp"},
		{in: "/ckms", want: "remhst --legacy=slmgr"},
		{in: "/cachst:TRUE", want: "cachst TRUE --legacy=ospp"},
		{in: "/skhc", want: "cachst true --legacy=slmgr"},
		{in: "/ckhc", want: "cachst false --legacy=slmgr"},
		{in: "/skms-domain:corp.example.com", want: "setdomain corp.example.com --legacy=slmgr"},
		{in: "/rearm", want: "rearm --legacy=slmgr"},
		{in: "/dcmid", want: "dcmid --legacy=ospp"},
		{in: "/dhistoryacterr", want: "history --legacy=ospp"},
		{in: "/ddescr:0xC004F074", want: "ddescr 0xC004F074 --legacy=ospp"},
		{in: "/act", want: "act --legacy=ospp"},
		{in: "/ato", want: "act --legacy=slmgr"},
		{in: "--json /dstatus", want: "--json dstatus --legacy=ospp"},
		{in: "/dstatus -q", want: "dstatus --legacy=ospp -q"},
		{in: "dstatus --all", want: "dstatus --all"},
		{in: "inpkey -q K", want: "inpkey -q K"},
		{in: "/nosuch", want: "/nosuch"}, // left to cobra: unknown command
		{in: "", legacy: true, want: "help"},
		{in: "/dstatus", legacy: true, want: "dstatus --legacy=ospp"},
		{in: "--json /dli", legacy: true, want: "--json dli --legacy=slmgr"},
		{in: "dstatus", legacy: true, errHas: `unknown option "dstatus"`},
		{in: "/nosuch", legacy: true, errHas: `unknown option "/nosuch"`},
		{in: "/ipk", errHas: "/ipk needs a value"},
		{in: "/remhst:x", errHas: "takes no value"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := translateArgs(strings.Fields(tt.in), tt.legacy)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("err = %v, want one containing %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := strings.Join(got, " "); s != tt.want {
				t.Errorf("got %q, want %q", s, tt.want)
			}
		})
	}
}

// TestIsLegacyProgram checks the multi-call names.
func TestIsLegacyProgram(t *testing.T) {
	for name, want := range map[string]bool{
		"ospp": true, "ospp.vbs": true, "slmgr": true, "SLMGR.VBS": true, "/usr/bin/slmgr": true,
		`C:\Tools\ospp.exe`: true, "slmgr.vbs.exe": true, "volact": false, "ospp2": false, "": false,
	} {
		if got := isLegacyProgram(name); got != want {
			t.Errorf("isLegacyProgram(%q) = %v, want %v", name, got, want)
		}
	}
}

// FuzzTranslateArgs feeds arbitrary argument lists (NUL-separated) to the
// switch parser: it never panics, and a known switch never turns into an
// empty command line.
func FuzzTranslateArgs(f *testing.F) {
	for _, s := range []string{"/dstatus", "/ipk\x00KEY", "-DLV:all", "/skms\x00h:1", "--json\x00/dli", "dstatus\x00--all", "/", "-", "/:", "/inpkey:", "/?"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, joined string, legacy bool) {
		args := strings.Split(joined, "\x00")
		in := slices.Clone(args)
		out, err := translateArgs(args, legacy)
		if !slices.Equal(args, in) {
			t.Fatalf("translateArgs changed its input: %q -> %q", in, args)
		}
		if err != nil {
			if out != nil {
				t.Errorf("output %q with error %v", out, err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("error is not one line: %q", err)
			}
			return
		}
		known := -1
		for i, a := range args {
			if _, _, _, ok := splitSwitch(a); ok {
				known = i
				break
			}
		}
		switch {
		case known >= 0:
			name, _, _, _ := splitSwitch(args[known])
			if len(out) == 0 || !slices.Contains(out, aliases[name].verb[0]) {
				t.Errorf("known switch %q gave %q", args[known], out)
			}
		case legacy:
			// Only flags (ospp.vbs --json) or nothing: the flags, then help.
			if want := append(slices.Clone(args), "help"); !slices.Equal(out, want) {
				t.Errorf("legacy call without a switch gave %q, want %q", out, want)
			}
		default:
			if !slices.Equal(out, args) {
				t.Errorf("no switch: %q was rewritten to %q", args, out)
			}
		}
	})
}
