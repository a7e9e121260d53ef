// Package search reads sweep configurations and turns them into the
// parameter sets of a hyperparameter search.
//
// A config file (see configs/quickstart.yaml) declares the data, the model,
// the base training settings and a search made of stages. [Load] or [Parse]
// read it into a [Config] (every default filled, relative paths made
// absolute) and [Config.Validate] checks it; every error is a [*ConfigError]
// naming the file, line and key path, so mistakes surface before anything
// trains.
//
// Each [Stage] has a sampler (grid, random or sobol), a number of trials and
// a space of [Dimension]s over the numeric training and model settings. A
// stage may refine the ranges around the best trials of an earlier stage
// (`{log10: refine}`, see [RefineRange]) or retrain the best configurations
// found so far (`best: K`). A config without a search section is a single
// stage named "default" with one grid trial and an empty space.
//
// [Stage.Points] produces a stage's parameter sets. Trial i's parameters
// depend only on the sweep seed, the stage name and i, so random and sobol
// stages can grow by raising trials without changing earlier trials.
// [Config.TrainConfig] layers the base settings, the stage's overrides and a
// point's parameters into the train.Config of one trial.
//
// A [Runner] runs a sweep against a store database. [NewRunner] validates
// the config and loads every data set its stages use, once ([LoadData]),
// before any database exists; [Runner.Prepare] records the sweep or checks
// that a stored one was trained on the same data; [Runner.Run] plans each
// stage in turn (refined ranges and best sources are computed when the
// stage starts and stored with it, see [Derived]) and trains its unfinished
// trials on an errgroup pool of Workers goroutines, one goroutine per trial.
// A trial is identified by [TrialID], a hash of everything that determines
// its result, so it is trained once however often it is asked for. Its
// checkpoints, history and weights go to the store; a diverging trial is
// recorded as diverged and a failing one as failed (retried by the next
// run); only store errors and cancellation stop the sweep. [Runner.Plan]
// lists the trials without training.
package search
