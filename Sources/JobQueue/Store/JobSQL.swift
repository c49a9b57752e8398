/// SQL that several statements share, written once: the unique-key rule, the claim of one
/// queue's next jobs and the fenced batch completion. The worker, the store and the benchmark's
/// pgbench script (which names its parameters `:ids`, `:queue`…) all build on these.
public enum JobSQL {
    /// `'available', 'scheduled', …`: the states that hold a unique key (``JobState/uniqueStates``).
    public static let uniqueStates = JobState.uniqueStates.map { "'\($0.rawValue)'" }.joined(separator: ", ")

    /// The `ON CONFLICT` target of an enqueue: the partial unique index on `unique_key`.
    public static let onUniqueKeyConflict =
        "ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN (\(uniqueStates))"

    /// Marks the attempts given as two parallel arrays (job ids, attempt numbers) succeeded,
    /// fenced: only a job still running that attempt is updated. Returns the ids updated when
    /// `returning`. The ids are matched with `= ANY` and each attempt looked up by position,
    /// not joined to an `unnest`, so a generic plan (the claim connection forces those,
    /// ``ClaimConnection``) has no join to order and reads the rows by primary key.
    /// `table` is for the benchmark's minimal table; everything else uses `jobs`.
    public static func completeAttempts(ids: String, attempts: String, returning: Bool = true, table: String = "jobs") -> String {
        """
        UPDATE \(table) AS jobs SET state = 'succeeded', finished_at = now(), heartbeat_at = NULL
        WHERE jobs.id = ANY(\(ids)::bigint[]) AND jobs.attempt = (\(attempts)::int[])[array_position(\(ids)::bigint[], jobs.id)]
          AND jobs.state = 'running'
        """ + (returning ? "\nRETURNING jobs.id" : "")
    }

    /// The next `limit` available jobs of one queue, straight off the claim index (so the scan
    /// stops after `limit` rows), locked, skipping rows other workers hold. `excludingKinds`
    /// (a `text[]`) leaves out the kinds claimed on their own path (``KindLimit``).
    public static func nextAvailable(queue: String, limit: String, excludingKinds: String? = nil, table: String = "jobs") -> String {
        """
        SELECT id, priority, run_at FROM \(table)
        WHERE state = 'available' AND queue = \(queue)\(excludingKinds.map { " AND kind <> ALL(\($0))" } ?? "")
        ORDER BY priority, run_at, id
        LIMIT \(limit)
        FOR UPDATE SKIP LOCKED
        """
    }

    /// Marks the jobs whose ids `from` holds running for `worker`, one attempt more, and
    /// returns what a worker needs to run them, with the columns of the claim order. The ids
    /// are gathered into an array for `= ANY`, not joined, so a generic plan has no join to
    /// order and updates them by primary key.
    public static func markRunning(from: String, worker: String, table: String = "jobs") -> String {
        """
        UPDATE \(table) AS jobs SET state = 'running', attempt = jobs.attempt + 1, attempted_at = now(),
                        heartbeat_at = now(), locked_by = \(worker)
        WHERE jobs.id = ANY(ARRAY(SELECT id FROM \(from)))
        RETURNING jobs.id, jobs.kind, jobs.queue, jobs.args::text AS args, jobs.attempt, jobs.max_attempts,
                  jobs.priority, jobs.run_at
        """
    }
}
