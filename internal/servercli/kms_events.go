package servercli

import (
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/kms"
)

func newKmsEventsCmd(f *cmdutil.Factory) *cobra.Command {
	var dir, since, dsn string
	cmd := &cobra.Command{
		Use:   "events --data DIR [--db postgres://...] [--since T]",
		Short: "List events: networks past the new-CMID limit (count_limit), client states gone back (state_reset)",
		Long: `List the events the host recorded, oldest first. count_limit: a source
network (/24 for IPv4, /64 for IPv6) sent more new CMIDs in an hour than
kms set --new-cmid-limit allows (default 100/h); its new CMIDs are answered
but not counted, and the event is recorded once per network and hour.
state_reset: a client reported a state older than it reported before (an
edited or reset store, or a reimage). Events are history rows: they survive
restarts and follow kms set --history-retention. --since takes an RFC 3339
time, a date or a duration back from now (72h). --json prints
{"events":[{"time","kind","group","sku","cmid","client_address","network","count","detail"}]}.

--db postgres://... (or VOLACT_KMS_DB) lists the site's events instead:
those of every host on the shared database, with a HOST column (JSON
fields host and host_id). Each host applies the new-CMID limit to what it
counts itself, so a network may raise the site's count by up to the limit
times the number of hosts per hour.`,
		Example: "  volactd kms events --data D\n  volactd kms events --data D --since 24h --json\n  volactd kms events --data D --db postgres://kms:secret@db/volact_kms",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, err := parseSince(since, f.MustNow())
			if err != nil {
				return err
			}
			var evs []kms.Event
			if dsn == "" {
				evs, err = kms.ReadEvents(dir, from)
			} else {
				ctx, stop := cmdutil.InterruptContext()
				defer stop()
				evs, err = kms.ReadSharedEvents(ctx, dir, dsn, from)
			}
			if err != nil {
				return err
			}
			return cmdutil.Emit(f, map[string]any{"events": evs}, func() error {
				header := []string{"TIME", "KIND", "GROUP", "NETWORK", "CMID", "COUNT", "DETAIL"}
				if dsn != "" {
					header = slices.Insert(header, 1, "HOST")
				}
				rows := make([][]string, 0, len(evs))
				for _, e := range evs {
					row := []string{e.Time.UTC().Format(time.RFC3339), e.Kind, e.Group, e.Network, e.CMID, strconv.Itoa(e.Count), e.Detail}
					if dsn != "" {
						row = slices.Insert(row, 1, e.Host)
					}
					rows = append(rows, row)
				}
				return cmdutil.PrintTable(f.IO, header, rows)
			})
		},
	}
	dataFlag(cmd, &dir)
	cmd.Flags().StringVar(&since, "since", "", "only events at or after this time (RFC 3339, date, or a duration ago)")
	dbFlag(f, cmd, &dsn)
	return cmd
}
