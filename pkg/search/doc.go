// Package search runs a sweep's stages: it samples each stage's space,
// plans its trials and trains them on a pool of workers against a store
// database.
//
// The config (package config) declares the stages. [Points] produces a
// stage's parameter sets with its sampler (grid, random or sobol): trial
// i's parameters depend only on the sweep seed, the stage name and i, so
// random and sobol stages can grow by raising trials without changing
// earlier trials. A stage may refine the ranges around the best trials of
// an earlier stage ([RefineRange]) or retrain the best configurations found
// so far (`best: K`).
//
// A tpe stage (`sampler: tpe`, config.TPE) learns from results in rounds:
// its startup points are sobol's first, and each later round of batch
// points is proposed by a tree-structured Parzen estimator from the
// results of every round before it, once they are all finished (see
// tpe.go and sampler_tpe.go); the proposals are stored with the stage.
// Rounds wait for results, not for time, so the points are the same for
// any number of workers and any interruption.
//
// A range stage (`lr_range: {min, max, epochs}`) is the LR range test: one
// trial whose rate rises log-linearly from min to max (train.LRRange).
// Once it is final, diverged included, [DeriveRates] turns its history into
// eta_min and eta_max: cut at the first non-finite cost, validation
// accuracy smoothed over 5 records, eta_max the rate of the first record
// within 0.001 of the highest smoothed accuracy, eta_min the rate where a
// tenth of the rise to it is covered, at most eta_max/10 and at least min
// (both min when accuracy never rises). They are stored as the stage's
// derived values (config.Derived.Rates), and every later stage plans with
// them in place of the training section's rates; its own overrides and
// space still win.
//
// A [Runner] runs a sweep. [NewRunner] validates the config, loads every
// data set its stages use, once ([LoadData]), and checks every trial it can
// plan against its data, before any database exists; [Runner.Prepare]
// records the sweep or checks that a stored one was trained on the same
// data; [Runner.Run] plans each stage in turn (refined ranges and best
// sources are computed when the stage starts and stored with it, see
// config.Derived) and trains its unfinished trials on an errgroup pool of
// Workers goroutines, one goroutine per trial. A trial is identified by
// [TrialID], the hash of its canonical encoding (config.EncodeTrial), so it
// is trained once however often it is asked for. Its checkpoints, history
// and weights go to the store; a diverging trial is recorded as diverged
// and a failing one as failed (retried by the next run); only store errors
// and cancellation stop the sweep. [Runner.Plan] lists the trials without
// training.
package search
