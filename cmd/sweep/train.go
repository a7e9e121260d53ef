package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/report"
	"github.com/sweep-ml/sweep/pkg/search"
	"github.com/sweep-ml/sweep/pkg/train"
)

type trainOptions struct {
	config string
	lambda float64
	setL   bool
	json   bool
	kernel string
	out    io.Writer
	errOut io.Writer
}

func newTrainCmd() *cobra.Command {
	var opts trainOptions
	cmd := &cobra.Command{
		Use:   "train CONFIG",
		Short: "Train one network from a config's data, model and training sections",
		Long: `Train one network from the config's data, model and training sections and
print its history and final accuracies. A search section, if present, is not
run: use "sweep run" for that.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.config = args[0]
			opts.setL = cmd.Flags().Changed("lambda")
			opts.out, opts.errOut = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runTrain(cmd.Context(), opts)
		},
	}
	cmd.Flags().Float64Var(&opts.lambda, "lambda", 0, "L2 penalty, overriding training.lambda")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print one JSON object instead of tables")
	cmd.Flags().StringVar(&opts.kernel, "kernel", "", kernelUsage())
	return cmd
}

// trainOutput is the JSON form of a training run; its keys are a contract.
type trainOutput struct {
	Params        map[string]float64  `json:"params"`
	Config        map[string]any      `json:"config"`
	Kernel        string              `json:"kernel"`
	History       []report.JSONRecord `json:"history"`
	TestAccuracy  report.Number       `json:"test_accuracy"`
	TestCost      report.Number       `json:"test_cost"`
	TestLoss      report.Number       `json:"test_loss"`
	Seconds       float64             `json:"seconds"`
	RecordSeconds float64             `json:"record_seconds"`
	LoadSeconds   float64             `json:"load_seconds"`
}

func runTrain(ctx context.Context, opts trainOptions) error {
	if opts.setL && (math.IsNaN(opts.lambda) || math.IsInf(opts.lambda, 0) || opts.lambda < 0) {
		return usageError{fmt.Errorf("--lambda must be a finite number >= 0, got %g", opts.lambda)}
	}
	if _, err := train.CheckKernel(opts.kernel); err != nil {
		return usageError{err}
	}
	cfg, err := config.Load(opts.config)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	params := map[string]float64{"lambda": cfg.Training.Lambda}
	if opts.setL {
		params["lambda"] = opts.lambda
	}
	tc, err := cfg.TrainConfig(nil, params)
	if err != nil {
		return err
	}
	loadStart := time.Now()
	ds, err := search.LoadData(ctx, cfg.Data)
	if err != nil {
		return cfg.DataError(nil, err)
	}
	loadSeconds := time.Since(loadStart).Seconds()
	if err := cfg.CheckFit(nil, tc, ds.Prepared); err != nil {
		return err
	}
	// Noted once the config is known to run, so a failure stays one line.
	if cfg.HasSearch() && !opts.json {
		fmt.Fprintf(opts.errOut, "note: %s has a search section; train runs only the base settings (use \"sweep run\" for the search)\n", opts.config)
	}
	if !opts.json {
		fmt.Fprintf(opts.out, "data: %s (%s), %d train / %d validation / %d test examples of %d features, loaded in %.2fs\n",
			ds.Info.Source, ds.Info.Format, ds.Prepared.NTrain(), ds.Prepared.NVal(), ds.Info.Test.N, ds.Info.D, loadSeconds)
		fmt.Fprintf(opts.out, "training %dx%dx%d: lambda %s, %d cycles, step size %s, batch %d, %s\n\n",
			ds.Info.K, tc.Hidden, ds.Info.D, report.Sci(tc.Lambda), tc.Cycles, tc.StepSize, tc.BatchSize, tc.Precision)
	}
	res, err := train.Train(ctx, tc, ds.Prepared, train.Options{Kernel: opts.kernel})
	if err != nil {
		return err
	}
	if opts.json {
		settings := config.SettingsMap(tc)
		settings["data"] = config.DataSettings(cfg.Data, ds.Info)
		enc := json.NewEncoder(opts.out)
		enc.SetIndent("", "  ")
		return enc.Encode(trainOutput{
			Params: params, Config: settings, Kernel: res.Kernel, History: report.JSONHistory(res.History),
			TestAccuracy: report.Number(res.Test.Accuracy), TestCost: report.Number(res.Test.Cost), TestLoss: report.Number(res.Test.Loss),
			Seconds: res.Seconds, RecordSeconds: res.RecordSeconds, LoadSeconds: loadSeconds,
		})
	}
	if err := report.WriteHistory(opts.out, res.History); err != nil {
		return err
	}
	last := res.History[len(res.History)-1]
	fmt.Fprintf(opts.out, "\nfinal accuracy: train %s, validation %s, test %s\n",
		report.Percent(last.TrainAccuracy), report.Percent(last.ValAccuracy), report.Percent(res.Test.Accuracy))
	fmt.Fprintf(opts.out, "trained in %.1fs (recording %.0f%% of it, kernel %s)\n",
		res.Seconds, 100*res.RecordSeconds/res.Seconds, res.Kernel)
	return nil
}

// kernelUsage is the --kernel flag's help: the sets this CPU runs, which
// give the same results at different speeds.
func kernelUsage() string {
	return fmt.Sprintf("matrix kernels to train with: %s on this CPU (default %s); each gives the same results", strings.Join(train.Kernels(), ", "), train.DefaultKernel())
}
