package distributed

import (
	"testing"

	"github.com/nats-io/nats.go"
)

// testServer starts an embedded JetStream server for one test, on a free
// loopback port with its store in a temporary directory, and shuts it
// down when the test ends.
func testServer(t *testing.T) ConnOptions {
	t.Helper()
	e, err := StartEmbedded("127.0.0.1:0", t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Shutdown)
	return ConnOptions{URL: e.LocalURL, Token: e.Token}
}

// testConn connects to conn, closed when the test ends (before the
// server it was started after).
func testConn(t *testing.T, conn ConnOptions) *nats.Conn {
	t.Helper()
	nc, err := Connect(conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}
