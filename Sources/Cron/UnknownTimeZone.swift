/// A time zone name that is not in the IANA database (`Mars/Olympus`).
public struct UnknownTimeZone: Error, CustomStringConvertible, Equatable, Sendable {
    public var identifier: String

    public init(identifier: String) { self.identifier = identifier }

    public var description: String {
        "time zone '\(identifier)' is not an IANA time zone: use a name like America/Sao_Paulo, Asia/Kolkata or UTC"
    }
}
