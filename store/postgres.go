package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

type pgStore struct {
	pool *pgxpool.Pool
	sql  sqlDB
	now  func() time.Time
}

// DefaultConnectTimeout bounds a PostgreSQL connection attempt when the
// DSN sets no connect_timeout.
const DefaultConnectTimeout = 5 * time.Second

// OpenPostgres connects a pool to the database named by dsn (a pgx
// connection string or URL; pool_max_conns and the other pgxpool settings
// may be given in it; connect_timeout defaults to DefaultConnectTimeout)
// and checks that it answers. The tables live in the first schema of the
// search_path, which the DSN may set (search_path=...). Call Migrate
// before use (Open does).
func OpenPostgres(ctx context.Context, dsn string) (Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message does not include the password.
		return nil, fmt.Errorf("postgres: parsing DSN: %w", err)
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "labelguard"
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// Without it a connection attempt to a partitioned server waits
		// for the kernel to give up (minutes): the pool creates
		// connections in the background, detached from the caller's
		// deadline, and each one stuck there holds a slot of the pool.
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: creating pool: %w", err)
	}
	s := &pgStore{pool: pool, now: time.Now}
	s.sql = sqlDB{
		d: postgresDialect,
		query: func(ctx context.Context, q string, args ...any) (rows, error) {
			return s.pool.Query(ctx, q, args...)
		},
		exec: func(ctx context.Context, q string, args ...any) (int64, error) {
			tag, err := s.pool.Exec(ctx, q, args...)
			return tag.RowsAffected(), err
		},
	}
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func (s *pgStore) Backend() string { return "postgres" }

func (s *pgStore) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

func (s *pgStore) Close() error {
	s.pool.Close()
	return nil
}

// Migrate applies the missing migrations, each in its own transaction,
// under a session advisory lock: replicas starting together queue on the
// lock, and each one after the first finds nothing left to do. The lock
// key is derived from the schema, so deployments (or test runs) in
// different schemas of one database do not wait for each other.
func (s *pgStore) Migrate(ctx context.Context) (err error) {
	ms, err := loadMigrations("postgres")
	if err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer conn.Release()
	var schema *string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if schema == nil {
		return errors.New("postgres: migrate: no schema of the search_path exists")
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte("labelguard/migrate/" + *schema))
	key := int64(h.Sum64())
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("postgres: migrate: taking the migration lock: %w", err)
	}
	defer func() {
		// Unlock even if ctx is done; if that fails the session still
		// holds the lock, so the connection is closed rather than returned
		// to the pool.
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, uerr := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, key); uerr != nil {
			_ = conn.Conn().Close(uctx)
			err = errors.Join(err, fmt.Errorf("postgres: migrate: releasing the migration lock: %w", uerr))
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("postgres: migrate: creating schema_migrations: %w", err)
	}
	rs, err := conn.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("postgres: migrate: reading schema_migrations: %w", err)
	}
	applied, err := pgx.CollectRows(rs, pgx.RowTo[int32])
	if err != nil {
		return fmt.Errorf("postgres: migrate: reading schema_migrations: %w", err)
	}
	done := map[int]bool{}
	for _, v := range applied {
		done[int(v)] = true
	}
	for _, m := range ms {
		if done[m.version] {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: migration %04d_%s: %w", m.version, m.name, err)
		}
	}
	return nil
}

// InsertDecisions sends the whole batch as arrays: one statement writes
// the decisions and, through the CTE, the cards of those not already
// stored, whatever the batch size.
func (s *pgStore) InsertDecisions(ctx context.Context, in []Decision) error {
	if len(in) == 0 {
		return nil
	}
	ds, err := normDecisions(in, s.now())
	if err != nil {
		return err
	}
	n := len(ds)
	var (
		ids, services, hooks, instances = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		patients, revisions, errKinds   = make([]string, n), make([]string, n), make([]string, n)
		issues                          = make([]string, n)
		times                           = make([]time.Time, n)
		latencies                       = make([]int64, n)
		cDecision, cUUID, cRule         []string
		cIndicator, cOrder              []string
		cPos                            []int32
	)
	for i, d := range ds {
		ids[i], times[i], services[i], hooks[i], instances[i] = d.ID, d.Time, d.Service, d.Hook, d.HookInstance
		patients[i], revisions[i], latencies[i] = d.PatientHash, d.PolicyRevision, d.Latency.Microseconds()
		errKinds[i], issues[i] = d.ErrorKind, encodeList(d.DataIssues)
		for j, c := range d.Cards {
			cDecision = append(cDecision, d.ID)
			cPos = append(cPos, int32(j))
			cUUID, cRule = append(cUUID, c.UUID), append(cRule, c.Rule)
			cIndicator, cOrder = append(cIndicator, c.Indicator), append(cOrder, c.Order)
		}
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `WITH d AS (
			INSERT INTO decisions (id, decided_at, service, hook, hook_instance, patient_hash, policy_revision,
				latency_us, error_kind, data_issues)
			SELECT u.id::uuid, u.decided_at, u.service, u.hook, u.hook_instance, u.patient_hash, u.policy_revision,
				u.latency_us, u.error_kind, u.data_issues
			FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
				$8::bigint[], $9::text[], $10::text[])
				AS u(id, decided_at, service, hook, hook_instance, patient_hash, policy_revision, latency_us, error_kind, data_issues)
			ON CONFLICT (id) DO NOTHING
			RETURNING id)
		INSERT INTO decision_cards (decision_id, position, card_uuid, rule_id, indicator, order_ref)
		SELECT c.decision_id::uuid, c.position, c.card_uuid, c.rule_id, c.indicator, c.order_ref
		FROM unnest($11::text[], $12::int[], $13::text[], $14::text[], $15::text[], $16::text[])
			AS c(decision_id, position, card_uuid, rule_id, indicator, order_ref)
		WHERE c.decision_id::uuid IN (SELECT id FROM d)`,
			ids, times, services, hooks, instances, patients, revisions, latencies, errKinds, issues,
			cDecision, cPos, cUUID, cRule, cIndicator, cOrder); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		if len(cUUID) == 0 {
			return nil
		}
		// Feedback that arrived before its card's audit record; the
		// partial index keeps this cheap when there is none.
		if _, err := tx.Exec(ctx, `UPDATE feedback SET known = true WHERE NOT known AND card_uuid = ANY($1::text[])`,
			cUUID); err != nil {
			return fmt.Errorf("marking feedback known: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: insert decisions: %w", err)
	}
	return nil
}

// InsertFeedback looks the cards up and writes the entries in one
// transaction. A decision committed between the two statements would leave
// its feedback flagged unknown; that needs the feedback to arrive within
// milliseconds of the audit write, and the flag is informational.
func (s *pgStore) InsertFeedback(ctx context.Context, in []Feedback) (int, error) {
	if len(in) == 0 {
		return 0, nil
	}
	fs, err := normFeedback(in, s.now())
	if err != nil {
		return 0, err
	}
	n := len(fs)
	var (
		cards, services, outcomes, accepted = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		systems, codes, displays, comments  = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		issuers                             = make([]string, n)
		outcomeAt, receivedAt               = make([]time.Time, n), make([]time.Time, n)
		known                               = make([]bool, n)
	)
	for i, f := range fs {
		cards[i], services[i], outcomes[i], accepted[i] = f.CardUUID, f.Service, f.Outcome, encodeList(f.AcceptedSuggestions)
		systems[i], codes[i], displays[i], comments[i] = f.ReasonSystem, f.ReasonCode, f.ReasonDisplay, f.UserComment
		outcomeAt[i], receivedAt[i], issuers[i] = f.OutcomeTime, f.ReceivedAt, f.Issuer
	}
	unknown := 0
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rs, err := tx.Query(ctx, `SELECT DISTINCT card_uuid FROM decision_cards WHERE card_uuid = ANY($1::text[])`, cards)
		if err != nil {
			return fmt.Errorf("looking up cards: %w", err)
		}
		found, err := pgx.CollectRows(rs, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("looking up cards: %w", err)
		}
		set := make(map[string]bool, len(found))
		for _, c := range found {
			set[c] = true
		}
		unknown = 0
		for i, c := range cards {
			known[i] = set[c]
			if !known[i] {
				unknown++
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO feedback (card_uuid, service, outcome, accepted_suggestions, reason_system,
			reason_code, reason_display, user_comment, outcome_at, received_at, issuer, known)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
				$8::text[], $9::timestamptz[], $10::timestamptz[], $11::text[], $12::boolean[])
			ON CONFLICT (card_uuid, outcome, outcome_at) DO NOTHING`,
			cards, services, outcomes, accepted, systems, codes, displays, comments, outcomeAt, receivedAt, issuers, known)
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: insert feedback: %w", err)
	}
	return unknown, nil
}

func (s *pgStore) Purge(ctx context.Context, olderThan time.Time) (int64, error) {
	n, err := s.sql.purge(ctx, olderThan)
	if err != nil {
		return n, fmt.Errorf("postgres: %w", err)
	}
	return n, nil
}

func (s *pgStore) Report(ctx context.Context, from, to time.Time) ([]RuleReport, error) {
	out, err := s.sql.report(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return out, nil
}

func (s *pgStore) Decisions(ctx context.Context, from, to time.Time) ([]Decision, error) {
	out, err := s.sql.decisions(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return out, nil
}

func (s *pgStore) Feedback(ctx context.Context, from, to time.Time) ([]Feedback, error) {
	out, err := s.sql.feedback(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return out, nil
}
