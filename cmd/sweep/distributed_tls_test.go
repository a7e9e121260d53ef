package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// certPair is a PEM certificate and key signed by ca (self-signed if ca is
// nil).
type certPair struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
	keyPEM  []byte
}

func newCert(t *testing.T, name string, ca *certPair, usage x509.ExtKeyUsage) *certPair {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	parent, signer := tmpl, key
	if ca == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	} else {
		parent, signer = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &certPair{cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})}
}

// --nats-tls-ca, --nats-tls-cert and --nats-tls-key reach a server that
// verifies client certificates: coordinator and worker connect through TLS
// and the sweep ends as a local run.
func TestDistributedTLS(t *testing.T) {
	local := localRun(t, tinySweep)
	ca := newCert(t, "sweep test CA", nil, x509.ExtKeyUsageAny)
	srvCert := newCert(t, "127.0.0.1", ca, x509.ExtKeyUsageServerAuth)
	client := newCert(t, "worker", ca, x509.ExtKeyUsageClientAuth)
	dir := t.TempDir()
	for name, b := range map[string][]byte{"ca.pem": ca.certPEM, "client.pem": client.certPEM, "client-key.pem": client.keyPEM} {
		writeFile(t, filepath.Join(dir, name), b)
	}
	pair, err := tls.X509KeyPair(srvCert.certPEM, srvCert.keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(),
		NoSigs: true, NoLog: true, TLS: true, TLSVerify: true,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	flags := []string{"--nats", fmt.Sprintf("tls://127.0.0.1:%d", srv.Addr().(*net.TCPAddr).Port),
		"--nats-tls-ca", "ca.pem", "--nats-tls-cert", "client.pem", "--nats-tls-key", "client-key.pem"}
	// The server really demands the client certificate the flags give.
	if nc, err := nats.Connect(flags[1], nats.RootCAs(filepath.Join(dir, "ca.pem")), nats.Timeout(2*time.Second)); err == nil {
		nc.Close()
		t.Fatal("a client without a certificate connected")
	}
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(tinySweep))
	startSweep(t, dir, append([]string{"worker"}, flags...)...)
	mustSweep(t, dir, append([]string{"run", "c.yaml", "--db", "tls.db"}, flags...)...)
	checkSame(t, local, filepath.Join(dir, "tls.db"))
}
