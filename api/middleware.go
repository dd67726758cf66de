package api

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// RequestIDHeader carries the request ID in and out.
const RequestIDHeader = "X-Request-Id"

const (
	requestIDKey = "labelguard.requestID"
	logErrorKey  = "labelguard.error"
	logAttrsKey  = "labelguard.logAttrs"
)

// An inbound request ID is reused only when it is short and plain, so that a
// client cannot inject text into the log.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader(RequestIDHeader)
	if !requestIDPattern.MatchString(id) {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(requestIDKey, id)
	c.Header(RequestIDHeader, id)
	c.Next()
}

func requestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// addLogAttrs attaches attributes to the request's log line. Callers pass
// only identifiers that are not PHI (service, hook, rule IDs, counts).
func addLogAttrs(c *gin.Context, attrs ...slog.Attr) {
	cur, _ := c.Get(logAttrsKey)
	list, _ := cur.([]slog.Attr)
	c.Set(logAttrsKey, append(list, attrs...))
}

// logRequests writes one structured line per request: the route template
// rather than the path, and never a body, header value or patient ID.
func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	status := c.Writer.Status()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	attrs := []slog.Attr{
		slog.String("request_id", requestID(c)),
		slog.String("method", c.Request.Method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000),
	}
	if v, ok := c.Get(logAttrsKey); ok {
		attrs = append(attrs, v.([]slog.Attr)...)
	}
	level := slog.LevelInfo
	if v, ok := c.Get(logErrorKey); ok {
		attrs = append(attrs, slog.String("error", fmt.Sprint(v)))
		level = slog.LevelWarn
	}
	if status >= 500 {
		level = slog.LevelError
	}
	s.log.LogAttrs(c.Request.Context(), level, "request", attrs...)
}

// recover turns a panic into a 500 with the request ID; the stack goes to
// the log. No client input is meant to reach it (see the fuzz tests).
func (s *Server) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic", slog.String("request_id", requestID(c)),
				slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
			writeError(c, fmt.Errorf("panic: %v", v))
		}
	}()
	c.Next()
}

// limitBody enforces the body size limit and the JSON content type before a
// handler reads anything.
func (s *Server) limitBody(c *gin.Context) {
	if c.Request.Method != http.MethodPost {
		c.Next()
		return
	}
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			writeError(c, newError(http.StatusUnsupportedMediaType, codeUnsupportedMedia, "Content-Type must be application/json", nil))
			return
		}
	}
	if c.Request.ContentLength > s.cfg.MaxBodyBytes {
		writeError(c, tooLarge(s.cfg.MaxBodyBytes))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes)
	c.Next()
}

func tooLarge(limit int64) *apiError {
	return newError(http.StatusRequestEntityTooLarge, codeTooLarge,
		fmt.Sprintf("request body exceeds %d bytes", limit), nil)
}
