import Foundation

/// Written beside a backup: what a complete backup of the month must look like.
public struct BackupManifest: Codable, Sendable, Equatable {
    public var month: String
    public var file: String
    public var sha256: String
    public var sizeBytes: Int
    public var records: [String: Int]
    public var totalRecords: Int
    public var columns: [String]
    public var createdAt: Date
    public var jobID: Int64?

    enum CodingKeys: String, CodingKey {
        case month, file, sha256, records, columns
        case sizeBytes = "size_bytes", totalRecords = "total_records", createdAt = "created_at", jobID = "job_id"
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

/// Where a month's backup lives: `{BACKUP_DIR}/YYYY_MM/backup_YYYY_MM.csv` and its manifest.
public struct BackupLocation: Sendable {
    public let baseDirectory: URL
    public let month: StudioMonth

    public init(baseDirectory: URL, month: StudioMonth) {
        self.baseDirectory = baseDirectory
        self.month = month
    }

    public var directory: URL { baseDirectory.appendingPathComponent(month.folderName, isDirectory: true) }
    public var fileName: String { "backup_\(month.folderName).csv" }
    public var csv: URL { directory.appendingPathComponent(fileName) }
    public var manifest: URL { directory.appendingPathComponent("backup_\(month.folderName).manifest.json") }
}
