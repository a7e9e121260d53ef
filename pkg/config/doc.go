// Package config defines a sweep's settings: the table of training and
// model settings, the YAML file format, its validation, and the canonical
// encoding of a resolved trial.
//
// [Table] has one row per training or model setting (key, section, kind,
// bounds, a one-line doc and its accessors on train.Config). The parser's
// known keys, the settings a space may search, the starter config
// ([Starter], `sweep init`), the settings a report reads and the identity
// of a trial are all derived from it, so adding a setting is a row here
// plus its use in package train.
//
// A config file (see configs/quickstart.yaml) declares the data, the model,
// the base training settings and a search made of stages. [Default] is the
// config of a file that sets nothing; [Parse] overlays a YAML document on
// it and [Load] reads a file, naming it in messages; [Config.Validate]
// checks the values. Every error about the content is a [*FieldError]
// naming the file, line and key path; it wraps [ErrInvalid], and also
// train.ErrInvalidConfig when train found the problem.
//
// A stage samples a space (sampler, trials, space, refine; sampler tpe
// proposes from earlier results in rounds, [TPE]), retrains the
// best configurations so far (best), or is an LR range test ([LRRange],
// `lr_range: {min, max, epochs}`), which stands alone in its stage:
// [Config.RangeConfig] is its one training, and the rates it derives
// ([RangeRates], stored in [Derived]) replace the training section's for
// every later stage ([Config.WithRates]).
//
// A resolved trial (every setting, its seed, the data fingerprint and the
// numerics version) has one encoding, [EncodeTrial], whose bytes
// [TrialID] hashes; [DecodeTrial] accepts exactly those bytes. Its
// "training" object, [EncodeSettings], is what the store keeps as a trial's
// config and what report reads back with [ReadSettings]. A stage's stored
// spec and derived values have [EncodeStage]/[DecodeStage] and
// [EncodeDerived]/[DecodeDerived]. See [TrialEncoding] for the format and
// why trial ids did not change when it was introduced.
package config
