package distributed

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func TestParseEmbedded(t *testing.T) {
	for _, tc := range []struct {
		in, addr string
		ok, bad  bool
	}{
		{"embedded", DefaultEmbeddedAddr, true, false},
		{"embedded:5222", "127.0.0.1:5222", true, false},
		{"embedded:0.0.0.0:4222", "0.0.0.0:4222", true, false},
		{"embedded::4222", "0.0.0.0:4222", true, false},
		{"embedded:[::1]:4222", "[::1]:4222", true, false},
		{"embedded:host", "", true, true},
		{"embedded:h:99999", "", true, true},
		{"embeddedx", "", false, false},
		{"nats://embedded:4222", "", false, false},
	} {
		addr, ok, err := ParseEmbedded(tc.in)
		if ok != tc.ok || (err != nil) != tc.bad || addr != tc.addr {
			t.Errorf("ParseEmbedded(%q) = %q, %v, %v; want %q, %v, error %v", tc.in, addr, ok, err, tc.addr, tc.ok, tc.bad)
		}
		if err != nil && !errors.Is(err, ErrOptions) {
			t.Errorf("ParseEmbedded(%q): %v does not wrap ErrOptions", tc.in, err)
		}
	}
}

// The embedded server refuses clients without its token, and keeps the
// token across restarts so that workers reconnect to a restarted
// coordinator.
func TestEmbeddedRequiresToken(t *testing.T) {
	dir := t.TempDir()
	e, err := StartEmbedded("127.0.0.1:0", dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Token) < 32 {
		t.Errorf("token %q is too short to be a secret", e.Token)
	}
	if nc, err := nats.Connect(e.URL); err == nil {
		nc.Close()
		t.Error("a client without the token connected")
	} else if !strings.Contains(err.Error(), "Authorization") {
		t.Errorf("connect without the token: %v, want an authorization error", err)
	}
	nc, err := nats.Connect(e.URL, nats.Token(e.Token))
	if err != nil {
		t.Fatalf("connect with the token: %v", err)
	}
	nc.Close()
	token := e.Token
	e.Shutdown()
	e, err = StartEmbedded("127.0.0.1:0", dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown()
	if e.Token != token {
		t.Errorf("restarted with token %q, want the saved %q", e.Token, token)
	}
	// Port 0 is a free port, not the server's default 4222.
	if strings.HasSuffix(e.URL, ":4222") {
		t.Errorf("embedded on port 0 listens at %s", e.URL)
	}
}

func TestConnOptionsCheck(t *testing.T) {
	for _, tc := range []struct {
		o    ConnOptions
		want string // "" if valid
	}{
		{ConnOptions{URL: "nats://h:4222"}, ""},
		{ConnOptions{URL: "nats://a:1,nats://b:2"}, ""},
		{ConnOptions{URL: "tls://h:4222", Token: "t"}, ""},
		{ConnOptions{}, "a server URL is required"},
		{ConnOptions{URL: "http://h:1"}, "the scheme must be"},
		{ConnOptions{URL: "h:4222"}, "expected a URL such as"},
		{ConnOptions{URL: "nats://h:1", Creds: "a", Token: "b"}, "exclude each other"},
		{ConnOptions{URL: "nats://h:1", TLSKey: "k"}, "go together"},
		{ConnOptions{URL: "nats://h:1", Creds: "/nonexistent/x.creds"}, "--nats-creds /nonexistent/x.creds"},
	} {
		err := tc.o.Check()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v", tc.o, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrOptions)):
			t.Errorf("%+v: error %v, want one saying %q", tc.o, err, tc.want)
		}
	}
}

// A port in use is refused at once, naming the address, and nothing is
// created in the store directory's place.
func TestEmbeddedPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.Addr().String()
	dir := filepath.Join(t.TempDir(), "x.db.nats")
	start := time.Now()
	_, err = StartEmbedded(addr, dir, "")
	if err == nil || !strings.Contains(err.Error(), "cannot listen on "+addr) {
		t.Fatalf("StartEmbedded on a busy port: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v to refuse a busy port", took)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the store directory was created: %v", err)
	}
}
