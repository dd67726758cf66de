package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/labelguard/labelguard/cdshooks"
)

// TestRecoverTurnsPanicInto500 checks the last line of defence: a panic in
// a handler becomes a JSON 500 carrying the request ID, and the stack goes to
// the log, not to the client.
func TestRecoverTurnsPanicInto500(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	s := New(Config{}, nil, slog.New(slog.NewJSONHandler(&logs, nil)))
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(s.requestID, s.logRequests, s.recover)
	r.GET("/boom", func(*gin.Context) { panic("secret internal state") })

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	var e cdshooks.Error
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatal(err)
	}
	id := rec.Header().Get(RequestIDHeader)
	if e.Error.Code != codeInternal || id == "" || !strings.Contains(e.Error.Message, id) {
		t.Errorf("body %s does not carry the request ID %q", rec.Body, id)
	}
	if strings.Contains(rec.Body.String(), "secret internal state") {
		t.Error("the panic value leaked to the client")
	}
	if !strings.Contains(logs.String(), "stack") || !strings.Contains(logs.String(), id) {
		t.Errorf("the log lacks the stack or request ID: %s", logs.String())
	}
}
