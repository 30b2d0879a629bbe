package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/volact/volact/internal/termsafe"
)

// alias maps an ospp.vbs / slmgr.vbs switch to a volact verb.
type alias struct {
	verb   []string // verb and fixed arguments
	legacy string   // output style the old tool used: "ospp" or "slmgr"
	arg    argMode
}

type argMode int

const (
	argNone     argMode = iota // the switch takes no value
	argRequired                // /inpkey:KEY or /ipk KEY
	argOptional                // /dlv [all|SKU]
)

// aliases is the table of design §8. Keys are lower case, without the prefix.
var aliases = map[string]alias{
	"act":            {verb: []string{"act"}, legacy: "ospp"},
	"ato":            {verb: []string{"act"}, legacy: "slmgr"},
	"dstatus":        {verb: []string{"dstatus"}, legacy: "ospp"},
	"dstatusall":     {verb: []string{"dstatus", "--all"}, legacy: "ospp"},
	"inpkey":         {verb: []string{"inpkey"}, legacy: "ospp", arg: argRequired},
	"ipk":            {verb: []string{"inpkey"}, legacy: "slmgr", arg: argRequired},
	"unpkey":         {verb: []string{"unpkey"}, legacy: "ospp", arg: argRequired},
	"upk":            {verb: []string{"unpkey"}, legacy: "slmgr", arg: argOptional},
	"dlv":            {verb: []string{"dlv"}, legacy: "slmgr", arg: argOptional},
	"dli":            {verb: []string{"dli"}, legacy: "slmgr", arg: argOptional},
	"xpr":            {verb: []string{"xpr"}, legacy: "slmgr", arg: argOptional},
	"sethst":         {verb: []string{"sethst"}, legacy: "ospp", arg: argRequired},
	"skms":           {verb: []string{"sethst"}, legacy: "slmgr", arg: argRequired},
	"setprt":         {verb: []string{"setprt"}, legacy: "ospp", arg: argRequired},
	"remhst":         {verb: []string{"remhst"}, legacy: "ospp"},
	"ckms":           {verb: []string{"remhst"}, legacy: "slmgr"},
	"cachst":         {verb: []string{"cachst"}, legacy: "ospp", arg: argRequired},
	"skhc":           {verb: []string{"cachst", "true"}, legacy: "slmgr"},
	"ckhc":           {verb: []string{"cachst", "false"}, legacy: "slmgr"},
	"skms-domain":    {verb: []string{"setdomain"}, legacy: "slmgr", arg: argRequired},
	"rearm":          {verb: []string{"rearm"}, legacy: "slmgr"},
	"dinstid":        {verb: []string{"dinstid"}, legacy: "ospp"},
	"dti":            {verb: []string{"dinstid"}, legacy: "slmgr"},
	"actcid":         {verb: []string{"actcid"}, legacy: "ospp", arg: argRequired},
	"atp":            {verb: []string{"actcid"}, legacy: "slmgr", arg: argRequired},
	"dcmid":          {verb: []string{"dcmid"}, legacy: "ospp"},
	"dhistoryacterr": {verb: []string{"history"}, legacy: "ospp"},
	"ddescr":         {verb: []string{"ddescr"}, legacy: "ospp", arg: argRequired},
	"?":              {verb: []string{"help"}},
	"help":           {verb: []string{"help"}},
}

// legacyNames are the program names under which volact speaks only the old
// argument syntax (design §10, multi-call).
var legacyNames = map[string]bool{"ospp": true, "ospp.vbs": true, "slmgr": true, "slmgr.vbs": true}

// isLegacyProgram reports whether argv0 names ospp or slmgr.
func isLegacyProgram(argv0 string) bool {
	base := strings.ToLower(filepath.Base(strings.ReplaceAll(argv0, `\`, "/")))
	base = strings.TrimSuffix(base, ".exe")
	return legacyNames[base]
}

// splitSwitch reads "/inpkey:KEY" or "-DLV" into ("inpkey", "KEY", true).
func splitSwitch(arg string) (name, value string, hasValue, ok bool) {
	if len(arg) < 2 || (arg[0] != '/' && arg[0] != '-') || strings.HasPrefix(arg, "--") {
		return "", "", false, false
	}
	body := arg[1:]
	name = body
	if i := strings.IndexByte(body, ':'); i >= 0 {
		name, value, hasValue = body[:i], body[i+1:], true
	}
	name = strings.ToLower(name)
	if _, known := aliases[name]; !known {
		return "", "", false, false
	}
	return name, value, hasValue, true
}

// translateArgs rewrites the first ospp/slmgr switch in args into volact's
// verb syntax. With legacyOnly (invoked as ospp/slmgr) a leading argument that
// is not such a switch is a usage error. It returns the rewritten arguments.
func translateArgs(args []string, legacyOnly bool) ([]string, error) {
	for i, a := range args {
		name, value, hasValue, ok := splitSwitch(a)
		if !ok {
			if legacyOnly && !strings.HasPrefix(a, "--") {
				return nil, fmt.Errorf("unknown option %q: use the ospp.vbs/slmgr.vbs switches (/dstatus, /inpkey:KEY, /dli, /ato, ...)", a)
			}
			continue
		}
		al := aliases[name]
		out := append([]string{}, args[:i]...)
		out = append(out, al.verb...)
		rest := args[i+1:]
		switch al.arg {
		case argRequired:
			if !hasValue {
				if len(rest) == 0 {
					return nil, fmt.Errorf("%s needs a value, as in /%s:VALUE or /%s VALUE", termsafe.String(a), name, name)
				}
				value, rest, hasValue = rest[0], rest[1:], true
			}
			out = append(out, value)
		case argOptional:
			if hasValue {
				out = append(out, value)
			} else if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") && !strings.HasPrefix(rest[0], "/") {
				out, rest = append(out, rest[0]), rest[1:]
			}
		default:
			if hasValue {
				return nil, fmt.Errorf("%s takes no value", termsafe.String(a))
			}
		}
		if al.legacy != "" {
			out = append(out, "--legacy="+al.legacy)
		}
		return append(out, rest...), nil
	}
	if legacyOnly {
		// Only flags (ospp.vbs --json) or nothing: help. A flag cobra
		// does not know (ospp.vbs --bogus) still fails as a usage error.
		return append(append([]string{}, args...), "help"), nil
	}
	return args, nil
}
