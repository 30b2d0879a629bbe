package cmdutil

import (
	"os"
	"time"

	"github.com/volact/volact/internal/hresult"
)

// GlobalOptions are the flags every verb shares (design §8).
type GlobalOptions struct {
	Store     string // --store, VOLACT_STORE
	Catalog   string // --catalog, VOLACT_CATALOG
	Config    string // --config, VOLACT_CONFIG
	JSON      bool   // --json
	NoColor   bool   // --no-color, NO_COLOR
	Quiet     bool   // -q
	Service   string // --service, VOLACT_SERVICE
	AllowHTTP bool   // act --allow-http: a MAK may go over plain HTTP to a public address
	DNSServer string // --dns-server, VOLACT_DNS_SERVER
	Legacy    string // hidden: "ospp" or "slmgr" when reached through an old switch
}

// Factory carries what commands need: streams, environment, clock and the
// parsed global options. Commands build everything else from it lazily, so
// a verb that needs no network never builds an HTTP client.
type Factory struct {
	IO     *IOStreams
	Getenv func(string) string
	// SysNow is the system clock; Now adds VOLACT_CLOCK_OFFSET to it.
	SysNow func() time.Time
	Opts   *GlobalOptions
	// Prog is the program name used in messages: volact or volactd.
	Prog string
}

// NewFactory returns a Factory on the real environment and clock.
func NewFactory(io *IOStreams) *Factory {
	return &Factory{IO: io, Getenv: os.Getenv, SysNow: time.Now, Opts: &GlobalOptions{}}
}

// Now is the command's clock: the system time plus VOLACT_CLOCK_OFFSET (a Go
// duration such as 720h or -2h), in UTC.
func (f *Factory) Now() (time.Time, error) {
	now := f.SysNow().UTC().Truncate(time.Second)
	s := f.Getenv("VOLACT_CLOCK_OFFSET")
	if s == "" {
		return now, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return time.Time{}, hresult.Newf(hresult.InvalidArg, "VOLACT_CLOCK_OFFSET=%q is not a duration", s).
			WithHint("use a Go duration such as 720h, 90m or -2h").WithExit(hresult.ExitInvalid)
	}
	return now.Add(d), nil
}

// Program is the name that messages start with ("volact" by default).
func (f *Factory) Program() string {
	if f.Prog == "" {
		return "volact"
	}
	return f.Prog
}

// MustNow is Now for places that already validated the offset.
func (f *Factory) MustNow() time.Time {
	t, err := f.Now()
	if err != nil {
		return f.SysNow().UTC()
	}
	return t
}
