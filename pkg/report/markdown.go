package report

import (
	"io"
	"strings"
)

// WriteMarkdown prints the summary and rows as Markdown: a short list
// describing the sweep, then a pipe table with the table form's cells.
func WriteMarkdown(w io.Writer, s Summary, rows []Row) error {
	var b strings.Builder
	b.WriteString("## Sweep " + mdEscape(s.Name) + "\n\n")
	b.WriteString("- data: `" + s.Fingerprint + "`\n")
	for _, st := range s.Stages {
		b.WriteString("- stage " + mdEscape(st) + "\n")
	}
	b.WriteString("- " + s.CountLine() + "\n\n")
	for i, cells := range humanCells(rows) {
		for j := range cells {
			cells[j] = mdEscape(cells[j])
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
		if i == 0 {
			// Text columns (id, stage, status) left, numbers right.
			b.WriteString("| --- | :--- | :--- | :--- |" + strings.Repeat(" ---: |", len(cells)-4) + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var mdEscaper = strings.NewReplacer(`|`, `\|`, `*`, `\*`, `_`, `\_`, "`", "\\`", `<`, `\<`,
	"\r\n", " ", "\n", " ", "\r", " ")

// mdEscape keeps names and values from being read as Markdown emphasis,
// code, HTML or table syntax; a line break would end a table row, so it
// becomes a space.
func mdEscape(s string) string { return mdEscaper.Replace(s) }
