package servercli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpjson"
	"github.com/volact/volact/internal/httpserve"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/mak"
	"github.com/volact/volact/internal/protocol"
)

// reportResult is what kms report prints with --json.
type reportResult struct {
	Origin          string `json:"origin"`
	TreeSize        int64  `json:"tree_size"`         // the tree reported
	ServiceTreeSize int64  `json:"service_tree_size"` // the tree the service keeps
	ProofFrom       int64  `json:"proof_from,omitempty"`
	Consistent      bool   `json:"consistent"`
}

func newKmsReportCmd(f *cmdutil.Factory) *cobra.Command {
	var dir, host string
	cmd := &cobra.Command{
		Use:   "report --data DIR --service URL [--host ADDR]",
		Short: "Report the host's newest log checkpoint and true-up to the activation service (witness)",
		Long: `Send the host's newest transparency-log checkpoint and its true-up summary (per
counted group the most distinct machines in any 30-day window) to the activation
service, which keeps the newest checkpoint of each host and checks that every
report extends the one before (volactd mak hosts lists them). The report is
signed with the host key (DIR/host.key) and carries the host certificates.

Run it on the host's machine, while the host serves (scripts/systemd has a
daily timer): it reads DIR read-only (the database as kms status does, the
log's file without locking it) and computes the summary in its own process,
so the host's memory is not touched. When the service keeps an older tree of
this host, it asks for a consistency proof from that size, which kms report
gets from the running host at ADDR (default 127.0.0.1 and the port of kms
set --port) and sends in a second request. The service never calls the host. A log that does not extend the checkpoint the service kept (rewritten,
cut or replaced) is recorded by the service as inconsistent: exit 5.`,
		Example: "  volactd kms report --data /var/lib/volact-kms --service https://activation.example.com\n" +
			"  volactd kms report --data D --service URL --host 10.0.0.5:1688 --json",
		Args: cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.Opts.Service == "" {
				return &cmdutil.UsageError{Err: fmt.Errorf("kms report: give --service URL (or VOLACT_SERVICE)")}
			}
			ctx, stop := cmdutil.InterruptContext()
			defer stop()
			res, err := runKmsReport(ctx, f, dir, host)
			if err != nil {
				return err
			}
			if f.Opts.JSON {
				cmdutil.WriteJSON(f.IO.Out, res)
			} else if !f.Opts.Quiet {
				fmt.Fprintf(f.IO.Out, "Reported log %s, tree size %d: the service keeps tree size %d, consistent\n",
					res.Origin, res.TreeSize, res.ServiceTreeSize)
			}
			return nil
		},
	}
	dataFlag(cmd, &dir)
	cmd.Flags().StringVar(&host, "host", "", "the running host, host:port (default 127.0.0.1:PORT from kms set --port)")
	return cmd
}

// runKmsReport reports the host in dir, served at host, to the service:
// one POST, and a second with a consistency proof when the service asks.
func runKmsReport(ctx context.Context, f *cmdutil.Factory, dir, host string) (*reportResult, error) {
	id, err := kms.ReportIdentity(dir)
	if err != nil {
		return nil, err
	}
	if host == "" {
		host = "127.0.0.1:" + strconv.Itoa(id.Port)
	}
	base := host
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	base = strings.TrimRight(base, "/")
	hc := &http.Client{Timeout: mak.ClientTimeout}
	sum, err := kms.ReadSummary(ctx, dir)
	switch {
	case err != nil:
		return nil, err
	case sum.Checkpoint == nil:
		return nil, hresult.New(hresult.ServiceFailure, "the host's log is empty: there is no checkpoint to report yet")
	case sum.Origin != id.Origin:
		return nil, hresult.Newf(hresult.StoreTampered, "the log in %s is signed by another key (%s) than the host's (%s)", dir, sum.Origin, id.Origin).
			WithExit(hresult.ExitStore)
	}
	rep, err := mak.SignWitnessReport(id.Key, id.Certificates, mak.WitnessBody{
		Origin: sum.Origin, Checkpoint: sum.Checkpoint, Groups: sum.Groups, ReportedAt: f.MustNow().UTC()})
	if err != nil {
		return nil, hresult.Wrap(hresult.Internal, err, "cannot sign the report")
	}
	url := strings.TrimRight(f.Opts.Service, "/") + "/v1/witness/report"
	ans, err := postReport(ctx, hc, url, rep)
	if err != nil {
		return nil, err
	}
	if ans.NeedProof {
		var cons httpserve.LogConsistency
		q := fmt.Sprintf("%s/v1/log/consistency?from=%d&to=%d", base, ans.ProofFrom, sum.Size)
		if err := getJSON(ctx, hc, q, &cons); err != nil {
			return nil, err
		}
		if cons.From != ans.ProofFrom || cons.To != sum.Size {
			return nil, hresult.Newf(hresult.ServiceFailure, "the host at %s answered a proof from %d to %d, not from %d to %d", host, cons.From, cons.To, ans.ProofFrom, sum.Size)
		}
		rep.ProofFrom, rep.Proof = ans.ProofFrom, cons.Proof
		if ans, err = postReport(ctx, hc, url, rep); err != nil {
			return nil, err
		}
		if ans.NeedProof {
			return nil, hresult.Newf(hresult.ServiceFailure, "the activation service asked again for a consistency proof (from size %d)", ans.ProofFrom).
				WithHint("another report of this host may have raced this one; run kms report again")
		}
	}
	res := &reportResult{Origin: sum.Origin, TreeSize: sum.Size, ServiceTreeSize: ans.TreeSize, ProofFrom: rep.ProofFrom, Consistent: ans.Consistent}
	if !ans.Consistent {
		return nil, hresult.Newf(hresult.LogForked, "the activation service found that this host's log (tree size %d) does not extend the checkpoint of size %d it kept: the host is recorded as inconsistent", sum.Size, ans.TreeSize).
			WithHint("the log in " + dir + "/log was replaced, cut or edited; restore the original log from backup and tell the vendor")
	}
	return res, nil
}

// postReport posts a report and decodes the answer.
func postReport(ctx context.Context, hc *http.Client, url string, rep mak.WitnessReport) (mak.WitnessAnswer, error) {
	var ans mak.WitnessAnswer
	data, err := httpjson.Post(ctx, hc, url, "", rep)
	if err != nil {
		return ans, err
	}
	if err := json.Unmarshal(data, &ans); err != nil {
		return ans, hresult.Wrap(hresult.ServiceFailure, err, "the activation service sent an unreadable answer")
	}
	return ans, nil
}

// getJSON reads a JSON answer of the running host; an error answer becomes
// its *hresult.Error, a transport failure hresult.NoHost (exit 4).
func getJSON(ctx context.Context, hc *http.Client, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return hresult.Wrap(hresult.InvalidArg, err, "bad host address "+httpjson.Redact(url)).WithExit(hresult.ExitInvalid)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return httpjson.Unreachable(url, err).WithHint("kms report asks the running host (kms serve); give --host ADDR if it listens elsewhere")
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, httpjson.MaxAnswer))
	if err != nil {
		return httpjson.Unreachable(url, err)
	}
	if resp.StatusCode != http.StatusOK {
		var er protocol.ErrorResponse
		if json.Unmarshal(data, &er) == nil && er.Error.Code != "" {
			return er.Err()
		}
		return hresult.Newf(hresult.ServiceFailure, "%s answered %s", httpjson.Redact(url), resp.Status)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return hresult.Wrap(hresult.ServiceFailure, err, "the host sent an unreadable answer")
	}
	return nil
}
