package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net/http"
	"testing"
)

// TestAdminServer: no listener without an address; with one, the admin
// handler is served, over TLS with the API's certificate when it has one.
func TestAdminServer(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	if a, err := startAdminServer("", nil, "", "", log); a != nil || err != nil {
		t.Fatalf("empty --admin-addr: %v, %v; want no server", a, err)
	}
	if _, err := startAdminServer("256.0.0.1:1", nil, "", "", log); err == nil {
		t.Error("an unusable --admin-addr was accepted")
	}
	certFile, keyFile, der := writeTestCert(t)
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("admin")) })
	a, err := startAdminServer("127.0.0.1:0", h, certFile, keyFile, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.shutdown(context.Background())
	pool := x509.NewCertPool()
	pool.AddCert(mustParse(t, der))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + a.addr.String() + "/metrics")
	if err != nil {
		t.Fatalf("the admin port does not speak TLS with the API's certificate: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("admin over TLS: %d", resp.StatusCode)
	}
	if err := a.shutdown(context.Background()); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if err := <-a.failed(); err != http.ErrServerClosed {
		t.Errorf("after shutdown the listener reports %v, want http.ErrServerClosed", err)
	}
}
