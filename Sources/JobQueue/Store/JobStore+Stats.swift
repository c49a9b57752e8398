import Foundation
import NightshiftCore
import PostgresNIO

/// Jobs finished in one hour, by outcome: a bar of the Filas page's chart.
public struct HourlyOutcomes: Sendable, Equatable {
    /// The hour's start.
    public var hour: Date
    public var succeeded: Int
    public var discarded: Int
    public var cancelled: Int
}

/// One kind's succeeded runs over a period, with their median and 95th percentile durations.
public struct KindDurations: Sendable, Equatable {
    public var kind: String
    public var runs: Int
    public var p50Seconds: Double
    public var p95Seconds: Double
}

extension JobStore {
    /// Jobs finished in each of the last `hours` hours (the current one included), by outcome,
    /// oldest first, with empty hours as zeros: one range scan of the BRIN index on
    /// `finished_at`, not one query per hour.
    public func finishedByHour(hours: Int = 24) async throws -> [HourlyOutcomes] {
        let back = max(0, hours - 1)
        var result: [HourlyOutcomes] = []
        for try await (hour, succeeded, discarded, cancelled) in try await client.query("""
            SELECT h, coalesce(c.succeeded, 0), coalesce(c.discarded, 0), coalesce(c.cancelled, 0)
            FROM generate_series(date_trunc('hour', now()) - make_interval(hours => \(back)::int), date_trunc('hour', now()),
                                 interval '1 hour') AS h
            LEFT JOIN (
                SELECT date_trunc('hour', finished_at) AS hour,
                       count(*) FILTER (WHERE state = 'succeeded')::int AS succeeded,
                       count(*) FILTER (WHERE state = 'discarded')::int AS discarded,
                       count(*) FILTER (WHERE state = 'cancelled')::int AS cancelled
                FROM jobs WHERE finished_at >= date_trunc('hour', now()) - make_interval(hours => \(back)::int)
                GROUP BY 1
            ) AS c ON c.hour = h
            ORDER BY h
            """, logger: logger).decode((Date, Int, Int, Int).self) {
            result.append(HourlyOutcomes(hour: hour, succeeded: succeeded, discarded: discarded, cancelled: cancelled))
        }
        return result
    }

    /// Each kind's runs that succeeded in the last `within`, with their p50 and p95 durations
    /// (first claim of the last attempt to finish), by kind.
    public func durationsByKind(within: Duration = .seconds(86_400)) async throws -> [KindDurations] {
        var result: [KindDurations] = []
        for try await (kind, runs, p50, p95) in try await client.query("""
            SELECT kind, count(*)::int,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - attempted_at))::float8,
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - attempted_at))::float8
            FROM jobs
            WHERE state = 'succeeded' AND finished_at > now() - make_interval(secs => \(within.timeInterval))
              AND attempted_at IS NOT NULL
            GROUP BY kind ORDER BY kind
            """, logger: logger).decode((String, Int, Double, Double).self) {
            result.append(KindDurations(kind: kind, runs: runs, p50Seconds: p50, p95Seconds: p95))
        }
        return result
    }

    /// When a job of each of `kinds` last succeeded; a kind that never did is absent.
    ///
    /// One index probe per kind: `jobs_back_office_succeeded_idx` (migration 0006) keeps
    /// `(kind, finished_at)` of the back office's succeeded jobs, and the planner uses a partial
    /// index only when the query repeats its condition in literals, which a bound list cannot
    /// do; so the indexed kinds (``backOfficeSucceededKinds``) are written into the statement,
    /// and any other kind is read without the index.
    public func lastSucceeded(kinds: [String]) async throws -> [String: Date] {
        let indexed = Self.backOfficeSucceededKinds.map { "'\($0)'" }.joined(separator: ", ")
        var result: [String: Date] = [:]
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT k, CASE WHEN k IN (\(indexed))
                           THEN (SELECT max(finished_at) FROM jobs
                                 WHERE kind = k AND state = 'succeeded' AND kind IN (\(indexed)))
                           ELSE (SELECT max(finished_at) FROM jobs WHERE kind = k AND state = 'succeeded') END
            FROM unnest($1::text[]) AS k
            """, binds: Self.binds(kinds)), logger: logger)
        for try await (kind, at) in rows.decode((String, Date?).self) {
            if let at { result[kind] = at }
        }
        return result
    }

    /// The kinds `jobs_back_office_succeeded_idx` covers, as migration 0006 lists them.
    static let backOfficeSucceededKinds = ["backup-month", "generate-extrato", "nightly-dump", "push-metrics", "prune-cloud", "restore-drill"]

    private static func binds(_ kinds: [String]) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(kinds)
        return binds
    }

    /// How many jobs failed for good (discarded) in the last `within`.
    public func discardedCount(within: Duration = .seconds(7 * 86_400)) async throws -> Int {
        var count = 0
        for try await n in try await client.query("""
            SELECT count(*)::int FROM jobs
            WHERE state = 'discarded' AND finished_at > now() - make_interval(secs => \(within.timeInterval))
            """, logger: logger).decode(Int.self) {
            count = n
        }
        return count
    }
}
