package cmdutil

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/volact/volact/internal/build"
	"github.com/volact/volact/internal/hresult"
)

// NewShellCmds returns the shell-integration verbs: completion, version and
// the hidden man page generator.
func NewShellCmds(f *Factory) []*cobra.Command {
	return []*cobra.Command{newCompletionCmd(f), newVersionCmd(f), newManCmd(f)}
}

// completionWriters maps a shell to the cobra generator of its script.
var completionWriters = map[string]func(root *cobra.Command, w io.Writer) error{
	"bash":       func(r *cobra.Command, w io.Writer) error { return r.GenBashCompletionV2(w, true) },
	"zsh":        func(r *cobra.Command, w io.Writer) error { return r.GenZshCompletion(w) },
	"fish":       func(r *cobra.Command, w io.Writer) error { return r.GenFishCompletion(w, true) },
	"powershell": func(r *cobra.Command, w io.Writer) error { return r.GenPowerShellCompletionWithDesc(w) },
}

func newCompletionCmd(f *Factory) *cobra.Command {
	shells := make([]string, 0, len(completionWriters))
	for s := range completionWriters {
		shells = append(shells, s)
	}
	sort.Strings(shells)
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print the shell completion script for bash, zsh, fish or PowerShell",
		Long: `Print a script that makes the shell complete volact verbs, flags and SKUs.
Load it once per session, or install it where the shell looks for completions.`,
		Example: `  # bash (needs the bash-completion package)
  volact completion bash > /etc/bash_completion.d/volact
  source <(volact completion bash)
  # zsh
  volact completion zsh > "${fpath[1]}/_volact"
  # fish
  volact completion fish > ~/.config/fish/completions/volact.fish
  # PowerShell (add to $PROFILE)
  volact completion powershell | Out-String | Invoke-Expression`,
		ValidArgs:             shells,
		DisableFlagsInUseLine: true,
		Args:                  Args(1, 1),
		RunE: func(cmd *cobra.Command, a []string) error {
			gen, ok := completionWriters[strings.ToLower(a[0])]
			if !ok {
				return &UsageError{Err: fmt.Errorf("unknown shell %q: use one of %s", a[0], strings.Join(shells, ", "))}
			}
			return gen(cmd.Root(), f.IO.Out)
		},
	}
}

// VersionInfo is what `volact version` reports.
type VersionInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`             // VCS revision, "" when unknown
	Modified  bool   `json:"modified,omitempty"` // built from a tree with local changes
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
}

// versionInfo assembles the version report from the link-time version and
// the build information the Go toolchain embedded (ok false: none).
func versionInfo(bi *debug.BuildInfo, ok bool) VersionInfo {
	v := VersionInfo{Version: build.Version, GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if !ok || bi == nil {
		return v
	}
	if bi.GoVersion != "" {
		v.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	if v.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v.Version = bi.Main.Version // go install module@version
	}
	return v
}

func newVersionCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Show the volact version, commit, Go version and platform",
		Example: "  volact version\n  volact version --json",
		Args:    Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := versionInfo(debug.ReadBuildInfo())
			switch {
			case f.Opts.JSON:
				WriteJSON(f.IO.Out, v)
			case f.Opts.Quiet:
			default:
				commit := v.Commit
				if commit == "" {
					commit = "unknown"
				}
				if v.Modified {
					commit += " (modified)"
				}
				f.IO.Linef("%s %s", cmd.Root().Name(), v.Version)
				f.IO.Linef("commit:   %s", commit)
				f.IO.Linef("go:       %s", v.GoVersion)
				f.IO.Linef("platform: %s/%s", v.OS, v.Arch)
			}
			return nil
		},
	}
}

func newManCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "man DIR",
		Short: "Write a man page for every command into DIR",
		Long: `Write volact.1 and one page per verb (volact-act.1, volact-mak-serve.1, ...)
into DIR, creating it. The date in the pages is SOURCE_DATE_EPOCH when set
(reproducible builds), else today.`,
		Example: "  volact man /usr/local/share/man/man1\n  make man",
		Hidden:  true,
		Args:    Args(1, 1),
		RunE: func(cmd *cobra.Command, a []string) error {
			date, err := manDate(f)
			if err != nil {
				return err
			}
			pages, err := writeManPages(cmd.Root(), a[0], date)
			if err != nil {
				return hresult.Wrap(hresult.Internal, err, "write man pages").WithExit(hresult.ExitInvalid)
			}
			switch {
			case f.Opts.JSON:
				WriteJSON(f.IO.Out, map[string]any{"dir": a[0], "pages": pages})
			case f.Opts.Quiet:
			default:
				f.IO.Linef("Wrote %d man pages to %s.", len(pages), a[0])
			}
			return nil
		},
	}
}

// manDate is the date printed in the pages: SOURCE_DATE_EPOCH or the clock.
func manDate(f *Factory) (time.Time, error) {
	s := f.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return f.Now()
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, Invalidf("SOURCE_DATE_EPOCH=%q is not a number of seconds", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// writeManPages writes one page per visible command under root into dir and
// returns the file names, sorted.
func writeManPages(root *cobra.Command, dir string, date time.Time) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var pages []string
	var walk func(c *cobra.Command) error
	walk = func(c *cobra.Command) error {
		if c != root && !c.IsAvailableCommand() {
			return nil
		}
		name := manName(c) + ".1"
		// As --out: a symlink or device in dir is refused, a page is
		// replaced whole.
		if err := WriteOutFile(io.Discard, "man", filepath.Join(dir, name), manPage(c, date), 0o644); err != nil {
			return err
		}
		pages = append(pages, name)
		for _, sub := range c.Commands() {
			if err := walk(sub); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	sort.Strings(pages)
	return pages, nil
}

// manName is the page name of c: its command path joined by dashes.
func manName(c *cobra.Command) string {
	return strings.ReplaceAll(c.CommandPath(), " ", "-")
}

// manPage renders c as a roff man page in section 1.
func manPage(c *cobra.Command, date time.Time) []byte {
	var b bytes.Buffer
	title := strings.ToUpper(manName(c))
	fmt.Fprintf(&b, ".TH %q \"1\" %q \"volact %s\" \"volact manual\"\n", title, date.Format("2006-01-02"), build.Version)
	fmt.Fprintf(&b, ".SH NAME\n%s \\- %s\n", roffEscape(manName(c)), roffEscape(c.Short))
	fmt.Fprintf(&b, ".SH SYNOPSIS\n.B %s\n", roffEscape(c.UseLine()))
	desc := c.Long
	if desc == "" {
		desc = c.Short
	}
	b.WriteString(".SH DESCRIPTION\n")
	roffText(&b, desc)
	if len(c.Aliases) > 0 {
		fmt.Fprintf(&b, ".PP\nAliases: %s\n", roffEscape(strings.Join(c.Aliases, ", ")))
	}
	roffFlags(&b, "OPTIONS", c.NonInheritedFlags())
	roffFlags(&b, "GLOBAL OPTIONS", c.InheritedFlags())
	if c.Example != "" {
		b.WriteString(".SH EXAMPLES\n.PP\n.nf\n.RS\n")
		for _, l := range strings.Split(strings.TrimRight(c.Example, "\n"), "\n") {
			b.WriteString(roffLine(strings.TrimPrefix(l, "  ")) + "\n")
		}
		b.WriteString(".RE\n.fi\n")
	}
	var see []string
	if c.HasParent() {
		see = append(see, manName(c.Parent()))
	}
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			see = append(see, manName(sub))
		}
	}
	if len(see) > 0 {
		b.WriteString(".SH SEE ALSO\n")
		for i, s := range see {
			sep := ","
			if i == len(see)-1 {
				sep = ""
			}
			fmt.Fprintf(&b, ".BR %s (1)%s\n", roffEscape(s), sep)
		}
	}
	return b.Bytes()
}

// roffFlags writes a section listing the visible flags of fs.
func roffFlags(b *bytes.Buffer, section string, fs *pflag.FlagSet) {
	first := true
	fs.VisitAll(func(fl *pflag.Flag) {
		if fl.Hidden {
			return
		}
		if first {
			fmt.Fprintf(b, ".SH %s\n", section)
			first = false
		}
		varname, usage := pflag.UnquoteUsage(fl)
		head := `\fB\-\-` + roffEscape(fl.Name) + `\fR`
		if fl.Shorthand != "" {
			head = `\fB\-` + roffEscape(fl.Shorthand) + `\fR, ` + head
		}
		if varname != "" {
			head += ` \fI` + roffEscape(varname) + `\fR`
		}
		switch fl.DefValue {
		case "", "false", "0", "[]":
		default:
			usage += " (default " + fl.DefValue + ")"
		}
		fmt.Fprintf(b, ".TP\n%s\n%s\n", head, roffLine(usage))
	})
}

// roffText writes text as paragraphs: indented blocks keep their lines,
// other paragraphs are filled.
func roffText(b *bytes.Buffer, text string) {
	for _, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		lines := strings.Split(strings.Trim(para, "\n"), "\n")
		pre := false
		for _, l := range lines[1:] {
			pre = pre || strings.HasPrefix(l, " ")
		}
		b.WriteString(".PP\n")
		if pre {
			b.WriteString(".nf\n")
		}
		for _, l := range lines {
			b.WriteString(roffLine(l) + "\n")
		}
		if pre {
			b.WriteString(".fi\n")
		}
	}
}

// roffLine escapes one line of text so roff does not take it as a request.
func roffLine(s string) string {
	s = roffEscape(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// roffEscape escapes backslashes and dashes for roff.
func roffEscape(s string) string {
	return strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
}
