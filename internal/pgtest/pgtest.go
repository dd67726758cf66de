// Package pgtest gives tests a PostgreSQL schema of their own on the
// development and CI server, and a TCP proxy in front of it that can cut
// the network the two ways databases fail: refused (a restart, a closed
// port) and partitioned (packets dropped: the connection stays open and
// nothing comes back).
//
// The server is LABELGUARD_TEST_POSTGRES_DSN, by default the local server
// of the development machine and of CI (trust authentication, database
// "test"). Tests skip when it is unreachable, except with CI set, where a
// missing server fails them: the PostgreSQL tests must run in CI.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultDSN is the server used when LABELGUARD_TEST_POSTGRES_DSN is unset.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable&connect_timeout=5"

// DSN returns the test server's DSN.
func DSN() string {
	if v := os.Getenv("LABELGUARD_TEST_POSTGRES_DSN"); v != "" {
		return v
	}
	return DefaultDSN
}

var (
	once    sync.Once
	errOnce error
)

// Require skips t when the server is unreachable, or fails it when CI is
// set.
func Require(t testing.TB) {
	t.Helper()
	once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, DSN())
		if err != nil {
			errOnce = err
			return
		}
		errOnce = c.Ping(ctx)
		_ = c.Close(ctx)
	})
	if errOnce == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("PostgreSQL at LABELGUARD_TEST_POSTGRES_DSN (default %s) is unreachable and CI is set: %v", DefaultDSN, errOnce)
	}
	t.Skipf("PostgreSQL unreachable (%v); set LABELGUARD_TEST_POSTGRES_DSN, or CI=1 to make this a failure", errOnce)
}

// Schema creates a schema unique to t, drops it when t ends, and returns
// the server's DSN selecting it, so that runs and parallel tests never see
// each other's rows. It calls Require first.
func Schema(t testing.TB) string {
	t.Helper()
	Require(t)
	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "lg_test_" + hex.EncodeToString(b[:])
	admin, err := pgx.Connect(ctx, DSN())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	_ = admin.Close(ctx)
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, DSN())
		if err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return WithSearchPath(t, DSN(), schema)
}

// WithSearchPath returns dsn selecting schema.
func WithSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	if !strings.Contains(dsn, "://") {
		return dsn + " search_path=" + schema
	}
	return WithParam(t, dsn, "search_path", schema)
}

// WithParam returns the URL dsn with the connection parameter key set to
// value (connect_timeout, search_path, ...).
func WithParam(t testing.TB, dsn, key, value string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("not a URL DSN: %v", err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// ViaProxy returns dsn with its host replaced by the proxy's address, and
// the proxy, started in front of dsn's host. dsn must be a URL.
func ViaProxy(t testing.TB, dsn string) (string, *Proxy) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Skipf("needs a URL DSN with a host, got %q", dsn)
	}
	p := NewProxy(t, u.Host)
	u.Host = p.Addr()
	return u.String(), p
}
