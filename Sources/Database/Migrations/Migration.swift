import Crypto
import Foundation
import NightshiftCore

/// One numbered `.sql` file from `Migrations/`, such as `0001_jobs.sql`.
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var sql: String

    /// SHA-256 of the file's text, hex. An applied migration whose file changed is an error.
    public var checksum: String {
        SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Reads every `NNNN_name.sql` in a folder, ordered by number.
    public static func load(from directory: URL) throws -> [Migration] {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw ConfigurationError("cannot read the migrations folder \(directory.path)", setting: "NIGHTSHIFT_MIGRATIONS_DIR")
        }
        var migrations: [Migration] = []
        for file in files where file.hasSuffix(".sql") {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw ConfigurationError(
                    "migration file \(file) is not named NNNN_name.sql: rename it, e.g. 0007_add_index.sql")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            migrations.append(Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        migrations.sort { $0.version < $1.version }
        for (a, b) in zip(migrations, migrations.dropFirst()) where a.version == b.version {
            throw ConfigurationError("two migrations share number \(a.version) (\(a.name), \(b.name)): renumber one")
        }
        return migrations
    }
}
