import Foundation
import JobQueue
import NightshiftCore
import Synchronization

/// What the entry point knows before any command runs: the environment, read once into
/// ``Settings``, and job kinds a special build adds (the test worker's).
enum Launch {
    struct State: Sendable {
        var settings: Result<Settings, ConfigurationError> = .failure(ConfigurationError("settings were not loaded"))
        var extraKinds: @Sendable (inout JobRegistry) throws -> Void = { _ in }
    }

    private static let state = Mutex(State())

    static func start(environment: [String: String], extraKinds: @escaping @Sendable (inout JobRegistry) throws -> Void) {
        let settings = Result { () throws(ConfigurationError) -> Settings in try Settings(environment: environment) }
        state.withLock { $0 = State(settings: settings, extraKinds: extraKinds) }
    }

    /// The settings from the environment; throws the first wrong value's error.
    static func settings() throws(ConfigurationError) -> Settings {
        try state.withLock { $0.settings }.get()
    }

    static var extraKinds: @Sendable (inout JobRegistry) throws -> Void { state.withLock { $0.extraKinds } }
}
