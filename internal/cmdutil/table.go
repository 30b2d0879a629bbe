package cmdutil

import (
	"fmt"
	"strings"

	"github.com/olekukonko/tablewriter"
)

// PrintTable shows rows as a table on a terminal and as tab-separated lines
// (header first) when piped, so scripts can cut columns.
func PrintTable(io *IOStreams, header []string, rows [][]string) error {
	if !io.IsStdoutTTY() {
		fmt.Fprintln(io.Out, strings.Join(header, "\t"))
		for _, r := range rows {
			fmt.Fprintln(io.Out, strings.Join(r, "\t"))
		}
		return nil
	}
	t := tablewriter.NewWriter(io.Out)
	h := make([]any, len(header))
	for i, s := range header {
		h[i] = s
	}
	t.Header(h...)
	if err := t.Bulk(rows); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	return nil
}
