// Package e2e holds the end-to-end tests that run real processes of volact
// and volactd: the testscript scripts in testdata/script, crash and kill -9
// runs, security and TLS tests. It has no code of its own.
package e2e
