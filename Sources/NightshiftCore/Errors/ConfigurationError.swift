/// A setting is missing or wrong; the message says which and what to do.
public struct ConfigurationError: NightshiftError, Equatable {
    /// The environment variable or flag at fault, when one is.
    public var setting: String?
    public var message: String

    public init(_ message: String, setting: String? = nil) {
        self.message = message
        self.setting = setting
    }

    public var description: String { message }
    public var category: ErrorCategory { .misconfigured(setting: setting) }
}
