package kernel

import "testing"

// The NEON set computes every row of a column block in assembly, each
// element one FMLA chain in k order, and the columns past its last whole
// vector in Go as the same chain: bit for bit the reference chain on every
// element, in both precisions. Every arm64 CPU runs it. Run on amd64 with
// GOARCH=arm64 go test -exec qemu-aarch64-static ./pkg/train/internal/kernel/.
func TestNEONMatchesFMAChain(t *testing.T) {
	s, known, runs := Lookup("neon")
	if !known || !runs || Default() != s {
		t.Fatalf("Lookup(neon) = %v, known %v, runs %v, Default() %v: every arm64 build runs neon by default", s, known, runs, Default())
	}
	testMatchesFMAChain(t, s)
}
