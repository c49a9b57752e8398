import Database

/// What `nightshift --version` prints: this build's version and the schema version it needs.
enum NightshiftVersion {
    static let current = "0.9.0"
    static var description: String { "nightshift \(current) (schema version \(SchemaVersion.required), \(EmbeddedMigrations.all.count) migrations embedded)" }
}
