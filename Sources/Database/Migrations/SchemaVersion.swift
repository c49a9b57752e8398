/// The schema version this build's code needs. Bump it with every new migration.
public enum SchemaVersion {
    public static let required = 17
}
