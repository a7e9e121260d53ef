package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// FindTrial returns the trial whose id is id or starts with it. An
// ambiguous prefix is an error listing the matching ids.
func FindTrial(ctx context.Context, db *store.DB, id string) (store.Trial, error) {
	if id == "" {
		return store.Trial{}, errors.New("report: empty trial id")
	}
	if t, err := db.Trial(id); err == nil {
		return t, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Trial{}, err
	}
	var matches []store.Trial
	err := eachTrial(ctx, db, func(t store.Trial) error {
		if strings.HasPrefix(t.ID, id) {
			matches = append(matches, t)
		}
		return nil
	})
	switch {
	case err != nil:
		return store.Trial{}, err
	case len(matches) == 0:
		return store.Trial{}, fmt.Errorf("report: no trial %q in %s", id, db.Path())
	case len(matches) > 1:
		const shown = 10
		ids := make([]string, 0, shown)
		for _, m := range matches[:min(shown, len(matches))] {
			ids = append(ids, m.ID)
		}
		more := ""
		if len(matches) > shown {
			more = fmt.Sprintf(" and %d more", len(matches)-shown)
		}
		return store.Trial{}, fmt.Errorf("report: trial id %q is ambiguous, it starts %d ids: %s%s", id, len(matches), strings.Join(ids, ", "), more)
	}
	return matches[0], nil
}

// WriteTrial prints everything stored about one trial for people: its
// parameters, status, seed, timings, kernel, the stage that produced it,
// final metrics, any error, and its history as a table.
func WriteTrial(w io.Writer, db *store.DB, t store.Trial) error {
	stages, err := db.Stages()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	line("trial", t.ID)
	line("status", string(t.Status))
	line("cycles", strconv.Itoa(CyclesTrained(t)))
	for _, name := range paramNames([]Row{{Trial: t}}) {
		if _, ok := t.Params[name]; ok {
			line(name, paramString(name, t.Params))
		}
	}
	line("seed", fmt.Sprintf("%d (seed index %d)", t.Seed, t.SeedIndex))
	var listed []string
	for _, st := range stages {
		if st.Name == t.Stage {
			desc, err := DescribeStage(st)
			if err != nil {
				return err
			}
			line("stage", desc)
			continue
		}
		if i := slices.Index(st.TrialIDs, t.ID); i >= 0 && st.Reused[i] {
			listed = append(listed, st.Name)
		}
	}
	if t.Stage != "" && !slices.ContainsFunc(stages, func(st store.Stage) bool { return st.Name == t.Stage }) {
		line("stage", t.Stage)
	}
	if len(listed) > 0 {
		line("reused in", strings.Join(listed, ", "))
	}
	line("kernel", dash(t.Kernel))
	for i, sg := range t.Segments {
		key := ""
		if i == 0 {
			key = "segments"
		}
		line(key, segmentString(sg))
	}
	line("precision", dash(t.Precision))
	line("seconds", fmt.Sprintf("%.2f training, %.2f wall", t.Seconds, t.WallSeconds))
	line("attempts", strconv.Itoa(t.Attempts))
	line("started", timeString(t.Started))
	line("finished", timeString(t.Finished))
	m := t.Final
	line("train", metricsLine(m.TrainAccuracy, m.TrainCost, m.TrainLoss))
	line("val", metricsLine(m.ValAccuracy, m.ValCost, m.ValLoss))
	line("test", metricsLine(m.TestAccuracy, m.TestCost, m.TestLoss))
	if t.DivergedStep > 0 {
		line("diverged", fmt.Sprintf("at step %d", t.DivergedStep))
	}
	if t.Error != "" {
		line("error", strings.Join(strings.Fields(t.Error), " "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var history []train.Record
	err = db.ForEachRecord(t.ID, func(r store.Record) error {
		history = append(history, train.Record(r))
		return nil
	})
	if err != nil {
		return err
	}
	if len(history) == 0 {
		_, err = fmt.Fprintln(w, "\nno history")
		return err
	}
	fmt.Fprintf(w, "\nhistory (%d records)\n", len(history))
	return WriteHistory(w, history)
}

// segmentString describes where one stretch of a trial trained.
func segmentString(s store.Segment) string {
	where := dash(s.Host)
	if s.Worker != "" {
		where = fmt.Sprintf("worker %s on %s", s.Worker, where)
	}
	return fmt.Sprintf("steps %d-%d: %s, kernel %s", s.From, s.To, where, dash(s.Kernel))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func metricsLine(acc, cost, loss *float64) string {
	if acc == nil && cost == nil && loss == nil {
		return "-"
	}
	return fmt.Sprintf("accuracy %s, cost %s, loss %s", Percent(metric(acc)), Fixed(metric(cost)), Fixed(metric(loss)))
}
