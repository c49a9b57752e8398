import Database

/// What every table a dump holds contains, read in the dump's own snapshot and again in the
/// database a drill restored it into: the exact row count and a digest of the rows.
///
/// The digest is the sum, modulo 2^64, of a 64-bit hash of each row. A sum does not depend on
/// the order rows are stored or read in, so a restore that lays the rows out anew still
/// matches; it needs no memory beyond the row being read (the server streams the table through
/// one aggregate); and a row that differs in any column, a row missing and another doubled,
/// a value moved from one row to another, or text that came back re-encoded all change it.
/// Duplicate rows and NULLs are rows like any other. It is a check against accidents, not
/// against an attacker who can choose rows that collide.
///
/// How a row is hashed is the digest's ``DigestVersion``, recorded with each dump so a drill
/// reads the restored rows by the rule the dump was read by.
public struct TableContent: Sendable, Codable, Equatable {
    public var count: Int64
    /// The digest as 16 hex digits.
    public var digest: String

    public init(count: Int64, digest: String) {
        self.count = count
        self.digest = digest
    }

    /// The digest from the three figures the statement returns: the row count and the sums of
    /// each hash's high and low 32 bits as `int4` (`sum(int4)` adds in a `bigint`, far faster
    /// than a `numeric` sum of the whole 64-bit hashes). The low halves are shifted into
    /// `int4`'s range by -2^31, which the count puts back.
    static func digest(count: Int64, highSum: Int64, lowSum: Int64) -> String {
        let total = (UInt64(bitPattern: highSum) << 32) &+ UInt64(bitPattern: lowSum) &+ (UInt64(bitPattern: count) << 31)
        let hex = String(total, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// The rule a dump's digests were taken by (`backup_history.digest_version`).
public enum DigestVersion: Int, Sendable, Codable, CaseIterable {
    /// Issue 27's: `hash_record_extended(row)` summed as it is. That hash is linear in its
    /// columns' hashes (`31·h + h'`), so the sum only sees which values each column holds, not
    /// which row holds them (a swap between two rows keeps it), and values PostgreSQL hashes
    /// as the seed (float 0, numeric NaN and ±Infinity, jsonb `{}` and `[]`) hash like NULL.
    /// Kept to drill dumps made under it by their own rule.
    case v1 = 1
    /// Each row's hash is mixed (re-hashed through `hashint4extended`, whose seed takes all 64
    /// bits) before the sum, so the sum sees whole rows; float4/float8, numeric, jsonb and
    /// interval columns are hashed by their text (under fixed settings: every float digit,
    /// `-0`, `NaN`, `Infinity`, numeric scale, `{}` vs `[]`, `1 day` vs `24:00:00`), which no
    /// value shares with NULL.
    case v2 = 2

    /// What a dump made now records.
    public static let current = DigestVersion.v2
}

enum TableContents {
    /// A row's text form depends on these session settings (dates, intervals, time zone, float
    /// digits, bytea, money); both sides set them alike, so a dump and its restore read the
    /// same text even when the drill restores onto a server configured otherwise.
    static let settings = """
        SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET TimeZone = 'UTC'; \
        SET extra_float_digits = 3; SET bytea_output = 'hex'; SET lc_monetary = 'C'
        """

    /// Built-in types whose extended hash is computed from their stored bytes (by OID, fixed
    /// across servers): bool, bytea, "char", name, int8, int2, int4, text, oid, float4, float8,
    /// bpchar, varchar, date, time, timestamp, timestamptz, interval, numeric, uuid, jsonb.
    /// Domains over them count as them. A table whose every column is one of these is hashed
    /// from its values as stored (`hash_record_extended`, PostgreSQL 14 and later): no text is
    /// rendered, so a table of large `bytea` values hashes at the speed it is read, about ten
    /// times faster than through text. Any other table (an enum, an array, `json`, a geometric
    /// type, a case-insensitive collation that would hash `A` as `a`) is hashed from its rows'
    /// text form (`hashtextextended`), under ``settings``. The choice depends only on the
    /// table's column types, which a restore keeps, so both sides choose alike.
    static let binaryHashedTypes = "16, 17, 18, 19, 20, 21, 23, 25, 26, 700, 701, 1042, 1043, 1082, 1083, 1114, 1184, 1186, 1700, 2950, 3802"

    /// Of those, the types whose hash follows equality rather than the value (`0` = `-0`,
    /// `1.0` = `1.00`, `1 day` = `24 hours`) or returns the seed, as NULL does: float4, float8,
    /// interval, numeric, jsonb. Version 2 hashes them by their text.
    static let textHashedTypes = "700, 701, 1186, 1700, 3802"

    /// A statement that writes the reading statement: one row per ordinary table outside the
    /// system schemas (`schema.table`, count, high sum, low sum), the tables one after another
    /// in one scan each, each row hashed as `version` says. The whole row is written `r.*`
    /// (a function's argument or a cast): a bare `r` would be a column where one is called `r`.
    static func readingStatement(_ version: DigestVersion) -> String {
        let binaryRow: String
        switch version {
        case .v1:
            binaryRow = "'hash_record_extended(r.*, 0)'"
        case .v2:
            // The row as it is when no column needs its text; else a ROW() of the columns with
            // those by their text. Then mixed, so the sum sees which row holds which value.
            binaryRow = """
                'hashint4extended(0, hash_record_extended(' || coalesce((
                    SELECT 'ROW(' || string_agg(CASE WHEN coalesce(nullif(t.typbasetype, 0), t.oid) IN (\(textHashedTypes))
                                                     THEN format('(r.%I)::text', a.attname) ELSE format('r.%I', a.attname) END,
                                                ', ' ORDER BY a.attnum) || ')'
                    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                    HAVING bool_or(coalesce(nullif(t.typbasetype, 0), t.oid) IN (\(textHashedTypes)))), 'r.*') || ', 0))'
                """
        }
        return """
            SELECT coalesce(string_agg(format(
                       'SELECT %L::text, count(*)::bigint, coalesce(sum((h >> 32)::int4), 0)::bigint, '
                       || 'coalesce(sum(((h & 4294967295) - 2147483648)::int4), 0)::bigint '
                       || 'FROM (SELECT %s AS h FROM %I.%I AS r) AS hashed',
                       n.nspname || '.' || c.relname,
                       CASE WHEN current_setting('server_version_num')::int >= 140000 AND NOT EXISTS (
                                SELECT 1 FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                                  AND (coalesce(nullif(t.typbasetype, 0), t.oid) NOT IN (\(binaryHashedTypes))
                                       OR (a.attcollation <> 0 AND NOT EXISTS (
                                           SELECT 1 FROM pg_collation co WHERE co.oid = a.attcollation AND co.collisdeterministic))))
                            THEN \(binaryRow) ELSE 'hashtextextended((r.*)::text, 0)' END,
                       n.nspname, c.relname),
                   ' UNION ALL ' ORDER BY n.nspname, c.relname), 'SELECT NULL::text, 0::bigint, 0::bigint, 0::bigint WHERE false')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
            """
    }

    /// Every table's contents on `connection`, in whatever transaction it is in, read by
    /// `version`'s rule. Sets the session's output settings first (``settings``).
    static func read(on connection: LibPQConnection, version: DigestVersion = .current) throws -> [String: TableContent] {
        _ = try connection.execute(settings)
        let statement = try connection.execute(readingStatement(version)).string(0, 0)
        let rows = try connection.execute(statement)
        var contents: [String: TableContent] = [:]
        for row in 0..<rows.rowCount {
            let count = rows.int(row, 1)
            contents[rows.string(row, 0)] = TableContent(count: count,
                                                         digest: TableContent.digest(count: count, highSum: rows.int(row, 2), lowSum: rows.int(row, 3)))
        }
        return contents
    }
}
