package cli

import (
	"errors"

	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/hresult"
)

// A view is what a verb computed, ready to be shown: verbs return views and
// [emit] alone decides, from the global flags, how they are printed. Every
// view has a JSON document and a human rendering; a view that the old tools
// printed differently also implements [osppView] or [slmgrView], else the
// human rendering is used in those styles too.
//
// Renderings write through a lineWriter (the platform's line ends, and the
// streams for tables, colour and stderr notes). A rendering returns an error
// only when what it found to show is itself a failure (dli with no product).
type view interface {
	// jsonValue is the --json document.
	jsonValue() any
	// human is the default text: tables, plain lines.
	human(l *lineWriter) error
}

// osppView is a view with the text of ospp.vbs (reached through /dstatus,
// /act, /inpkey:..., or the multi-call name ospp).
type osppView interface {
	ospp(l *lineWriter) error
}

// slmgrView is a view with the text of slmgr.vbs (/dli, /ato, /ipk, ...).
type slmgrView interface {
	slmgr(l *lineWriter) error
}

// partialView is a view that is shown although the verb failed, such as
// act's results when one product was refused. With --json its document
// carries the error object next to the results.
type partialView interface {
	jsonWithError(e cmdutil.ErrorJSON) any
}

// emit prints v in the output mode the flags ask for and returns err for
// the exit status (and for the one error line the top level prints):
//
//   - --json: v's JSON document. When err is a partial failure (v is a
//     partialView) the document carries cmdutil.ErrorBody(err) and the top
//     level prints nothing more; an err already joined with
//     cmdutil.ErrSilent adds nothing to the document.
//   - -q: nothing.
//   - ospp or slmgr (f.Opts.Legacy): v's text in that style, else human.
//   - otherwise: v's human text.
//
// A nil v means the verb failed before it had anything to show: in the
// ospp and slmgr styles the failure is printed the way the old tools did,
// ERROR CODE and ERROR DESCRIPTION on stdout (in the ---Processing--- frame
// for ospp), so that scripts matching that text see it; the top level then
// prints err once on stderr, or as the JSON error document.
func emit(f *cmdutil.Factory, v view, err error) error {
	if v == nil {
		return emitFailure(f, err)
	}
	if f.Opts.JSON {
		return emitJSON(f, v, err)
	}
	if f.Opts.Quiet {
		return err
	}
	l := newLineWriter(f.IO)
	var rerr error
	switch {
	case f.Opts.Legacy == "ospp" && isOspp(v):
		rerr = v.(osppView).ospp(l)
	case f.Opts.Legacy == "slmgr" && isSlmgr(v):
		rerr = v.(slmgrView).slmgr(l)
	default:
		rerr = v.human(l)
	}
	if rerr != nil {
		return rerr
	}
	return err
}

func isOspp(v view) bool  { _, ok := v.(osppView); return ok }
func isSlmgr(v view) bool { _, ok := v.(slmgrView); return ok }

// emitJSON prints v's document, with the error of a partial failure.
func emitJSON(f *cmdutil.Factory, v view, err error) error {
	if err == nil || errors.Is(err, cmdutil.ErrSilent) {
		cmdutil.WriteJSON(f.IO.Out, v.jsonValue())
		return err
	}
	pv, ok := v.(partialView)
	if !ok {
		return err // the top level prints {"error":...} alone
	}
	e := hresult.From(err)
	cmdutil.WriteJSON(f.IO.Out, pv.jsonWithError(cmdutil.ErrorBody(e)))
	return errors.Join(e, cmdutil.ErrSilent)
}

// emitFailure prints a failure without a result in the legacy styles and
// returns err. It prints nothing in the human style, with --json or -q.
func emitFailure(f *cmdutil.Factory, err error) error {
	if err == nil || f.Opts.Legacy == "" || f.Opts.JSON || f.Opts.Quiet {
		return err
	}
	e := hresult.From(err)
	l := newLineWriter(f.IO)
	if f.Opts.Legacy == "ospp" {
		l.osppFrame([]func(){func() { l.osppError(e) }})
	} else {
		l.osppError(e)
	}
	return err
}

// framed renders lines as the one block of an ospp frame.
func framed(l *lineWriter, lines ...string) error {
	l.osppFrame([]func(){func() {
		for _, s := range lines {
			l.line("%s", s)
		}
	}})
	return nil
}
