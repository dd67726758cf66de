package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)
)

// SQLiteFile is the name of the database file under the data directory.
const SQLiteFile = "labelguard.db"

// sqliteParams are applied to every connection:
//   - WAL lets readers (report, readiness) run while the audit writer
//     writes; synchronous=NORMAL is durable across process crashes in WAL
//     mode and loses at most the last transactions on power loss, an
//     acceptable trade for an audit written in batches.
//   - busy_timeout makes a second process (a report run next to serve)
//     wait for the write lock instead of failing at once.
//   - foreign_keys enables the cascade from decisions to their cards.
//   - _txlock=immediate takes the write lock at BEGIN, so a transaction
//     that reads then writes cannot deadlock with another writer.
const sqliteParams = "_busy_timeout=10000&_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=1"

type sqliteStore struct {
	path string
	// w is the only connection that writes: SQLite allows one writer at a
	// time, and queueing writers in database/sql is cheaper and fairer than
	// letting them collide on the file lock and wait out busy_timeout.
	w *sql.DB
	// r serves reads concurrently with the writer (WAL).
	r   *sql.DB
	sql sqlDB
	now func() time.Time
}

// OpenSQLite opens (creating if needed) <dataDir>/labelguard.db. The
// directory is created with mode 0750 and the file with 0600: the audit is
// pseudonymised, not public. Call Migrate before use (Open does).
func OpenSQLite(ctx context.Context, dataDir string) (Store, error) {
	if strings.ContainsAny(dataDir, "?#") {
		return nil, fmt.Errorf("sqlite: data directory %q: '?' and '#' are not supported", dataDir)
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: creating data directory: %w", err)
	}
	path := filepath.Join(dataDir, SQLiteFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	_ = f.Close()

	w, err := sql.Open("sqlite", path+"?"+sqliteParams+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", path+"?"+sqliteParams+"&_query_only=1")
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	s := &sqliteStore{path: path, w: w, r: r, now: time.Now}
	s.sql = sqlDB{
		d: sqliteDialect,
		query: func(ctx context.Context, q string, args ...any) (rows, error) {
			rs, err := s.r.QueryContext(ctx, q, args...)
			if err != nil {
				return nil, err
			}
			return sqlRows{rs}, nil
		},
		exec: func(ctx context.Context, q string, args ...any) (int64, error) {
			res, err := s.w.ExecContext(ctx, q, args...)
			if err != nil {
				return 0, err
			}
			return res.RowsAffected()
		},
	}
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

func (s *sqliteStore) Backend() string { return "sqlite" }

// Ping checks that the file can be read, which is what could break on a
// local file (permissions, disk, corruption).
func (s *sqliteStore) Ping(ctx context.Context) error {
	var n int
	if err := s.w.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		return fmt.Errorf("sqlite: %s: %w", s.path, err)
	}
	return nil
}

func (s *sqliteStore) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

// Migrate applies the missing migrations in one IMMEDIATE transaction: it
// holds the database's write lock from the first read of schema_migrations,
// so another process migrating at the same time waits (busy_timeout) and
// then finds nothing left to do. SQLite DDL is transactional, so a failed
// migration leaves the schema as it was.
func (s *sqliteStore) Migrate(ctx context.Context) error {
	ms, err := loadMigrations("sqlite")
	if err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: migrate: creating schema_migrations: %w", err)
	}
	applied, err := appliedVersions(ctx, tx)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("sqlite: migration %04d_%s: %w", m.version, m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, s.now().UnixMicro()); err != nil {
			return fmt.Errorf("sqlite: recording migration %04d: %w", m.version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: migrate: commit: %w", err)
	}
	return nil
}

func appliedVersions(ctx context.Context, tx *sql.Tx) (map[int]bool, error) {
	rs, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("reading schema_migrations: %w", err)
	}
	defer rs.Close()
	out := map[int]bool{}
	for rs.Next() {
		var v int
		if err := rs.Scan(&v); err != nil {
			return nil, fmt.Errorf("reading schema_migrations: %w", err)
		}
		out[v] = true
	}
	return out, rs.Err()
}

func (s *sqliteStore) InsertDecisions(ctx context.Context, in []Decision) error {
	if len(in) == 0 {
		return nil
	}
	ds, err := normDecisions(in, s.now())
	if err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: insert decisions: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	insD, err := tx.PrepareContext(ctx, `INSERT INTO decisions (id, decided_at, service, hook, hook_instance,
		patient_hash, policy_revision, latency_us, error_kind, data_issues)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`)
	if err != nil {
		return fmt.Errorf("sqlite: insert decisions: %w", err)
	}
	defer insD.Close()
	insC, err := tx.PrepareContext(ctx, `INSERT INTO decision_cards (decision_id, position, card_uuid, rule_id, indicator, order_ref)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("sqlite: insert decisions: %w", err)
	}
	defer insC.Close()
	var cards []string
	for _, d := range ds {
		res, err := insD.ExecContext(ctx, d.ID, d.Time.UnixMicro(), d.Service, d.Hook, d.HookInstance, d.PatientHash,
			d.PolicyRevision, d.Latency.Microseconds(), d.ErrorKind, encodeList(d.DataIssues))
		if err != nil {
			return fmt.Errorf("sqlite: insert decision: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue // written by an earlier attempt
		}
		for i, c := range d.Cards {
			if _, err := insC.ExecContext(ctx, d.ID, i, c.UUID, c.Rule, c.Indicator, c.Order); err != nil {
				return fmt.Errorf("sqlite: insert decision card: %w", err)
			}
			cards = append(cards, c.UUID)
		}
	}
	if err := s.markKnown(ctx, tx, cards); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: insert decisions: commit: %w", err)
	}
	return nil
}

// markKnown flags feedback that arrived before its card's audit record
// (the audit is written asynchronously). The check on the partial index
// makes the common case, no such feedback, one index probe.
func (s *sqliteStore) markKnown(ctx context.Context, tx *sql.Tx, cards []string) error {
	if len(cards) == 0 {
		return nil
	}
	var pending bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM feedback WHERE known = 0)`).Scan(&pending); err != nil {
		return fmt.Errorf("sqlite: checking unknown feedback: %w", err)
	}
	if !pending {
		return nil
	}
	for _, c := range cards {
		if _, err := tx.ExecContext(ctx, `UPDATE feedback SET known = 1 WHERE known = 0 AND card_uuid = ?`, c); err != nil {
			return fmt.Errorf("sqlite: marking feedback known: %w", err)
		}
	}
	return nil
}

func (s *sqliteStore) InsertFeedback(ctx context.Context, in []Feedback) (int, error) {
	if len(in) == 0 {
		return 0, nil
	}
	fs, err := normFeedback(in, s.now())
	if err != nil {
		return 0, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: insert feedback: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	unknown := 0
	for _, f := range fs {
		var known bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM decision_cards WHERE card_uuid = ?)`,
			f.CardUUID).Scan(&known); err != nil {
			return 0, fmt.Errorf("sqlite: looking up card: %w", err)
		}
		if !known {
			unknown++
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO feedback (card_uuid, service, outcome, accepted_suggestions,
			reason_system, reason_code, reason_display, user_comment, outcome_at, received_at, issuer, known)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (card_uuid, outcome, outcome_at) DO NOTHING`,
			f.CardUUID, f.Service, f.Outcome, encodeList(f.AcceptedSuggestions), f.ReasonSystem, f.ReasonCode,
			f.ReasonDisplay, f.UserComment, f.OutcomeTime.UnixMicro(), f.ReceivedAt.UnixMicro(), f.Issuer, known); err != nil {
			return 0, fmt.Errorf("sqlite: insert feedback: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: insert feedback: commit: %w", err)
	}
	return unknown, nil
}

func (s *sqliteStore) Purge(ctx context.Context, olderThan time.Time) (int64, error) {
	n, err := s.sql.purge(ctx, olderThan)
	if err != nil {
		return n, fmt.Errorf("sqlite: %w", err)
	}
	return n, nil
}

func (s *sqliteStore) Report(ctx context.Context, from, to time.Time) ([]RuleReport, error) {
	out, err := s.sql.report(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return out, nil
}

func (s *sqliteStore) Decisions(ctx context.Context, from, to time.Time) ([]Decision, error) {
	out, err := s.sql.decisions(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return out, nil
}

func (s *sqliteStore) Feedback(ctx context.Context, from, to time.Time) ([]Feedback, error) {
	out, err := s.sql.feedback(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return out, nil
}
