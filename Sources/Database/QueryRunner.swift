import Logging
import PostgresNIO

/// Something that runs a query: the pool (`PostgresClient`) or one connection, which may be
/// inside a caller's transaction. Store methods take a `QueryRunner` so a caller can enqueue in
/// its own transaction.
public protocol QueryRunner: Sendable {
    @discardableResult
    func run(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence
}

extension PostgresClient: QueryRunner {
    public func run(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        try await self.query(query, logger: logger)
    }
}

extension PostgresConnection: QueryRunner {
    public func run(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        try await self.query(query, logger: logger)
    }
}
