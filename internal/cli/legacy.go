package cli

import (
	"strings"
	"time"

	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
)

// Text of ospp.vbs and slmgr.vbs that scripts match (design §10). Labels,
// spacing and spellings here are part of volact's contract: change them only
// with their golden files.
const (
	osppProcessing = "---Processing--------------------------"
	osppSeparator  = "---------------------------------------"
	osppExiting    = "---Exiting-----------------------------"
	osppLast5Label = "Last 5 characters of installed product key: " // value at column 44
	slmgrTimeForm  = "1/2/2006 3:04:05 PM"
)

// lineWriter is what a view renders to: lines on stdout with the
// platform's line end, and the streams themselves for tables, colour and
// notes on stderr.
type lineWriter struct {
	io *cmdutil.IOStreams
}

func newLineWriter(io *cmdutil.IOStreams) *lineWriter { return &lineWriter{io: io} }

// line prints one formatted line on stdout.
func (l *lineWriter) line(format string, args ...any) { l.io.Linef(format, args...) }

// table prints rows under header (cmdutil.PrintTable).
func (l *lineWriter) table(header []string, rows [][]string) error {
	return cmdutil.PrintTable(l.io, header, rows)
}

// osppFrame prints the ---Processing--- frame around blocks separated by the
// dashed line, as ospp.vbs does.
func (l *lineWriter) osppFrame(blocks []func()) {
	l.line(osppProcessing)
	l.line(osppSeparator)
	for _, b := range blocks {
		b()
		l.line(osppSeparator)
	}
	l.line(osppSeparator)
	l.line(osppExiting)
}

// osppError prints the two lines scripts look for after a failure.
func (l *lineWriter) osppError(e *hresult.Error) {
	l.line("ERROR CODE: %s", e.Code)
	l.line("ERROR DESCRIPTION: %s", oneLine(e.Error()))
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", " ") }

// osppProductBlock is one product in ospp /dstatus form.
func (l *lineWriter) osppProductBlock(p client.ProductStatus) {
	l.line("SKU ID: %s", p.SKU)
	l.line("LICENSE NAME: %s", p.Name)
	if p.ChannelDescription != "" {
		l.line("LICENSE DESCRIPTION: %s, %s channel", p.Name, p.ChannelDescription)
	} else {
		l.line("LICENSE DESCRIPTION: %s", p.Name)
	}
	l.line("LICENSE STATUS:  ---%s--- ", p.StatusToken)
	if p.Reason.Set() {
		l.line("ERROR CODE: %s", p.Reason)
		l.line("ERROR DESCRIPTION: %s", p.ReasonText)
	}
	if p.ReducedFunctionality {
		l.line("REDUCED FUNCTIONALITY: the grace period of this retail product has expired")
	}
	switch {
	case p.GraceRemaining > 0:
		l.remainingGrace(p.GraceRemaining)
	case p.ActivationRemaining > 0:
		l.remainingGrace(p.ActivationRemaining)
	}
	if p.PartialKey != "" {
		l.line("%s%s", osppLast5Label, p.PartialKey)
	}
	if k := p.KMS; k != nil {
		l.line("Activation Type Configuration: KMS")
		switch {
		case k.Host == "":
			l.line("\tDNS auto-discovery: KMS name not available")
		case k.Source == "pinned":
			l.line("\tKMS machine registry override defined: %s", hostPort(k.Host, k.Port))
		default:
			l.line("\tKMS machine name from DNS: %s", hostPort(k.Host, k.Port))
		}
		l.line("\tActivation Interval: %d minutes", k.ActivationIntervalMinutes)
		l.line("\tRenewal Interval: %d minutes", k.RenewalIntervalMinutes)
		l.line("\tKMS host caching: %s", enabled(k.HostCaching))
	}
}

func (l *lineWriter) remainingGrace(d time.Duration) {
	l.line("REMAINING GRACE: %d days  (%d minute(s) before expiring)", license.FloorDays(d), license.Minutes(d))
}

func enabled(b bool) string {
	if b {
		return "Enabled"
	}
	return "Disabled"
}

// slmgrProduct prints one product in slmgr /dli form; verbose adds the /dlv
// lines.
func (l *lineWriter) slmgrProduct(p client.ProductStatus, r *client.Report, verbose bool) {
	l.line("Name: %s", p.Name)
	if p.ChannelDescription != "" {
		l.line("Description: %s, %s channel", p.Name, p.ChannelDescription)
	} else {
		l.line("Description: %s", p.Name)
	}
	if verbose {
		l.line("Product SKU: %s", p.SKU)
	}
	if p.PartialKey != "" {
		l.line("Partial Product Key: %s", p.PartialKey)
	}
	l.line("License Status: %s", p.StatusText)
	switch {
	case p.ActivationRemaining > 0:
		l.line("Volume activation expiration: %d minute(s) (%d day(s))", license.Minutes(p.ActivationRemaining), license.CeilDays(p.ActivationRemaining))
	case p.GraceRemaining > 0:
		l.line("Time remaining: %d minute(s) (%d day(s))", license.Minutes(p.GraceRemaining), license.CeilDays(p.GraceRemaining))
	}
	if p.Status == license.Notification {
		l.line("Notification Reason: %s (grace time expired).", hresult.GraceExpired)
		if p.ReducedFunctionality {
			l.line("Reduced functionality: the grace period of this retail product has expired.")
		}
	}
	if verbose {
		l.line("Remaining Windows rearm count: %d", p.RearmRemaining)
		l.line("Trusted time: %s", r.TrustedTime.Local().Format(slmgrTimeForm))
	}
	if k := p.KMS; k != nil {
		l.line("")
		l.line("Key Management Service client information")
		l.line("    Client Machine ID (CMID): %s", k.CMID)
		switch {
		case k.Host == "":
			l.line("    DNS auto-discovery: KMS name not available")
		case k.Source == "pinned":
			l.line("    Registered KMS machine name: %s", hostPort(k.Host, k.Port))
		default:
			l.line("    KMS machine name from DNS: %s", hostPort(k.Host, k.Port))
		}
		l.line("    Activation interval: %d minutes", k.ActivationIntervalMinutes)
		l.line("    Renewal interval: %d minutes", k.RenewalIntervalMinutes)
		if k.HostCaching {
			l.line("    KMS host caching is enabled")
		} else {
			l.line("    KMS host caching is disabled")
		}
	}
}

// slmgrExpiry prints one product in slmgr /xpr form.
func (l *lineWriter) slmgrExpiry(p client.ProductStatus) {
	at := func(t *time.Time) string { return t.Local().Format(slmgrTimeForm) }
	l.line("%s:", p.Name)
	switch {
	case p.Permanent:
		l.line("    The machine is permanently activated.")
	case p.ActivationExpiresAt != nil:
		l.line("    Volume activation will expire %s", at(p.ActivationExpiresAt))
	case p.Status == license.OOBGrace && p.GraceExpiresAt != nil:
		l.line("    Initial grace period ends %s", at(p.GraceExpiresAt))
	case p.Status == license.OOTGrace && p.GraceExpiresAt != nil:
		l.line("    Additional grace period ends %s", at(p.GraceExpiresAt))
	case p.Status == license.Notification:
		l.line("    %s is in Notification mode", p.Name)
	default:
		l.line("    The machine is not activated.")
	}
}
