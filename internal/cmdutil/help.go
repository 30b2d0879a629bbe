package cmdutil

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/hresult"
)

// newHelpCmd replaces cobra's help command, which answers an unknown topic
// with "Unknown help topic" and the whole usage on stdout, and exit 0: a
// script cannot tell a typo from success. Here an unknown topic is one
// line on stderr (or the --json error) and exit 2.
func newHelpCmd(prog string) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "Help shows the help of any command: " + prog + " help [command].",
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			cmd, _, err := c.Root().Find(args)
			if err != nil || cmd == nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []string
			for _, sub := range cmd.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					out = append(out, sub.Name()+"\t"+sub.Short)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || cmd == nil || len(rest) > 0 || (len(args) > 0 && cmd == c.Root()) {
				return hresult.Newf(hresult.InvalidArg, "unknown help topic %s: run '%s help' for the commands",
					strconv.QuoteToASCII(strings.Join(args, " ")), prog).WithExit(hresult.ExitUsage)
			}
			cmd.InitDefaultHelpFlag()
			return cmd.Help()
		},
	}
}

// guardGroups makes every command group under root (a command that only
// holds verbs, such as "volact catalog" or "volactd kms") answer an
// unknown verb as a usage error: one line and exit 2, where cobra prints
// the group's usage and exits 0, so that a script cannot tell a typo
// from success. A group without arguments still prints its usage. The
// root itself is left to cobra, which already refuses an unknown verb.
func guardGroups(root *cobra.Command) {
	for _, c := range root.Commands() {
		guardGroups(c)
		if !c.HasSubCommands() || c.Runnable() {
			continue
		}
		c.RunE = func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return c.Help()
			}
			msg := fmt.Sprintf("unknown command %s for %q", strconv.QuoteToASCII(args[0]), c.CommandPath())
			if s := c.SuggestionsFor(args[0]); len(s) > 0 {
				msg += fmt.Sprintf("; did you mean %q?", s[0])
			}
			return &UsageError{Err: errors.New(msg)}
		}
	}
}
