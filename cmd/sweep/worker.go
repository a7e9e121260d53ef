package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/spf13/cobra"

	"github.com/sweep-ml/sweep/pkg/distributed"
	"github.com/sweep-ml/sweep/pkg/train"
)

type workerOptions struct {
	nats     natsOptions
	workers  int
	kernel   string
	dataDirs []string
	errOut   io.Writer
}

func newWorkerCmd() *cobra.Command {
	var opts workerOptions
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Train trials of sweeps run with --nats, until signalled",
		Long: `Join the NATS JetStream server that "sweep run CONFIG --nats URL" coordinates
through and train the trials it publishes, up to --workers at once, until
SIGINT or SIGTERM. The worker waits while there is nothing to train and
reconnects for as long as the server is away. Data sets are found by name
under each --data-dir (embedded data needs none) and must match the
coordinator's fingerprint; a trial whose data this worker lacks is given back
for other workers. Results are bit-identical whatever worker, CPU or --kernel
trains them.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.errOut = cmd.ErrOrStderr()
			return runWorker(cmd.Context(), opts)
		},
	}
	addNATSFlags(cmd, &opts.nats, false)
	cmd.Flags().IntVar(&opts.workers, "workers", 1, "trials trained at once")
	cmd.Flags().StringVar(&opts.kernel, "kernel", "", kernelUsage())
	cmd.Flags().StringArrayVar(&opts.dataDirs, "data-dir", nil, "directory to look for data sets in, by name (repeatable)")
	return cmd
}

func runWorker(ctx context.Context, opts workerOptions) error {
	if opts.workers < 1 || opts.workers > 256 {
		return usageError{fmt.Errorf("--workers must be between 1 and 256, got %d", opts.workers)}
	}
	kernel, err := train.CheckKernel(opts.kernel)
	if err != nil {
		return usageError{err}
	}
	if opts.nats.url == "" {
		return usageError{fmt.Errorf("worker needs --nats URL, the server its coordinator uses")}
	}
	if _, ok, _ := distributed.ParseEmbedded(opts.nats.url); ok {
		return usageError{fmt.Errorf("--nats embedded starts a server in a coordinator; a worker joins it by the URL the coordinator prints")}
	}
	logger := log.New(opts.errOut, "sweep worker: ", log.LstdFlags|log.Lmicroseconds)
	co := opts.nats.conn("sweep worker", logger.Printf)
	if err := co.Check(); err != nil {
		return usageError{err}
	}
	nc, err := distributed.Connect(co)
	if err != nil {
		return err
	}
	defer nc.Close()
	logger.Printf("%d worker(s), kernel %s, server %s", opts.workers, kernel, co.URL)
	var stats distributed.WorkerStats
	err = distributed.RunWorkers(ctx, nc, distributed.WorkerOptions{
		Workers: opts.workers, Kernel: kernel, DataDirs: opts.dataDirs, Logf: logger.Printf,
	}, &stats)
	if errors.Is(err, distributed.ErrAuth) {
		return err // it trained nothing
	}
	logger.Printf("stopping: %d segments trained (%d resumed from a checkpoint), %d handed back unfinished, %d refused (data or version this worker lacks)",
		stats.Trained.Load(), stats.Resumed.Load(), stats.HandedBack.Load(), stats.Refused.Load())
	return err
}

// natsOptions are the --nats flags of run, resume and worker.
type natsOptions struct {
	url, creds, token, tlsCA, tlsCert, tlsKey string
	ackWait                                   time.Duration
	// urlGiven and ackWaitGiven say the flags were on the command line,
	// so that an empty --nats (an unset variable) or an --ack-wait
	// without --nats is an error rather than a local run.
	urlGiven, ackWaitGiven bool
}

// noteGiven records which of the coordinator's NATS flags cmd was given.
func (o *natsOptions) noteGiven(cmd *cobra.Command) {
	o.urlGiven, o.ackWaitGiven = cmd.Flags().Changed("nats"), cmd.Flags().Changed("ack-wait")
}

func addNATSFlags(cmd *cobra.Command, o *natsOptions, coordinator bool) {
	f := cmd.Flags()
	if coordinator {
		f.StringVar(&o.url, "nats", "", `coordinate through a NATS JetStream server: its URL, or "embedded[:ADDR]" to start one in this process (default address 127.0.0.1:4222); --workers then counts local workers (default none)`)
		f.DurationVar(&o.ackWait, "ack-wait", distributed.DefaultAckWait, "with --nats: how long a worker may be silent before its trial goes to another")
	} else {
		f.StringVar(&o.url, "nats", "", "the NATS server's URL (nats://host:4222)")
	}
	f.StringVar(&o.creds, "nats-creds", "", "NATS credentials file")
	f.StringVar(&o.token, "nats-token", "", "NATS authentication token")
	f.StringVar(&o.tlsCA, "nats-tls-ca", "", "CA certificate to verify the NATS server with")
	f.StringVar(&o.tlsCert, "nats-tls-cert", "", "client certificate for the NATS server")
	f.StringVar(&o.tlsKey, "nats-tls-key", "", "client key for the NATS server")
}

func (o natsOptions) conn(name string, logf func(string, ...any)) distributed.ConnOptions {
	return distributed.ConnOptions{URL: o.url, Creds: o.creds, Token: o.token, TLSCA: o.tlsCA,
		TLSCert: o.tlsCert, TLSKey: o.tlsKey, Name: name, Logf: logf}
}
