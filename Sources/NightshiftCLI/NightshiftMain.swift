import ArgumentParser
import Foundation
import Database
import JobQueue
import NIOCore
import NIOPosix
import NightshiftCore

/// The `nightshift` command line. The executable is one call to ``run(extraKinds:)``; the test
/// worker is the same call with the tests' job kinds.
public enum NightshiftMain {
    public static func run(extraKinds: @escaping @Sendable (inout JobRegistry) throws -> Void = { _ in }) async {
        AllocatorTuning.apply()
        Launch.start(environment: ProcessInfo.processInfo.environment, extraKinds: extraKinds)
        Log.bootstrap((try? Launch.settings())?.logging ?? Settings.LogSettings())
        var command: any ParsableCommand
        do {
            command = try Nightshift.parseAsRoot()
        } catch {
            Nightshift.exit(withError: error)
        }
        if command is ServeCommand {
            // The API runs Swift concurrency on NIO's event loop threads: a request's handler and
            // the database driver's replies then run on the thread that read them, without a hop
            // to another pool. Everything else keeps Swift's own pool: a worker's jobs are tasks
            // of their own and its hot path is libpq on a thread of its own, and there NIO's loops
            // cost more per job (worker CPU per no-op job 17.6-22.4 µs against 13.8-17.9 µs on
            // Swift's pool, three alternating pairs; docs/benchmarks.md).
            _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ValidationError {
            // Thrown by a command's run() (a kind or args checked against the registry): the
            // usage shown is that command's, as for errors found while parsing.
            let usage = Nightshift.usageString(for: type(of: command)).trimmingCharacters(in: .whitespacesAndNewlines)
            let name = usage.split(separator: " ").prefix { !$0.hasPrefix("[") && !$0.hasPrefix("<") }.joined(separator: " ")
            FileHandle.standardError.write(Data("Error: \(error.message)\nUsage: \(usage)\n  See '\(name) --help' for more information.\n".utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch let error as DatabaseUnreachable {
            fail(error.description)
        } catch let error as ExitCode {
            Nightshift.exit(withError: error)
        } catch let error as CleanExit {
            Nightshift.exit(withError: error)
        } catch let error as CommandFailure {
            fail(error.description)
        } catch where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            // `--help`, `help CMD` and `--version` arrive as a command whose run() throws the
            // parser's own request: ArgumentParser prints it (help text on stdout, exit 0).
            Nightshift.exit(withError: error)
        } catch {
            // Typed errors carry their remedy; driver errors lose their secrets here.
            fail(ErrorText.describe(error, url: try? Launch.settings().database))
        }
    }

    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
        Foundation.exit(1)
    }
}
