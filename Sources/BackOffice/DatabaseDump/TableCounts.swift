import Database

/// Exact row counts of every table a dump holds, taken in the dump's own snapshot, so a
/// restore can be checked table by table.
enum TableCounts {
    /// A statement that counts every ordinary table outside the system schemas, one row per
    /// table: `schema.table`, count.
    static let countingStatement = """
        SELECT coalesce(string_agg(format('SELECT %L::text, count(*)::bigint FROM %I.%I', n.nspname || '.' || c.relname, n.nspname, c.relname),
                                   ' UNION ALL ' ORDER BY n.nspname, c.relname), 'SELECT NULL::text, 0::bigint WHERE false')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
        """

    /// Counts on `connection`, in whatever transaction it is in.
    static func count(on connection: LibPQConnection) throws -> [String: Int64] {
        let statement = try connection.execute(countingStatement).string(0, 0)
        let rows = try connection.execute(statement)
        var counts: [String: Int64] = [:]
        for row in 0..<rows.rowCount { counts[rows.string(row, 0)] = rows.int(row, 1) }
        return counts
    }
}
