package cmdutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/volact/volact/internal/hresult"
)

// BindConfig fills every flag the user did not set from, in order, the
// VOLACT_<FLAG> environment variable and the config file. Precedence is
// flag > env > config file > default (design §8). Typed option structs stay
// the single source of truth; nothing reads viper afterwards.
func BindConfig(cmd *cobra.Command, f *Factory) error {
	// viper reads the config file; the environment is read through
	// f.Getenv so that tests can inject it.
	v := viper.New()
	cfg := f.Opts.Config
	if cfg == "" {
		cfg = f.Getenv("VOLACT_CONFIG")
	}
	if cfg == "" {
		// Look for the few formats we document ourselves: viper's own
		// search stats a dozen extensions per directory on every start.
		cfg = findConfig()
	}
	if cfg != "" {
		v.SetConfigFile(cfg)
		if err := v.ReadInConfig(); err != nil {
			return hresult.Wrap(hresult.InvalidArg, err, "cannot read config file").
				WithHint("fix the file or point --config / VOLACT_CONFIG at another one").WithExit(hresult.ExitInvalid)
		}
	}
	var errs []error
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		if fl.Changed || fl.Name == "legacy" || fl.Name == "help" || fl.Name == "config" {
			return
		}
		val, from := "", ""
		env := "VOLACT_" + strings.ToUpper(strings.ReplaceAll(fl.Name, "-", "_"))
		if s := f.Getenv(env); s != "" {
			val, from = s, env
		} else if v.InConfig(fl.Name) {
			val, from = v.GetString(fl.Name), "config file "+v.ConfigFileUsed()
		} else {
			return
		}
		if err := cmd.Flags().Set(fl.Name, val); err != nil {
			errs = append(errs, Invalidf("%s: invalid value %q for --%s: %v", from, val, fl.Name, err))
		}
	})
	return errors.Join(errs...)
}

// configExts are the config file formats volact documents.
var configExts = []string{"yaml", "yml", "json", "toml"}

// findConfig returns the first config.<ext> in configDirs, or "".
func findConfig() string {
	for _, d := range configDirs() {
		for _, ext := range configExts {
			p := filepath.Join(d, "config."+ext)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return p
			}
		}
	}
	return ""
}

// configDirs lists where volact looks for config.{yaml,json,toml} when no
// --config is given: the user's config dir, then the system one.
func configDirs() []string {
	var dirs []string
	if d, err := os.UserConfigDir(); err == nil {
		dirs = append(dirs, filepath.Join(d, "volact"))
	}
	return append(dirs, systemConfigDir)
}

// FlagErr wraps cobra's flag parse errors as usage errors (exit 2).
func FlagErr(_ *cobra.Command, err error) error {
	return &UsageError{Err: fmt.Errorf("%w", err)}
}
