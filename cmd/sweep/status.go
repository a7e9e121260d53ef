package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sweep-ml/sweep/pkg/report"
	"github.com/sweep-ml/sweep/pkg/store"
)

type statusOptions struct {
	db  string
	out io.Writer
}

func newStatusCmd() *cobra.Command {
	var opts statusOptions
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a sweep's trials by status and the progress of running ones",
		Long: `Show how many trials of each stage are done, pruned or promoted (halving
stages), diverged, failed, running or pending, and the progress of the running
ones. It works while a sweep runs, by reading the snapshot the running process
keeps beside the database.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.out = cmd.OutOrStdout()
			return runStatus(cmd.Context(), opts)
		},
	}
	addDBFlag(cmd, &opts.db)
	return cmd
}

func runStatus(ctx context.Context, opts statusOptions) error {
	path, err := findDB(opts.db)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no sweep database at %s: %w", path, err)
	}
	snap, snapErr := store.ReadStatus(path)
	if snapErr == nil && snap.IsLive(time.Now(), store.StatusStaleAfter) {
		fmt.Fprintf(opts.out, "sweep %q is running (pid %d, updated %s ago)\n", snap.Sweep, snap.PID, time.Since(snap.Updated).Round(time.Second))
		return writeSnapshot(opts.out, snap)
	}
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		if errors.Is(err, store.ErrInUse) && snapErr == nil {
			// Locked but the snapshot is stale: show it for what it is.
			fmt.Fprintf(opts.out, "sweep %q: database locked by another process; last snapshot %s ago\n", snap.Sweep, time.Since(snap.Updated).Round(time.Second))
			return writeSnapshot(opts.out, snap)
		}
		return err
	}
	defer db.Close()
	sw, err := db.Sweep()
	if err != nil {
		return err
	}
	stages, err := db.Stages()
	if err != nil {
		return err
	}
	snap = store.StatusSnapshot{Sweep: sw.Name}
	for _, st := range stages {
		counts := map[store.Status]int{}
		for _, id := range st.TrialIDs {
			if err := ctx.Err(); err != nil {
				return err
			}
			t, err := db.Trial(id)
			if err != nil {
				return err
			}
			counts[t.Status]++
		}
		snap.Stages = append(snap.Stages, store.StageCounts{Name: st.Name, Total: len(st.TrialIDs), Counts: counts})
	}
	fmt.Fprintf(opts.out, "sweep %q is not running (database %s)\n", sw.Name, path)
	return writeSnapshot(opts.out, snap)
}

// statusColumns are the statuses the status table shows: all, except
// pruned and promoted in a sweep without halving stages.
func statusColumns(snap store.StatusSnapshot) []store.Status {
	var out []store.Status
	for _, s := range store.Statuses {
		shown := s != store.Pruned && s != store.Promoted
		for _, st := range snap.Stages {
			shown = shown || st.Counts[s] > 0
		}
		if shown {
			out = append(out, s)
		}
	}
	return out
}

func writeSnapshot(w io.Writer, snap store.StatusSnapshot) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := []string{"stage", "trials"}
	columns := statusColumns(snap)
	for _, s := range columns {
		header = append(header, string(s))
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, st := range snap.Stages {
		cells := []string{st.Name, fmt.Sprint(st.Total)}
		for _, s := range columns {
			cells = append(cells, fmt.Sprint(st.Counts[s]))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(snap.Running) == 0 {
		return nil
	}
	sort.Slice(snap.Running, func(i, j int) bool { return snap.Running[i].ID < snap.Running[j].ID })
	queued := 0
	for _, rt := range snap.Running {
		if rt.Queued {
			queued++
		}
	}
	if queued > 0 {
		fmt.Fprintf(w, "\nrunning (%d training, %d queued for a worker):\n", len(snap.Running)-queued, queued)
	} else {
		fmt.Fprintln(w, "\nrunning:")
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tstage\tlambda\tstep\tepoch\tval acc\ttrained by")
	for _, rt := range snap.Running {
		acc := "-"
		if rt.ValAccuracy != nil {
			acc = report.Percent(*rt.ValAccuracy)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%.2f\t%s\t%s\n", report.ShortID(rt.ID), rt.Stage, report.Sci(rt.Params["lambda"]), rt.Step, rt.TotalSteps, rt.Epoch, acc, trainedBy(rt))
	}
	return tw.Flush()
}

// trainedBy says where a running trial trains: "worker (host, kernel)"
// for a distributed worker, "host (kernel)" in the sweep's own pool,
// "queued" before a worker takes it.
func trainedBy(rt store.RunningTrial) string {
	switch {
	case rt.Queued:
		return "queued"
	case rt.Worker != "":
		return fmt.Sprintf("%s (%s, %s)", rt.Worker, rt.Host, rt.Kernel)
	case rt.Host != "" || rt.Kernel != "":
		return fmt.Sprintf("%s (%s)", rt.Host, rt.Kernel)
	}
	return "-"
}
