/// What a token may do. Viewers read; operators also enqueue, retry and cancel; admins
/// everything (the seed's service account is an admin).
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case viewer, `operator`, admin

    private var rank: Int {
        switch self {
        case .viewer: return 0
        case .operator: return 1
        case .admin: return 2
        }
    }

    public static func < (a: Role, b: Role) -> Bool { a.rank < b.rank }
}

/// Who a request is from: a verified token's subject and role.
public struct Identity: Sendable, Equatable {
    public var subject: String
    public var role: Role
}
