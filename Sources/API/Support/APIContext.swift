import Hummingbird

/// A request's context: Hummingbird's, plus who sent it once the token is checked.
public struct APIContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: Identity?

    /// Bodies larger than this are refused with 413 (no endpoint takes more than a few hundred bytes).
    public static let maxBody = 64 * 1024

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
    }

    public var maxUploadSize: Int { Self.maxBody }
}
