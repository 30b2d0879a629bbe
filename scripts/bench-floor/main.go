// Command bench-floor is the start-up floor of the client: a binary that
// links only the four libraries the product brief requires of volact
// (cobra, viper, fatih/color, tablewriter), uses each so that the linker
// keeps it, and prints {}. scripts/bench-start.sh times volact against it.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/fatih/color"
	"github.com/olekukonko/tablewriter"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

func main() {
	v := viper.New()
	v.SetEnvPrefix("FLOOR")
	root := &cobra.Command{
		Use:           "floor",
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if v.GetBool("table") {
				t := tablewriter.NewWriter(io.Discard)
				t.Header("A")
				_ = t.Render()
			}
			c := color.New(color.FgGreen)
			c.DisableColor()
			_, err := c.Fprintln(cmd.OutOrStdout(), "{}")
			return err
		},
	}
	root.Flags().Bool("json", false, "")
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
