import Foundation
import NightshiftCore
import PostgresNIO

extension JobStore {
    /// Stores a running attempt's progress, fenced: nothing is written once the attempt has
    /// ended or been rescued. Returns false then.
    @discardableResult
    public func recordProgress(_ ref: AttemptRef, _ progress: WorkProgress) async throws -> Bool {
        let json = String(decoding: try JSONEncoder().encode(progress), as: UTF8.self)
        let rows = try await client.query("""
            UPDATE jobs SET progress = \(json)::jsonb || jsonb_build_object('attempt', attempt, 'at', extract(epoch FROM now()))
            WHERE id = \(ref.id) AND attempt = \(ref.attempt) AND state = 'running'
            RETURNING id
            """, logger: logger)
        for try await _ in rows.decode(Int64.self) { return true }
        return false
    }
}
