import Foundation
import Testing
import TestSupport
import Yams

/// docker-compose.yml, ops/Dockerfile and .env.example, checked without a Docker engine: the
/// compose file against the compose specification, the services and commands it wires against
/// the real binary, and every setting the code reads against .env.example and the README.
@Suite struct DeploymentFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func text(_ path: String) throws -> String { try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8) }

    static let checkJSONSchema: String? = {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/check-jsonschema" }
        return (paths + ["/usr/local/bin/check-jsonschema", "/usr/bin/check-jsonschema"]).first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    @Test func theComposeFileFollowsTheComposeSpecification() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.checkJSONSchema, "check-jsonschema (PyPI), installed by ops/test.sh"))
        process.arguments = ["--builtin-schema", "vendor.compose-spec", Self.root.appendingPathComponent("docker-compose.yml").path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(said)")
    }

    @Test func theComposeFileWiresEveryRoleWithCommandsTheBinaryKnows() async throws {
        let compose = try #require(try Yams.load(yaml: try text("docker-compose.yml")) as? [String: Any])
        let services = try #require(compose["services"] as? [String: [String: Any]])
        for name in ["postgres", "migrate", "scheduler", "worker", "api", "s3"] { #expect(services[name] != nil, "service \(name)") }
        #expect((services["postgres"]?["healthcheck"] as? [String: Any]) != nil && (services["postgres"]?["volumes"] as? [String]) != nil)
        #expect(((services["worker"]?["deploy"] as? [String: Any])?["replicas"] as? Int ?? 0) >= 2)
        let apiCheck = (services["api"]?["healthcheck"] as? [String: Any])?["test"] as? [String]
        #expect(apiCheck?.joined(separator: " ").contains("/readyz") == true)
        #expect(((services["migrate"]?["restart"] as? String) ?? "") == "no", "migrate is one-shot")
        var roles: [String] = []
        for (name, service) in services where (service["image"] as? String) == "nightshift:local" {
            let command = try #require(service["command"] as? [String], "\(name) has a command")
            roles.append(command[0])
            // The binary accepts the command line the service runs (its --help parses the same flags).
            let run = try ChildProcess(command + ["--help"])
            #expect(try await run.waitForExit() == 0, "\(name): nightshift \(command.joined(separator: " ")): \(run.log)")
        }
        #expect(Set(roles) == ["migrate", "scheduler", "worker", "serve"])
    }

    @Test func theImageIsMultiStageNonRootWithMatchingPostgresTools() throws {
        let dockerfile = try text("ops/Dockerfile")
        #expect(dockerfile.components(separatedBy: "\nFROM ").count >= 3, "a build stage and a runtime stage")
        #expect(dockerfile.contains("--static-swift-stdlib"))
        #expect(dockerfile.contains("postgresql-client-${PG_MAJOR}") && dockerfile.contains("ca-certificates") && dockerfile.contains("tzdata"))
        let user = try #require(dockerfile.split(separator: "\n").last { $0.hasPrefix("USER ") })
        #expect(user != "USER root" && user != "USER 0")
    }

    /// Every `env.…("NAME")` in Sources appears in .env.example and in the README's table.
    @Test func everySettingTheCodeReadsIsDocumented() throws {
        let example = try text(".env.example"), readme = try text("README.md")
        let pattern = try NSRegularExpression(pattern: #"env\.(?:text|bool|integer|timeZone)\("([A-Z0-9_]+)""#)
        var names = Set<String>()
        let sources = Self.root.appendingPathComponent("Sources")
        for case let file as URL in FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)! where file.pathExtension == "swift" {
            let code = try String(contentsOf: file, encoding: .utf8)
            for match in pattern.matches(in: code, range: NSRange(code.startIndex..., in: code)) {
                names.insert(String(code[Range(match.range(at: 1), in: code)!]))
            }
        }
        names.remove("USER") // the login name, the default database user: the system's, not ours
        #expect(names.count > 30, "found \(names.count) settings: the pattern still matches the code")
        for name in names.sorted() {
            #expect(example.contains("\n\(name)=") || example.contains("# \(name)="), "\(name) is missing from .env.example")
            #expect(readme.contains("| `\(name)` |"), "\(name) is missing from the README's configuration table")
        }
    }
}
