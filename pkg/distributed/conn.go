package distributed

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrOptions is wrapped by every error about a bad server URL or
// security option.
var ErrOptions = errors.New("distributed: bad option")

// ErrAuth is wrapped by the error of a process whose credentials the
// server refused.
var ErrAuth = errors.New("distributed: not authorised")

// ErrNoServer is wrapped by the error of a FailFast connection that found
// no server.
var ErrNoServer = errors.New("distributed: no NATS server")

// ConnOptions say how to reach and authenticate to a NATS server; they
// pass through to nats.go.
type ConnOptions struct {
	// URL is a nats:// or tls:// URL, or several separated by commas.
	URL string
	// Creds is a credentials file (JWT + NKey seed), Token an
	// authentication token.
	Creds, Token string
	// TLSCA verifies the server; TLSCert and TLSKey, both or neither, are
	// this client's certificate.
	TLSCA, TLSCert, TLSKey string
	// Name is the connection's name in the server's monitoring.
	Name string
	// Logf, if set, hears about disconnections and reconnections.
	Logf func(format string, args ...any)
	// FailFast makes the first connection an error if no server answers
	// (a coordinator: a wrong URL is a typo to report, not a wait);
	// without it the first connection is retried for ever (a worker
	// waits for its server). Either way a lost connection is retried.
	FailFast bool
}

// Check validates the options without connecting: each error is one line
// naming the flag.
func (o ConnOptions) Check() error {
	if o.URL == "" {
		return fmt.Errorf("%w: --nats: a server URL is required", ErrOptions)
	}
	for _, u := range strings.Split(o.URL, ",") {
		p, err := url.Parse(strings.TrimSpace(u))
		if err != nil || p.Hostname() == "" {
			return fmt.Errorf("%w: --nats %q: expected a URL such as nats://host:4222", ErrOptions, u)
		}
		switch p.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			return fmt.Errorf("%w: --nats %q: the scheme must be nats, tls, ws or wss, got %q", ErrOptions, u, p.Scheme)
		}
	}
	if o.Creds != "" && o.Token != "" {
		return fmt.Errorf("%w: --nats-creds and --nats-token exclude each other", ErrOptions)
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return fmt.Errorf("%w: --nats-tls-cert and --nats-tls-key go together", ErrOptions)
	}
	for _, f := range []struct{ flag, path string }{
		{"--nats-creds", o.Creds}, {"--nats-tls-ca", o.TLSCA}, {"--nats-tls-cert", o.TLSCert}, {"--nats-tls-key", o.TLSKey},
	} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			return fmt.Errorf("%w: %s %s: %w", ErrOptions, f.flag, f.path, err)
		}
	}
	return nil
}

// Connect connects to the server, retrying for ever: it returns at once,
// and the connection comes up (and back, after the server was away)
// whenever the server answers. With o.FailFast the first connection must
// succeed.
func Connect(o ConnOptions) (*nats.Conn, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	opts := []nats.Option{
		nats.Name(o.Name), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(!o.FailFast),
		nats.ReconnectWait(500 * time.Millisecond), nats.ReconnectBufSize(64 << 20),
	}
	if o.Creds != "" {
		opts = append(opts, nats.UserCredentials(o.Creds))
	}
	if o.Token != "" {
		opts = append(opts, nats.Token(o.Token))
	}
	if o.TLSCA != "" {
		opts = append(opts, nats.RootCAs(o.TLSCA))
	}
	if o.TLSCert != "" {
		opts = append(opts, nats.ClientCert(o.TLSCert, o.TLSKey))
	}
	if o.Logf != nil {
		logf := o.Logf
		opts = append(opts,
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
				if err != nil {
					logf("disconnected from the NATS server (%v); reconnecting", err)
				}
			}),
			nats.ReconnectHandler(func(nc *nats.Conn) { logf("reconnected to %s", nc.ConnectedUrlRedacted()) }))
	}
	nc, err := nats.Connect(o.URL, opts...)
	switch {
	case err == nil:
	case isAuthError(err):
		return nil, fmt.Errorf("%w: the NATS server at %s refused this client (%v): check --nats-token or --nats-creds", ErrAuth, redact(o.URL), err)
	case o.FailFast && (o.TLSCA != "" || o.TLSCert != "" || errors.Is(err, nats.ErrSecureConnRequired) || errors.Is(err, nats.ErrSecureConnWanted)):
		return nil, fmt.Errorf("%w at %s (%v): check --nats, the --nats-tls-* files and that the server runs", ErrNoServer, redact(o.URL), err)
	case o.FailFast:
		return nil, fmt.Errorf("%w at %s (%v): check --nats and that the server runs", ErrNoServer, redact(o.URL), err)
	default:
		return nil, fmt.Errorf("distributed: connect to %s: %w", redact(o.URL), err)
	}
	return nc, nil
}

// redact hides a URL's password or token.
func redact(u string) string {
	if p, err := url.Parse(u); err == nil && p.User != nil {
		p.User = url.User("redacted")
		return p.String()
	}
	return u
}

// setup creates or updates the streams and the object store every
// process uses, and returns the object store. It retries until ctx is done:
// the server may not be up yet.
func setup(ctx context.Context, js jetstream.JetStream, logf func(string, ...any)) (jetstream.ObjectStore, error) {
	nc := js.Conn()
	for logged := false; ; {
		octx, cancel := whileOpen(ctx, nc)
		obs, err := trySetup(octx, js)
		cancel()
		if err == nil {
			return obs, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if nc.IsClosed() {
			return nil, closedError(nc)
		}
		if !logged && logf != nil {
			if nc.IsConnected() {
				logf("waiting for the NATS server's JetStream (%v)", err)
			} else {
				why := "no answer yet"
				if e := nc.LastError(); e != nil {
					why = e.Error()
				}
				logf("waiting for a NATS server at %s (not connected: %s); check --nats if none comes", redact(nc.Opts.Url), why)
			}
			logged = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// whileOpen is ctx, cancelled too once nc is closed: nats.go closes a
// connection whose credentials the server refuses, which no retry mends.
func whileOpen(ctx context.Context, nc *nats.Conn) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if nc.IsClosed() {
					cancel()
					return
				}
			}
		}
	}()
	return ctx, cancel
}

// closedError says why nc was closed, naming the flags to fix if the
// server refused the credentials.
func closedError(nc *nats.Conn) error {
	if err := nc.LastError(); isAuthError(err) {
		return fmt.Errorf("%w: the NATS server refused this client (%v): check --nats-token or --nats-creds", ErrAuth, err)
	}
	return fmt.Errorf("distributed: the connection to the NATS server was closed (%v)", nc.LastError())
}

func isAuthError(err error) bool {
	return errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) || errors.Is(err, nats.ErrAuthRevoked)
}

func trySetup(ctx context.Context, js jetstream.JetStream) (jetstream.ObjectStore, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, sc := range []jetstream.StreamConfig{
		// One message per trial subject, and a second refused rather than
		// dropping the first: a trial is queued once, for as long as it is
		// queued (a duplicate window would hold only for minutes).
		{Name: workStream, Subjects: []string{"sweep.work.>"},
			MaxMsgsPerSubject: 1, Discard: jetstream.DiscardNew, DiscardNewPerSubject: true},
		{Name: resultsStream, Subjects: []string{"sweep.results.>"}},
	} {
		sc.Retention, sc.Storage, sc.Duplicates = jetstream.WorkQueuePolicy, jetstream.FileStorage, 2*time.Minute
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return nil, fmt.Errorf("distributed: stream %s: %w", sc.Name, err)
		}
	}
	obs, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: blobBucket, Storage: jetstream.FileStorage})
	if err != nil {
		return nil, fmt.Errorf("distributed: object store %s: %w", blobBucket, err)
	}
	return obs, nil
}

// retry runs op until it succeeds or ctx is done, waiting between tries:
// the server may be away, and every process waits for it.
func retry(ctx context.Context, op func(context.Context) error) error {
	for {
		octx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := op(octx)
		cancel()
		if err == nil || ctx.Err() != nil {
			if err != nil {
				return ctx.Err()
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
