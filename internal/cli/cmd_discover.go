package cli

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/cmdutil"
)

func newDiscoverCmd(f *cmdutil.Factory) *cobra.Command {
	var domain string
	cmd := &cobra.Command{
		Use:   "discover [--domain D]",
		Short: "List the KMS hosts published in DNS with priority, weight and reachability",
		Long: `Look up the _vlmcs._tcp SRV records of the domain (--domain, else the one set
with setdomain, else the system search list), in the order a client tries
them, and probe each host's /healthz. --dns-server asks a chosen DNS server.
It is what admins did with nslookup -type=srv _vlmcs._tcp.`,
		Example: "  volact discover --domain corp.example.com\n  volact discover --json --dns-server 10.0.0.53:53",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient(f)
			if err != nil {
				return err
			}
			hosts, err := c.Discover(cmd.Context(), domain)
			if err != nil {
				return err
			}
			return emit(f, hostsView(hosts), nil)
		},
	}
	cmd.Flags().StringVar(&domain, "domain", "", "DNS domain to look up _vlmcs._tcp in")
	return cmd
}

// hostsView is the KMS hosts found in DNS, in the order a client tries them.
type hostsView []client.DiscoveredHost

func (v hostsView) jsonValue() any { return map[string]any{"hosts": []client.DiscoveredHost(v)} }

func (v hostsView) human(l *lineWriter) error {
	rows := [][]string{}
	for _, h := range v {
		state := "reachable"
		if !h.Reachable {
			state = "unreachable: " + h.Error
		}
		rows = append(rows, []string{h.Name, strconv.Itoa(h.Port), strconv.Itoa(h.Priority), strconv.Itoa(h.Weight),
			strings.Join(h.Addresses, " "), state})
	}
	return l.table([]string{"HOST", "PORT", "PRIORITY", "WEIGHT", "ADDRESSES", "STATE"}, rows)
}
