import type { Migration } from "./db";

/** The bot's own state database (state_dir/meshpilot.db). */
export const BOT_MIGRATIONS: readonly Migration[] = [
  (db) => {
    db.exec(`
      CREATE TABLE as_transactions (
        txn_id TEXT PRIMARY KEY,
        completed_at INTEGER NOT NULL
      );
      CREATE TABLE as_registered_users (
        user_id TEXT PRIMARY KEY,
        registered_at INTEGER NOT NULL
      );
      CREATE TABLE kv (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (scope, key)
      );
    `);
  },
  (db) => {
    db.exec(`
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        device TEXT NOT NULL,
        pipeline TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('running', 'completed', 'rolling_back', 'rolled_back', 'rollback_failed')),
        steps_total INTEGER NOT NULL,
        data TEXT NOT NULL,
        error TEXT,
        started_at INTEGER NOT NULL,
        finished_at INTEGER
      );
      CREATE INDEX runs_device ON runs (device);
      CREATE UNIQUE INDEX runs_one_active_per_device ON runs (device) WHERE state IN ('running', 'rolling_back');
      CREATE TABLE run_steps (
        run_id TEXT NOT NULL REFERENCES runs (id),
        idx INTEGER NOT NULL,
        name TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('doing', 'done', 'failed', 'undoing', 'undone', 'undo_failed')),
        detail TEXT,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (run_id, idx)
      );
    `);
  },
  (db) => {
    db.exec(`
      CREATE TABLE host_keys (
        host TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        pinned_at INTEGER NOT NULL
      );
      CREATE TABLE devices (
        name TEXT PRIMARY KEY,
        backend TEXT NOT NULL CHECK (backend IN ('wg', 'ssh')),
        status TEXT NOT NULL CHECK (status IN ('provisioning', 'live', 'revoked')),
        ssh_user TEXT,
        ssh_host TEXT,
        ssh_port INTEGER,
        os TEXT,
        arch TEXT,
        os_pretty TEXT,
        agent_user_id TEXT,
        room_id TEXT,
        mesh_ip TEXT,
        manifest TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `);
  },
  (db) => {
    // Per-device agents: one row per finished turn (its messages as JSON, so whole turns are
    // dropped together and tool_use/tool_result pairs never split), and approval requests.
    db.exec(`
      CREATE TABLE agent_turns (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        room_id TEXT NOT NULL,
        messages TEXT NOT NULL,
        tokens INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX agent_turns_room ON agent_turns (room_id, id);
      CREATE TABLE agent_approvals (
        event_id TEXT PRIMARY KEY,
        room_id TEXT NOT NULL,
        device TEXT NOT NULL,
        call TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'allowed', 'refused', 'timed_out', 'restarted')),
        decided_by TEXT,
        created_at INTEGER NOT NULL,
        decided_at INTEGER
      );
      CREATE INDEX agent_approvals_pending ON agent_approvals (state) WHERE state = 'pending';
    `);
  },
  (db) => {
    // The health monitor's verdict per device (status, reason, since-when) and the audit head
    // it last accepted: a chain that later has fewer entries or another hash there is corrupted.
    db.exec(`
      CREATE TABLE device_health (
        name TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('online', 'stale', 'unreachable', 'corrupted', 'revoked')),
        reason TEXT NOT NULL,
        detail TEXT,
        since INTEGER NOT NULL,
        checked_at INTEGER NOT NULL,
        last_handshake INTEGER,
        capabilities INTEGER,
        last_call_at INTEGER,
        audit_count INTEGER,
        audit_hash TEXT,
        audit_broken_id INTEGER,
        alerted_at INTEGER
      );
    `);
  },
  (db) => {
    // The bot's own copy of each WireGuard device's audit chain (every field the device
    // hashes, checked by the bot before it is stored), the calls the bot sent (matched
    // against that copy by their call_ref) and when each copy was last synced, with what
    // verdict. See capabilities/wg/audit-mirror.ts.
    db.exec(`
      CREATE TABLE device_audit (
        device TEXT NOT NULL,
        id INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('call', 'result')),
        call_id INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        capability TEXT NOT NULL,
        args TEXT NOT NULL,
        caller TEXT NOT NULL,
        exit_code INTEGER,
        bytes INTEGER,
        duration_ms INTEGER,
        refusal TEXT,
        error TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        ref TEXT,
        PRIMARY KEY (device, id)
      );
      CREATE INDEX device_audit_ref ON device_audit (device, ref) WHERE ref IS NOT NULL;
      CREATE TABLE device_calls_sent (
        device TEXT NOT NULL,
        ref TEXT NOT NULL,
        capability TEXT NOT NULL,
        args TEXT NOT NULL,
        caller TEXT NOT NULL,
        sent_at INTEGER NOT NULL,
        reply TEXT CHECK (reply IN ('done', 'refused', 'unknown')),
        replied_at INTEGER,
        exit_code INTEGER,
        bytes INTEGER,
        settled INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (device, ref)
      );
      CREATE INDEX device_calls_sent_open ON device_calls_sent (device) WHERE settled = 0;
      CREATE TABLE device_audit_sync (
        device TEXT PRIMARY KEY,
        synced_at INTEGER NOT NULL,
        ok INTEGER NOT NULL,
        first_broken_id INTEGER,
        reason TEXT
      );
    `);
  },
  (db) => {
    // Health incidents (health/incidents.ts): one row per outage of a device, from its first
    // unhealthy verdict to online again (or revoked); how operators heard of it (push: the
    // alert, the flapping line, or held back while damped or silenced), which message to edit
    // and react to. At most one open incident per device. Silences: 🔕 on an alert.
    db.exec(`
      CREATE TABLE health_incidents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        device TEXT NOT NULL,
        opened_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('stale', 'unreachable', 'corrupted')),
        reason TEXT NOT NULL,
        first_status TEXT NOT NULL CHECK (first_status IN ('stale', 'unreachable', 'corrupted')),
        first_reason TEXT NOT NULL,
        changes INTEGER NOT NULL DEFAULT 0,
        push TEXT NOT NULL CHECK (push IN ('alert', 'flapping', 'damped', 'silenced')),
        pushed_at INTEGER,
        alert_room TEXT,
        alert_event TEXT,
        closed_at INTEGER,
        closed_by TEXT CHECK (closed_by IN ('online', 'revoked'))
      );
      CREATE UNIQUE INDEX health_incidents_open ON health_incidents (device) WHERE closed_at IS NULL;
      CREATE INDEX health_incidents_opened ON health_incidents (device, opened_at);
      CREATE INDEX health_incidents_alert ON health_incidents (alert_event) WHERE alert_event IS NOT NULL;
      CREATE TABLE health_silences (
        device TEXT PRIMARY KEY,
        silenced_until INTEGER NOT NULL,
        silenced_by TEXT NOT NULL,
        silenced_at INTEGER NOT NULL
      );
    `);
  },
  (db) => {
    // Pull enrollment links (provisioning/pull/tokens.ts): only a token's SHA-256 is kept.
    // One row per link; a link is single use (pending → used by one machine, or cancelled,
    // or expired), bound to a device name, an OS/arch and the manifest profile.
    db.exec(`
      CREATE TABLE enrollments (
        token_hash TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        os TEXT NOT NULL,
        arch TEXT NOT NULL,
        profile TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'used', 'cancelled', 'expired')),
        used_at INTEGER,
        machine_id TEXT,
        public_key TEXT,
        address TEXT
      );
      CREATE INDEX enrollments_name ON enrollments (name, status);
    `);
  },
  (db) => {
    // Bundles (meshpilot bundle): an enrollment the hub made itself, key pair and all, for a
    // PC that cannot reach the listener. kind tells a bundle from a link; a bundle's token is
    // random and never shown (its hash keeps the primary key), and its public_key is set at
    // once: the bot finishes the bundle when that key's first handshake reaches the hub.
    db.exec(`
      ALTER TABLE enrollments ADD COLUMN kind TEXT NOT NULL DEFAULT 'link' CHECK (kind IN ('link', 'bundle'));
      CREATE INDEX enrollments_kind ON enrollments (kind, status);
    `);
  },
  (db) => {
    // The agent build each WireGuard device's /health reports (the panel's grid shows it).
    db.exec("ALTER TABLE device_health ADD COLUMN agent_version TEXT");
  },
  (db) => {
    // Approvals with scope (agents/approval-scope.ts): each decision says what it allowed —
    // 'once' (✅/👍), 'session' (🔁, which made grant_id) or 'grant' (run without a card
    // under grant_id). A grant allows one scope (device, tool, class, program) until
    // expires_at; ended_* says who or what ended it early. Spending (agents/usage-store.ts):
    // the API's token counts summed per UTC day, device and model; budget_additions are
    // operators' !budget raises for one day (device NULL: the fleet's total).
    db.exec(`
      ALTER TABLE agent_approvals ADD COLUMN scope TEXT CHECK (scope IN ('once', 'session', 'grant'));
      ALTER TABLE agent_approvals ADD COLUMN grant_id INTEGER;
      CREATE TABLE approval_grants (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        scope_key TEXT NOT NULL,
        device TEXT NOT NULL,
        tool TEXT NOT NULL,
        call_class TEXT NOT NULL CHECK (call_class IN ('read', 'change', 'run')),
        program TEXT,
        room_id TEXT NOT NULL,
        approval_event TEXT NOT NULL,
        granted_by TEXT NOT NULL,
        granted_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        uses INTEGER NOT NULL DEFAULT 0,
        ended_at INTEGER,
        ended_by TEXT,
        end_reason TEXT CHECK (end_reason IN ('revoked', 'restarted'))
      );
      CREATE INDEX approval_grants_live ON approval_grants (scope_key, expires_at) WHERE ended_at IS NULL;
      CREATE TABLE agent_usage (
        day TEXT NOT NULL,
        device TEXT NOT NULL,
        model TEXT NOT NULL,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        replies INTEGER NOT NULL DEFAULT 0,
        replies_without_usage INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (day, device, model)
      );
      CREATE TABLE budget_additions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        day TEXT NOT NULL,
        device TEXT,
        tokens INTEGER NOT NULL CHECK (tokens > 0),
        added_by TEXT NOT NULL,
        added_at INTEGER NOT NULL
      );
      CREATE INDEX budget_additions_day ON budget_additions (day, device);
    `);
  },
];
