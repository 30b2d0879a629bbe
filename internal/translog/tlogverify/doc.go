// Package tlogverify is the pure verification half of package translog:
// parsing and checking signed checkpoints, receipts (inclusion proofs) and
// consistency proofs of volact's transparency logs. It does no I/O and
// links only golang.org/x/mod/sumdb/note and sumdb/tlog besides the
// standard library, so the client binary can check answers without the
// log writer (package translog, which re-exports these names).
//
// See package translog for the checkpoint text form and the origin
// convention ([Origin]).
package tlogverify
