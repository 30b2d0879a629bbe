package servercli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/kms"
)

func newKmsSetCmd(f *cmdutil.Factory) *cobra.Command {
	var dir, retention, limit, dsn string
	var act, renew, port int
	cmd := &cobra.Command{
		Use:   "set --data DIR [--activation-interval N] [--renewal-interval N] [--port P] [--history-retention D] [--new-cmid-limit N/h]",
		Short: "Change the host's settings (stop the host first; they apply at its next start)",
		Long: `Change the settings kept in the host's database. Intervals are minutes in
15..43200: clients that are not activated retry every activation interval,
activated clients renew every renewal interval. The retention is in days
(90d) or a duration (2160h). The new-CMID limit caps how many new clients
one source network (/24, /64) adds to the counts per hour (default 100/h;
0 = no limit): past it, new CMIDs are answered but not counted and a
count_limit event is recorded (kms events).

With --db postgres://..., the intervals, the retention and the new-CMID
limit are the site's, kept in the shared database: every host on it takes
them at its next start. The port stays each host's own.`,
		Example: "  volactd kms set --data D --activation-interval 60 --renewal-interval 10080\n  volactd kms set --data D --port 1700 --history-retention 90d\n  volactd kms set --data D --new-cmid-limit 50/h",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			changed := cmd.Flags().Changed
			if !changed("activation-interval") && !changed("renewal-interval") && !changed("port") && !changed("history-retention") && !changed("new-cmid-limit") {
				return &cmdutil.UsageError{Err: fmt.Errorf("kms set: give at least one of --activation-interval, --renewal-interval, --port, --history-retention, --new-cmid-limit")}
			}
			var rate int
			if changed("new-cmid-limit") {
				var err error
				if rate, err = kms.ParseRate(limit); err != nil {
					return err
				}
			}
			var keep time.Duration
			if changed("history-retention") {
				var err error
				if keep, err = kms.ParseRetention(retention); err != nil {
					return err
				}
			}
			update := func(s *kms.Settings) {
				if changed("activation-interval") {
					s.ActivationInterval = act
				}
				if changed("renewal-interval") {
					s.RenewalInterval = renew
				}
				if changed("port") {
					s.Port = port
				}
				if changed("history-retention") {
					s.HistoryRetention = keep
				}
				if changed("new-cmid-limit") {
					s.NewCMIDLimit = rate
				}
			}
			s, err := updateKmsSettings(dir, dsn, changed("port"), update)
			if err != nil {
				return err
			}
			if f.Opts.JSON {
				cmdutil.WriteJSON(f.IO.Out, s)
			} else if !f.Opts.Quiet {
				fmt.Fprintln(f.IO.Out, "<Successfully applied setting.>")
			}
			return nil
		},
	}
	dataFlag(cmd, &dir)
	dbFlag(f, cmd, &dsn)
	cmd.Flags().IntVar(&act, "activation-interval", 0, "minutes between retries of unactivated clients (15..43200)")
	cmd.Flags().IntVar(&renew, "renewal-interval", 0, "minutes between renewals of activated clients (15..43200)")
	cmd.Flags().IntVar(&port, "port", 0, "port to listen on when serve has no --listen")
	cmd.Flags().StringVar(&retention, "history-retention", "", "how long history is kept (90d, 2160h)")
	cmd.Flags().StringVar(&limit, "new-cmid-limit", "", "new CMIDs counted per source network (/24, /64) and hour, such as 100/h; 0 = no limit")
	return cmd
}

// updateKmsSettings changes the host's settings in dir, or with dsn the
// site's in the shared database (and the port in dir, if port is set).
func updateKmsSettings(dir, dsn string, port bool, update func(*kms.Settings)) (kms.Settings, error) {
	if dsn == "" {
		return kms.UpdateSettings(dir, update)
	}
	ctx, stop := cmdutil.InterruptContext()
	defer stop()
	s, err := kms.UpdateSiteSettings(ctx, dsn, update)
	if err != nil || !port {
		return s, err
	}
	local, err := kms.UpdateSettings(dir, update)
	s.Port = local.Port
	return s, err
}
