package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print this release and the versions of what it computes and stores",
		Long: `Print one fact a line: the module version and VCS revision sweep was built
from, the numerics version its trials are computed with (a database of other
numerics is not continued), the store schema it reads and writes, and the
training kernel this CPU would run (the fastest) and every kernel it can
run, fastest first, for --kernel. sweep --version prints the same.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := io.WriteString(cmd.OutOrStdout(), versionText())
			return err
		},
	}
}

// versionText is the output of `sweep version`, one "name value" a line.
func versionText() string {
	module, revision := "(devel)", "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		// go run and go test leave the version empty; go build stamps one.
		if v := info.Main.Version; v != "" {
			module = v
		}
		modified := false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && revision != "unknown" {
			revision += " (modified)"
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sweep %s\n", module)
	fmt.Fprintf(&b, "revision %s\n", revision)
	fmt.Fprintf(&b, "numerics %d\n", train.AlgorithmVersion)
	fmt.Fprintf(&b, "schema %d\n", store.SchemaVersion)
	fmt.Fprintf(&b, "kernel %s\n", train.DefaultKernel())
	fmt.Fprintf(&b, "kernels %s\n", strings.Join(train.Kernels(), " "))
	return b.String()
}
