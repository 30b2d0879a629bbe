package servercli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/ledger"
	"github.com/volact/volact/internal/mak"
)

// velocityFlags are mak serve's limit on new activations per MAK and hour.
type velocityFlags struct {
	limit string
	block bool
}

func (v *velocityFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&v.limit, "velocity-limit", "", "new activations per MAK and clock hour before a velocity_limit event, such as 50/h (default: no limit)")
	cmd.Flags().BoolVar(&v.block, "velocity-block", false, "with --velocity-limit: refuse the activation past the limit with 0xC004C003 and block the key until volactd mak unblock")
}

// velocity reads the flags; a block without a limit is a usage error.
func (v *velocityFlags) velocity() (ledger.Velocity, error) {
	if v.limit == "" {
		if v.block {
			return ledger.Velocity{}, cmdutil.Invalidf("--velocity-block needs --velocity-limit N/h")
		}
		return ledger.Velocity{}, nil
	}
	n, err := kms.ParseRate(v.limit)
	if err != nil {
		return ledger.Velocity{}, cmdutil.Invalidf("--velocity-limit %q is not a number of activations per hour such as 50/h", v.limit)
	}
	return ledger.Velocity{Limit: n, Block: v.block}, nil
}

func newMakUnblockCmd(f *cmdutil.Factory) *cobra.Command {
	return newKeyAdminCmd(f, "unblock", "Lift the block of a key (set by mak block or by --velocity-block)",
		`Unblock a key: activations with it are answered again, and its count of
new activations in the current hour starts afresh (see mak serve
--velocity-limit). An unblocked event is recorded (mak events). Works offline
on the authority's database (--dir) or against a running service (--service
URL --token-file F).`, mak.AdminAPI.Unblock)
}

func newMakEventsCmd(f *cmdutil.Factory) *cobra.Command {
	var sf serviceFlags
	var limit int
	cmd := &cobra.Command{
		Use:   "events (--dir DIR | --service URL --token-file F) [--limit N]",
		Short: "List events: MAK velocity limits and blocks, unblocks, client states gone back",
		Long: `List the latest events the service recorded, oldest first:
velocity_limit (a MAK passed mak serve --velocity-limit in one clock hour),
velocity_block (... and was blocked, with --velocity-block), unblocked (mak
unblock), state_reset (a client reported a state older than before). --json
prints {"events":[{"time","kind","hardware_id","sku","detail"}]}.`,
		Example: "  volactd mak events --dir /var/lib/volact-service\n  volactd mak events --service https://act.example.com --token-file admin.token --json",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return sf.withAdmin(f, func(ctx context.Context, api mak.AdminAPI) error {
				evs, err := api.Events(ctx, limit)
				if err != nil {
					return err
				}
				if evs == nil {
					evs = []mak.Event{}
				}
				return cmdutil.Emit(f, mak.EventsResponse{Events: evs}, func() error {
					rows := make([][]string, 0, len(evs))
					for _, e := range evs {
						rows = append(rows, []string{e.Time.UTC().Format(time.RFC3339), e.Kind, e.SKU, e.HardwareID, e.Detail})
					}
					return cmdutil.PrintTable(f.IO, []string{"TIME", "KIND", "SKU", "HARDWARE ID", "DETAIL"}, rows)
				})
			})
		},
	}
	sf.add(cmd, true)
	cmd.Flags().IntVar(&limit, "limit", mak.DefaultEventsLimit, "list the latest N events")
	return cmd
}
