package distributed

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// DefaultEmbeddedAddr is where an embedded server listens unless told:
// loopback only, the standard port.
const DefaultEmbeddedAddr = "127.0.0.1:4222"

// Embedded is a JetStream server running inside this process.
type Embedded struct {
	srv *server.Server
	// URL is the client URL workers connect to (this machine's name when
	// the server listens on every address), LocalURL the one this process
	// uses; Token authenticates both.
	URL, LocalURL, Token string
}

// ParseEmbedded reads --nats's value: "embedded" or "embedded:ADDR"
// (host:port; a port alone means loopback). ok is false for a server URL.
func ParseEmbedded(v string) (addr string, ok bool, err error) {
	rest, found := strings.CutPrefix(v, "embedded")
	if !found || rest != "" && rest[0] != ':' {
		return "", false, nil
	}
	rest = strings.TrimPrefix(rest, ":")
	if rest == "" {
		return DefaultEmbeddedAddr, true, nil
	}
	if _, err := strconv.Atoi(rest); err == nil {
		rest = "127.0.0.1:" + rest
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		return "", true, fmt.Errorf("%w: --nats %s: expected embedded:HOST:PORT, e.g. embedded:0.0.0.0:4222", ErrOptions, v)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", true, fmt.Errorf("%w: --nats %s: the port must be a number 0..65535", ErrOptions, v)
	}
	if host == "" {
		host = "0.0.0.0"
	}
	return net.JoinHostPort(host, port), true, nil
}

// StartEmbedded starts a JetStream server listening on addr, with file
// storage in dir. It always requires a token, so it never listens (on
// loopback or any other address) without authentication: token if given,
// else the one kept in dir/token, else a new random one saved there, so
// that workers reconnect to a restarted coordinator with the same token.
func StartEmbedded(addr, dir, token string) (*Embedded, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%w: embedded server address %q: %w", ErrOptions, addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("%w: embedded server address %q: bad port", ErrOptions, addr)
	}
	// A port in use is refused at once, before anything is created; the
	// server itself would only time out.
	if port != 0 {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("distributed: embedded server cannot listen on %s: %w (choose another port with --nats embedded:HOST:PORT)", addr, err)
		}
		l.Close()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("distributed: embedded server: %w", err)
	}
	if token == "" {
		if token, err = savedToken(filepath.Join(dir, "token")); err != nil {
			return nil, err
		}
	}
	if port == 0 {
		port = server.RANDOM_PORT // the server reads 0 as its default, 4222
	}
	srv, err := server.NewServer(&server.Options{
		ServerName: "sweep", Host: host, Port: port, JetStream: true, StoreDir: dir,
		Authorization: token, NoSigs: true, NoLog: true,
	})
	if err != nil {
		return nil, fmt.Errorf("distributed: embedded server: %w", err)
	}
	srv.Start()
	// Generous: JetStream recovers its file store before it is ready,
	// and a loaded machine is slow to.
	if !srv.ReadyForConnections(time.Minute) {
		srv.Shutdown()
		return nil, fmt.Errorf("distributed: embedded server on %s was not ready for connections within a minute", addr)
	}
	if !srv.JetStreamEnabled() {
		srv.Shutdown()
		return nil, fmt.Errorf("distributed: embedded server: JetStream did not start (store %s)", dir)
	}
	e := &Embedded{srv: srv, URL: srv.ClientURL(), LocalURL: srv.ClientURL(), Token: token}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		p := strconv.Itoa(srv.Addr().(*net.TCPAddr).Port)
		e.LocalURL = "nats://" + net.JoinHostPort("127.0.0.1", p)
		if name, err := os.Hostname(); err == nil {
			e.URL = "nats://" + net.JoinHostPort(name, p)
		}
	}
	return e, nil
}

// Shutdown stops the server; its file storage keeps every stream.
func (e *Embedded) Shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}

// savedToken reads the token in path, or creates it.
func savedToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) >= 16 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("distributed: embedded server token: %w", err)
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("distributed: embedded server token: %w", err)
	}
	token := hex.EncodeToString(raw[:])
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("distributed: embedded server token: %w", err)
	}
	return token, nil
}
