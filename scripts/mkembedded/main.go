// Command mkembedded builds the default data set embedded in pkg/data: the
// first 10000 training and first 2000 test examples of Fashion-MNIST, as
// gzipped IDX files.
//
//	go run ./scripts/mkembedded [-src /usr/share/datasets/fashion-mnist] [-out pkg/data/embedded]
//
// The source is Debian's dataset-fashion-mnist package. The output is
// deterministic: gzip headers carry no name or time and the compression
// level is fixed, so the same Go toolchain rebuilds identical bytes.
// Taking a prefix rather than sampling keeps the subset trivially
// reproducible; the classes are near balanced in it anyway (the tool prints
// the counts).
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
)

func main() {
	src := flag.String("src", "/usr/share/datasets/fashion-mnist", "directory with the Fashion-MNIST .gz files")
	out := flag.String("out", "pkg/data/embedded", "output directory")
	flag.Parse()
	log.SetFlags(0)
	for _, part := range []struct {
		prefix string
		n      int
	}{{"train", 10000}, {"t10k", 2000}} {
		labels := subset(*src, *out, part.prefix+"-labels-idx1-ubyte.gz", 8, 1, part.n)
		subset(*src, *out, part.prefix+"-images-idx3-ubyte.gz", 16, 28*28, part.n)
		var counts [10]int
		for _, l := range labels {
			counts[l]++
		}
		fmt.Printf("%s: %d examples, per class %v\n", part.prefix, part.n, counts)
	}
}

// subset copies the header of an IDX file, with its count set to n, and the
// first n records of recordSize bytes, and returns those records.
func subset(src, out, name string, header, recordSize, n int) []byte {
	f, err := os.Open(filepath.Join(src, name))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		log.Fatalf("%s: %v", name, err)
	}
	buf := make([]byte, header+n*recordSize)
	if _, err := io.ReadFull(zr, buf); err != nil {
		log.Fatalf("%s: %v", name, err)
	}
	if have := binary.BigEndian.Uint32(buf[4:]); int(have) < n {
		log.Fatalf("%s: only %d records", name, have)
	}
	binary.BigEndian.PutUint32(buf[4:], uint32(n))

	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := zw.Write(buf); err != nil {
		log.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, name), gz.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	return buf[header:]
}
