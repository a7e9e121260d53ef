package report

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/sweep-ml/sweep/pkg/train"
)

// WriteHistory prints a training history as an aligned table.
func WriteHistory(w io.Writer, history []train.Record) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\tepoch\teta\ttrain cost\ttrain loss\ttrain acc\tval cost\tval loss\tval acc\t")
	for _, r := range history {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Step,
			strconv.FormatFloat(r.Epoch, 'f', 2, 64), Sci(r.Eta),
			Fixed(r.TrainCost), Fixed(r.TrainLoss), Percent(r.TrainAccuracy),
			Fixed(r.ValCost), Fixed(r.ValLoss), Percent(r.ValAccuracy))
	}
	return tw.Flush()
}

// JSONRecord is a history record for JSON output, with nulls for values
// that are not numbers.
type JSONRecord struct {
	Step          int    `json:"step"`
	Epoch         Number `json:"epoch"`
	Eta           Number `json:"eta"`
	TrainCost     Number `json:"train_cost"`
	TrainLoss     Number `json:"train_loss"`
	TrainAccuracy Number `json:"train_accuracy"`
	ValCost       Number `json:"val_cost"`
	ValLoss       Number `json:"val_loss"`
	ValAccuracy   Number `json:"val_accuracy"`
}

// JSONHistory converts a history for JSON output.
func JSONHistory(history []train.Record) []JSONRecord {
	out := make([]JSONRecord, len(history))
	for i, r := range history {
		out[i] = JSONRecord{r.Step, Number(r.Epoch), Number(r.Eta), Number(r.TrainCost), Number(r.TrainLoss),
			Number(r.TrainAccuracy), Number(r.ValCost), Number(r.ValLoss), Number(r.ValAccuracy)}
	}
	return out
}
