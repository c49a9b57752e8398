import Database
import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// `/healthz` (the process answers), `/readyz` (the database answers and its schema is what
/// this build needs), `/metrics` (Prometheus), `/openapi.yaml`. No token needed.
struct HealthRoutes {
    let dependencies: APIDependencies

    struct Status: Encodable { var status: String; var schemaVersion: Int? }

    func register(_ routes: RouteTable) {
        let d = dependencies
        routes.add(.get, "/healthz", role: nil) { _, _ in try Reply.json(Status(status: "ok", schemaVersion: nil)) }
        routes.add(.get, "/readyz", role: nil) { _, _ in
            do {
                let version = try await withThrowingTaskGroup(of: Int?.self) { group in
                    group.addTask { try await Migrator.currentVersion(client: d.store.client, logger: d.logger) }
                    group.addTask {
                        try await Task.sleep(for: .seconds(3))
                        throw APIError(.serviceUnavailable, "unavailable", "the database did not answer within 3 s")
                    }
                    defer { group.cancelAll() }
                    return try await group.next() ?? nil
                }
                guard let version, version >= SchemaVersion.required else {
                    throw APIError(.serviceUnavailable, "unavailable",
                                   "the database schema is at version \(version.map(String.init) ?? "none"), this build needs \(SchemaVersion.required): run `nightshift migrate`")
                }
                return try Reply.json(Status(status: "ready", schemaVersion: version))
            } catch let error as APIError {
                throw error
            } catch {
                throw APIError(.serviceUnavailable, "unavailable", "the database is unavailable: \(DatabaseErrorMessage.isUnavailable(error) ? "cannot connect" : "it refused the check")")
            }
        }
        routes.add(.get, "/metrics", role: nil) { _, _ in
            let body = d.metrics?.exposition() ?? []
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        routes.add(.get, "/openapi.yaml", role: nil) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"],
                     body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.bytes)))
        }
    }
}
