import Foundation
import JobQueue
import NightshiftCore
import ObjectStorage

/// `prune-cloud`: removes dumps past `BACKUP_CLOUD_RETENTION_DAYS` from the store, keeping at
/// least `BACKUP_MIN_KEEP` (see ``CloudPruner``).
public struct PruneCloudJob: JobKind {
    public struct Args: Codable, Sendable {
        public var date: String?
        public init(date: String? = nil) { self.date = date }
    }

    public static let kind = "prune-cloud"
    public static let maxAttempts: Int? = 10

    public let settings: BackOfficeSettings
    public let store: any ObjectStore

    public init(settings: BackOfficeSettings, store: any ObjectStore) {
        self.settings = settings
        self.store = store
    }

    public func run(_ args: Args, context: JobContext) async throws {
        // Rows of dumps that died on their last attempt, before the prune reads history.
        _ = try await DumpSweeper(history: BackupHistory(client: context.client, logger: context.logger), store: store,
                                  logger: context.logger).runOnce(branch: settings.branch.id)
        try await CloudPruner(settings: settings, store: store, client: context.client, logger: context.logger).prune()
    }
}
