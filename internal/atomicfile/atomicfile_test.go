package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func content(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func TestWrite(t *testing.T) {
	boom := errors.New("boom")
	failing := func(w io.Writer) error { io.WriteString(w, "half"); return boom }
	for _, tc := range []struct {
		name     string
		existing string // "" for none
		opts     Options
		fn       func(io.Writer) error
		wantErr  error
		want     string // the file's content afterwards
		wantPerm fs.FileMode
	}{
		{"create", "", Options{}, content("new"), nil, "new", 0o644},
		{"create durably, private", "", Options{Durable: true, Perm: 0o600}, content("new"), nil, "new", 0o600},
		{"no replace keeps the file", "old", Options{}, content("new"), fs.ErrExist, "old", 0o644},
		{"replace", "old", Options{Replace: true}, content("new"), nil, "new", 0o644},
		{"failing writer, new", "", Options{}, failing, boom, "", 0},
		{"failing writer, replace", "old", Options{Replace: true, Durable: true}, failing, boom, "old", 0o644},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f")
			if tc.existing != "" {
				if err := os.WriteFile(path, []byte(tc.existing), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := Write(path, tc.opts, tc.fn); !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("Write: %v, want %v", err, tc.wantErr)
			}
			b, err := os.ReadFile(path)
			switch {
			case tc.want == "" && !errors.Is(err, fs.ErrNotExist):
				t.Errorf("file exists (%q, %v), want none", b, err)
			case tc.want != "" && string(b) != tc.want:
				t.Errorf("file holds %q (%v), want %q", b, err, tc.want)
			}
			if fi, err := os.Stat(path); err == nil && fi.Mode().Perm() != tc.wantPerm {
				t.Errorf("mode %v, want %v", fi.Mode().Perm(), tc.wantPerm)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 1 {
				t.Errorf("temporary file left behind: %v", entries)
			}
		})
	}
}

// Replace replaces a regular file only: a symbolic link is neither
// followed nor replaced.
func TestWriteRefusesToReplaceALink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Skip(err)
	}
	if err := Write(link, Options{Replace: true}, content("new")); !errors.Is(err, ErrNotRegular) {
		t.Errorf("Write over a link: %v, want ErrNotRegular", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("target changed to %q", b)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("link replaced: %v %v", fi, err)
	}
}
