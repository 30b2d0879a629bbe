package e2e_test

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/volact/volact/internal/cli"
	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/servercli"
)

// TestEveryVerbHasExample walks the command tree: every verb a user can run
// shows at least one example in its --help (issue 5).
func TestEveryVerbHasExample(t *testing.T) {
	for _, root := range []*cobra.Command{
		cli.NewRootCmd(newFactory()), servercli.NewRootCmd(newFactory()),
	} {
		checkExamples(t, root)
	}
}

func newFactory() *cmdutil.Factory {
	ios, _, _, _ := cmdutil.TestStreams()
	return cmdutil.NewFactory(ios)
}

// checkExamples checks every runnable, visible verb under root.
func checkExamples(t *testing.T, root *cobra.Command) {
	t.Helper()
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		if c.Runnable() && !c.Hidden {
			n++
			if strings.TrimSpace(c.Example) == "" {
				t.Errorf("%q has no Example in its --help", c.CommandPath())
			} else if !strings.Contains(c.Example, "volact") {
				t.Errorf("%q: Example does not show a volact command line: %q", c.CommandPath(), c.Example)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if n < 12 {
		t.Fatalf("walked only %d runnable verbs: the tree is not the real one", n)
	}
}
