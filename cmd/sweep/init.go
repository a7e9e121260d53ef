package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/report"
)

type initOptions struct {
	data  string
	file  string
	force bool
	out   io.Writer
}

func newInitCmd() *cobra.Command {
	var opts initOptions
	cmd := &cobra.Command{
		Use:   "init [FILE]",
		Short: "Write a commented starter config (coarse, fine and final stages)",
		Long: `Write a commented starter config with a coarse, a fine and a final stage to
FILE (default sweep.yaml; "-" for standard output), named after FILE (x.yaml
makes the sweep x, stored in x.db). With --data embedded (the default) it runs
as is; idx and cifar10 need the data where the comment says.

Settings of the model and training sections (and of a stage's overrides),
with their defaults:
` + config.Help() + `
` + stageKeysHelp,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{fmt.Errorf("init takes at most one file, got %d", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.file = "sweep.yaml"
			if len(args) == 1 {
				opts.file = args[0]
			}
			opts.out = cmd.OutOrStdout()
			return runInit(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.data, "data", "embedded", "data source: embedded, idx or cifar10")
	cmd.Flags().BoolVar(&opts.force, "force", false, "overwrite FILE if it exists")
	return cmd
}

// stageKeysHelp lists the keys of a stage in search.stages (a test holds
// it to the parser's).
const stageKeysHelp = `Keys of a stage (search.stages); the starter config shows most in use:
  name       the stage's name
  sampler    grid | random | sobol | tpe
  trials     how many points the sampler draws
  space      the searched settings, each {log10: [a, b]}, {loguniform: [lo, hi]},
             {uniform: [a, b]}, {int: [a, b]} or {choice: [v, ...]}; refine for a range
             from the stage before (log10: refine)
  after      the earlier stage this one follows or refines (default: the one before)
  refine     {top, margin}: narrow the space to the best trials of the stage before
  best       retrain the best N configurations so far instead of sampling
  seeds      train each configuration this many times
  halving    {min_cycles, eta}: successive halving over cycles
  tpe        {startup, batch}: with sampler tpe, the sobol points first, then rounds of proposals
  lr_range   {min, max, epochs}: the LR range test instead of a search
  model, training, data   overrides of the sections above for this stage
`

func runInit(ctx context.Context, opts initOptions) error {
	// The config is named after its file, so that two configs in one
	// directory get two databases.
	name := strings.TrimSuffix(filepath.Base(opts.file), filepath.Ext(opts.file))
	if opts.file == "-" || config.CheckName(name) != nil {
		name = ""
	}
	raw, err := config.Starter(opts.data, name)
	if err != nil {
		return usageError{err}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if opts.file == "-" {
		_, err := opts.out.Write(raw)
		return err
	}
	err = report.CreateFile(opts.file, opts.force, func(w io.Writer) error {
		_, err := w.Write(raw)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.out, "wrote %s; run it with: sweep run %s\n", opts.file, opts.file)
	return nil
}
