package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/cmdutil"
)

// newSettingCmd builds a KMS client settings verb. apply changes the
// settings; slmgr is the line slmgr.vbs printed on success.
func newSettingCmd(f *cmdutil.Factory, use, short, example string, nargs int, apply func(s *client.Settings, a []string) (slmgr string, err error)) *cobra.Command {
	return &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    args(nargs, nargs),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := newClient(f)
			if err != nil {
				return err
			}
			var slmgr string
			set, err := c.Configure(func(s *client.Settings) error {
				var err error
				slmgr, err = apply(s, a)
				return err
			})
			if err != nil {
				return legacyFail(f, err)
			}
			switch {
			case f.Opts.JSON:
				cmdutil.WriteJSON(f.IO.Out, settingsJSON(set))
			case f.Opts.Quiet:
			case f.Opts.Legacy == "slmgr":
				newLineWriter(f.IO).line("%s", slmgr)
			default:
				l := newLineWriter(f.IO)
				l.osppFrame([]func(){func() { l.line("<Successfully applied setting.>") }})
			}
			return nil
		},
	}
}

// settingsView is the --json shape of the KMS client settings.
type settingsView struct {
	KMSHost     string `json:"kms_host"`
	KMSPort     int    `json:"kms_port"`
	HostCaching bool   `json:"host_caching"`
	Domain      string `json:"domain"`
}

func settingsJSON(s client.Settings) settingsView {
	return settingsView{KMSHost: s.KMSHost, KMSPort: s.Port(), HostCaching: !s.HostCachingDisabled, Domain: s.Domain}
}

func newSettingsCmds(f *cmdutil.Factory) []*cobra.Command {
	sethst := newSettingCmd(f, "sethst HOST[:PORT]", "Pin the KMS host (ospp /sethst, slmgr /skms)",
		"  volact sethst kms.example.com\n  volact sethst kms.example.com:1688\n  volact /skms [fd00::5]:1688", 1,
		func(s *client.Settings, a []string) (string, error) {
			h, p, err := client.ParseHostPort(a[0])
			if err != nil {
				return "", err
			}
			s.KMSHost = h
			if p != 0 {
				s.KMSPort = p
			}
			return fmt.Sprintf("Key Management Service machine name set to %s successfully.", hostPort(h, s.Port())), nil
		})
	sethst.Aliases = []string{"skms"}
	setprt := newSettingCmd(f, "setprt PORT", "Set the KMS host port (ospp /setprt)", "  volact setprt 1688", 1,
		func(s *client.Settings, a []string) (string, error) {
			p, err := client.ParsePort(a[0])
			if err != nil {
				return "", err
			}
			s.KMSPort = p
			return fmt.Sprintf("Key Management Service machine port set to %d successfully.", p), nil
		})
	remhst := newSettingCmd(f, "remhst", "Remove the pinned KMS host and port (ospp /remhst, slmgr /ckms)", "  volact remhst", 0,
		func(s *client.Settings, _ []string) (string, error) {
			s.KMSHost, s.KMSPort = "", 0
			return "Key Management Service machine name cleared successfully.", nil
		})
	remhst.Aliases = []string{"ckms"}
	cachst := newSettingCmd(f, "cachst true|false", "Turn KMS host caching on or off (ospp /cachst, slmgr /skhc /ckhc)",
		"  volact cachst false\n  volact /cachst:TRUE", 1,
		func(s *client.Settings, a []string) (string, error) {
			on, err := client.ParseBool(a[0])
			if err != nil {
				return "", err
			}
			s.HostCachingDisabled = !on
			if !on {
				s.CachedHost = ""
				return "Key Management Service host caching is disabled.", nil
			}
			return "Key Management Service host caching is enabled.", nil
		})
	setdomain := newSettingCmd(f, "setdomain FQDN", "Look up KMS hosts in this DNS domain (slmgr /skms-domain)",
		"  volact setdomain corp.example.com", 1,
		func(s *client.Settings, a []string) (string, error) {
			d, err := client.ParseDomain(a[0])
			if err != nil {
				return "", err
			}
			s.Domain = d
			return fmt.Sprintf("Key Management Service lookup domain set to %s successfully.", d), nil
		})
	return []*cobra.Command{sethst, setprt, remhst, cachst, setdomain}
}

func hostPort(h string, p int) string {
	if strings.Contains(h, ":") {
		return fmt.Sprintf("[%s]:%d", h, p)
	}
	return fmt.Sprintf("%s:%d", h, p)
}
