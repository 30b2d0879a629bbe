package servercli

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/mak"
)

func newMakHostsCmd(f *cmdutil.Factory) *cobra.Command {
	var sf serviceFlags
	cmd := &cobra.Command{
		Use:   "hosts (--dir DIR | --service URL --token-file F) [--json]",
		Short: "List the KMS hosts that report to the service (volactd kms report) and whether their logs are consistent",
		Long: `List the customers' KMS hosts the service witnesses: every host that ran volactd
kms report, with its host id and groups, the tree size of the newest checkpoint
of its log that the service keeps, when it last reported, and whether every
report extended the one before. A host whose log was rewritten, cut or replaced
is "consistent: no" for good: the checkpoint kept is the last one consistent
with its history, and --json shows the first checkpoint that contradicted it
(conflict). A host that never reported is not listed. --json also prints each
host's true-up (per counted group the most distinct machines in 30 days).`,
		Example: "  volactd mak hosts --dir /var/lib/volact-service\n  volactd mak hosts --service https://act.example.com --token-file admin.token --json",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return sf.withAdmin(f, func(ctx context.Context, api mak.AdminAPI) error {
				hosts, err := api.Hosts(ctx)
				if err != nil {
					return err
				}
				if hosts == nil {
					hosts = []mak.WitnessedHost{}
				}
				return cmdutil.Emit(f, mak.HostsResponse{Hosts: hosts}, func() error {
					rows := make([][]string, 0, len(hosts))
					for _, h := range hosts {
						rows = append(rows, []string{h.Host, strings.Join(h.Groups, ","), shortOrigin(h.Origin),
							strconv.FormatInt(h.TreeSize, 10), h.LastReport.UTC().Format(time.RFC3339), yesNo(h.Consistent)})
					}
					return cmdutil.PrintTable(f.IO, []string{"HOST", "GROUP", "LOG", "TREE SIZE", "LAST REPORT", "CONSISTENT"}, rows)
				})
			})
		},
	}
	sf.add(cmd, true)
	return cmd
}

// shortOrigin is a log origin cut to its prefix and 12 hex digits, for
// tables (--json has it whole).
func shortOrigin(o string) string {
	if i := strings.Index(o, "sha256:"); i >= 0 && len(o) > i+7+12 {
		return o[:i+7+12]
	}
	return o
}
