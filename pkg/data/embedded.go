package data

import (
	"context"
	"embed"
)

// embeddedFS holds the default data set; see embedded/README.md for what it
// is and scripts/mkembedded for how it is built.
//
//go:embed embedded/*.gz
var embeddedFS embed.FS

func embeddedFile(name string) fileRef {
	return fileRef{
		path: "embedded:" + name,
		read: func(context.Context) ([]byte, error) { return embeddedFS.ReadFile("embedded/" + name) },
	}
}

// planEmbedded serves the built-in Fashion-MNIST subset: 10000 training
// and 2000 test examples.
func planEmbedded(spec Spec) (*loadPlan, error) {
	if spec.Dir != "" || spec.Train != nil || spec.Test != nil || spec.Validation.Files != nil {
		return nil, specErr("the embedded data set takes no dir or files, only a holdout")
	}
	pair := func(prefix string) []unit {
		return []unit{idxUnit{
			images: embeddedFile(prefix + "-images-idx3-ubyte.gz"),
			labels: embeddedFile(prefix + "-labels-idx1-ubyte.gz"),
		}}
	}
	return &loadPlan{source: SourceEmbedded, format: FormatIDXGzip, train: pair("train"), test: pair("t10k")}, nil
}
