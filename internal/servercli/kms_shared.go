package servercli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/kms"
)

// dbFlag adds --db, the site's shared PostgreSQL database (env
// VOLACT_KMS_DB, so that the password stays off the command line).
func dbFlag(f *cmdutil.Factory, cmd *cobra.Command, dsn *string) {
	cmd.Flags().StringVar(dsn, "db", "", "the site's shared PostgreSQL database, postgres://... (env VOLACT_KMS_DB; default: count alone in DIR/kms.db)")
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if !c.Flags().Changed("db") {
			if v := f.Getenv("VOLACT_KMS_DB"); v != "" {
				*dsn = v
			}
		}
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
}

func newKmsInitDBCmd(f *cmdutil.Factory) *cobra.Command {
	var dir, dsn, site string
	cmd := &cobra.Command{
		Use:   "init-db --data DIR --db postgres://... [--site NAME]",
		Short: "Set up a PostgreSQL database for the KMS hosts of a site to share one count",
		Long: `Create the tables of a site's shared count in an empty PostgreSQL database,
and record in it the authority of the host in DIR (its catalog's root) and a
new site id. The site starts with the settings of the host in DIR. Run it
once, from one host; then start every host of the site with
kms serve --data DIR --db URL. A host joins the site at its first start and
is refused afterwards on any other site's or authority's database.
Running it again on a database already set up changes nothing.`,
		Example: "  volactd kms init-db --data /var/lib/volact-kms --db postgres://kms:secret@db.corp.example.com/volact_kms --site hq",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dsn == "" {
				return &cmdutil.UsageError{Err: fmt.Errorf("kms init-db: give --db postgres://... (or VOLACT_KMS_DB)")}
			}
			ctx, stop := cmdutil.InterruptContext()
			defer stop()
			info, err := kms.InitSharedDB(ctx, dir, dsn, site, f.MustNow())
			if err != nil {
				return err
			}
			switch {
			case f.Opts.JSON:
				cmdutil.WriteJSON(f.IO.Out, info)
			case f.Opts.Quiet:
			case info.Created:
				fmt.Fprintf(f.IO.Out, "Set up site %q (%s) in %s.\nStart each host of the site with: volactd kms serve --data DIR --db URL\n", info.SiteName, info.SiteID, info.Database)
			default:
				fmt.Fprintf(f.IO.Out, "%s is already site %q (%s); nothing changed.\n", info.Database, info.SiteName, info.SiteID)
			}
			return nil
		},
	}
	dataFlag(cmd, &dir)
	dbFlag(f, cmd, &dsn)
	cmd.Flags().StringVar(&site, "site", "default", "a name for the site, shown by kms status")
	return cmd
}

// printShared prints the shared part of kms status.
func printShared(f *cmdutil.Factory, s *kms.SharedStatus) {
	if s == nil {
		return
	}
	out := f.IO.Out
	name := s.SiteName
	if name == "" {
		name = s.SiteID
	}
	fmt.Fprintf(out, "Shared count: site %s in PostgreSQL database %s (this host: %s, %d request(s) not shipped yet)\n", name, s.Database, s.HostID, s.Backlog)
	from := "as the shared database holds them"
	if !s.Reachable {
		from = "this host's copy: the shared database was not read"
	}
	fmt.Fprintf(out, "Per site (%s; kms set --db, each host takes them at its next start): activation interval, renewal interval, history retention, new CMID limit\n", from)
	fmt.Fprintln(out, "Per host: port; and each host counts the new CMID limit on its own, so a network may add up to the limit times the number of hosts per hour")
	if !s.Reachable {
		fmt.Fprintf(out, "Shared database: %s\n", s.Error)
		return
	}
	rows := [][]string{}
	for _, h := range s.Hosts {
		name := h.Name
		if h.This {
			name += " (this host)"
		}
		rows = append(rows, []string{name, h.HostID, h.LastContact.Format(time.RFC3339)})
	}
	_ = cmdutil.PrintTable(f.IO, []string{"HOST", "HOST ID", "LAST REACHED THE DATABASE"}, rows)
}
