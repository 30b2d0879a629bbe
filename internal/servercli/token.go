package servercli

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/httpjson"
	"github.com/volact/volact/internal/mak"
	"github.com/volact/volact/internal/secretnet"
)

// addTokenFlags adds --token-file (env VOLACT_TOKEN_FILE) and the hidden,
// deprecated --token (env VOLACT_TOKEN) for the admin token; what says
// whose token it is.
func (s *serviceFlags) addTokenFlags(cmd *cobra.Command, what string) {
	s.flags = cmd.Flags()
	cmd.Flags().StringVar(&s.tokenFile, "token-file", "", "file holding the "+what+" (env VOLACT_TOKEN_FILE; or set VOLACT_TOKEN)")
	cmd.Flags().StringVar(&s.token, "token", "", "deprecated: use --token-file or VOLACT_TOKEN (a token on the command line shows in ps)")
	_ = cmd.Flags().MarkHidden("token")
}

// adminToken returns the admin token and where it came from: --token-file
// (or VOLACT_TOKEN_FILE) first, then VOLACT_TOKEN, then the deprecated
// --token, which still works but warns on stderr, since every user of
// the machine can read a command line. "" when none was given.
func (s *serviceFlags) adminToken(f *cmdutil.Factory) (token, from string, err error) {
	if s.tokenFile != "" {
		t, err := mak.ReadTokenFile(s.tokenFile)
		return t, "--token-file " + s.tokenFile, err
	}
	if s.token == "" {
		return "", "", nil
	}
	if env := f.Getenv("VOLACT_TOKEN"); env != "" && env == s.token {
		return s.token, "VOLACT_TOKEN", nil
	}
	if fromFlag(s.flags, "token") {
		fmt.Fprintf(f.IO.ErrOut, "%s: warning: --token is deprecated: the token shows in the process list; use --token-file FILE or VOLACT_TOKEN\n", f.Program())
	}
	return s.token, "--token", nil
}

// fromFlag reports whether flag name was set (on the command line or from
// a config file; the environment was ruled out by the caller).
func fromFlag(fs *pflag.FlagSet, name string) bool {
	return fs != nil && fs.Changed(name)
}

// hostKeyClient is the HTTP client kms activate sends the KMS host keys
// (in full) to the service with: https, or plain http only to a loopback,
// private or link-local address unless allowHTTP, checked before anything
// is contacted and again on every redirect (secretnet), as for a MAK.
func hostKeyClient(ctx context.Context, service string, allowHTTP bool) (*http.Client, error) {
	const what = "the KMS host key"
	if service != "" {
		if err := secretnet.Check(ctx, strings.TrimRight(service, "/")+"/v1/host/activate", what, allowHTTP, nil); err != nil {
			return nil, err
		}
	}
	return secretnet.Client(&http.Client{Timeout: httpjson.DefaultTimeout}, what, allowHTTP), nil
}
