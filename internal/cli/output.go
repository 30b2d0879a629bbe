package cli

import (
	"fmt"
	"strings"

	"github.com/olekukonko/tablewriter"
)

// printTable shows rows as a table on a terminal and as tab-separated lines
// (header first) when piped, so scripts can cut columns.
func printTable(io *IOStreams, header []string, rows [][]string) error {
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

// colorStatus paints a status name for a terminal.
func colorStatus(io *IOStreams, status string) string {
	cs := io.ColorScheme()
	switch status {
	case "licensed":
		return cs.Green.Sprint(status)
	case "notification", "unlicensed":
		return cs.Red.Sprint(status)
	default:
		return cs.Yellow.Sprint(status)
	}
}
