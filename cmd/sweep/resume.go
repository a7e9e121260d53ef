package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/search"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

type resumeOptions struct {
	db      string
	workers int
	kernel  string
	nats    natsOptions
	out     io.Writer
	errOut  io.Writer
}

func newResumeCmd() *cobra.Command {
	var opts resumeOptions
	cmd := &cobra.Command{
		Use:   "resume",
		Short: "Continue a sweep with the config stored in its database",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.out, opts.errOut = cmd.OutOrStdout(), cmd.ErrOrStderr()
			opts.nats.noteGiven(cmd)
			return runResume(cmd.Context(), opts)
		},
	}
	addDBFlag(cmd, &opts.db)
	cmd.Flags().IntVar(&opts.workers, "workers", 0, "trials trained at once (default search.workers, else the number of CPUs)")
	cmd.Flags().StringVar(&opts.kernel, "kernel", "", kernelUsage())
	addNATSFlags(cmd, &opts.nats, true)
	return cmd
}

func runResume(ctx context.Context, opts resumeOptions) error {
	if err := checkWorkers(opts.workers); err != nil {
		return err
	}
	if _, err := train.CheckKernel(opts.kernel); err != nil {
		return usageError{err}
	}
	dbPath, err := findDB(opts.db)
	if err != nil {
		return err
	}
	// Read the stored config first, then let runSweep open the database
	// for writing once the data has loaded.
	db, err := store.Open(dbPath, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	sw, err := db.Sweep()
	db.Close()
	if err != nil {
		return err
	}
	cfg, err := config.Parse(bytes.NewReader(sw.ConfigYAML), config.ParseOptions{
		File: sw.ConfigPath, BaseDir: filepath.Dir(sw.ConfigPath)})
	if err != nil {
		return err
	}
	return runSweep(ctx, cfg, dbPath, store.Options{}, search.RunOptions{Workers: opts.workers, Kernel: opts.kernel}, opts.nats, opts.out, opts.errOut)
}

// addDBFlag adds --db to a command that works on an existing sweep.
func addDBFlag(cmd *cobra.Command, db *string) {
	cmd.Flags().StringVar(db, "db", "", "sweep database (default: the only one in the current directory)")
}

// findDB returns the --db value, or the only sweep database in the
// current directory.
func findDB(flag string) (string, error) {
	if flag == "" {
		return store.FindDB(".")
	}
	if _, err := os.Stat(flag); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("no sweep database at %s (--db)", flag)
	}
	return flag, nil
}
