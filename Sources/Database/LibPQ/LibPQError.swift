import NightshiftCore

/// A failed libpq call, in words a person can act on; never contains the password.
public struct LibPQError: NightshiftError {
    public var description: String
    /// The SQLSTATE, for server errors.
    public var sqlState: String?
    /// The connection could not be opened or was lost.
    public var isConnectionFailure: Bool

    public init(_ description: String, sqlState: String? = nil, isConnectionFailure: Bool = false) {
        self.description = description
        self.sqlState = sqlState
        self.isConnectionFailure = isConnectionFailure
    }

    public var category: ErrorCategory { isConnectionFailure ? .unavailable : .internalFailure }
}
