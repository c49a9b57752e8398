import BackOffice
import Database
import Foundation
import JobQueue
import NightshiftCLI
import NightshiftCore
import ObjectStorage
import PostgresNIO
import Scheduler
import Testing
import TestSupport

/// A fuzz pass over what people and files hand Nightshift (issue 12's "bad input, at every
/// door"): job args of every kind, the schedules YAML, a backup's manifest and CSV. Seeded, so
/// a failure replays. Each case gets a clear error or is accepted; none crashes, and a worker
/// given the bad jobs discards each with its reason.
@Suite struct BadInputFuzzTests {
    /// SplitMix64: small, seeded, the same sequence on every machine.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let fieldNames = ["year", "month", "force", "type", "branch", "date", "backup_id", "", "mes", "ano", "__proto__"]

    static func string(_ rng: inout Seeded) -> String {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return String(repeating: "é", count: Int.random(in: 0...100_000, using: &rng))
        case 1: return "a\u{0}b"
        case 2: return "13"
        case 3: return "2026-02-30"
        case 4: return String((0..<Int.random(in: 0...20, using: &rng)).map { _ in Character(UnicodeScalar(UInt8.random(in: 32...126, using: &rng))) })
        default: return "\u{202E}\u{FEFF}🙂\"\\"
        }
    }

    /// Random JSON text, valid JSON but of any shape: wrong types, huge strings, NUL bytes,
    /// numbers out of range, deep nesting.
    static func json(_ rng: inout Seeded, depth: Int = 0) -> String {
        let pick = depth > 3 ? Int.random(in: 0..<6, using: &rng) : Int.random(in: 0..<9, using: &rng)
        switch pick {
        case 0: return "null"
        case 1: return Bool.random(using: &rng) ? "true" : "false"
        case 2: return ["0", "-1", "13", "2026", "1e308", "-9223372036854775809", "99999999999999999999", "1.5", "12"].randomElement(using: &rng)!
        case 3, 4: return quote(string(&rng))
        case 5: return "{}"
        case 6: // deep nesting
            let levels = Int.random(in: 1...300, using: &rng)
            return String(repeating: "[", count: levels) + "1" + String(repeating: "]", count: levels)
        case 7:
            return "[" + (0..<Int.random(in: 0...4, using: &rng)).map { _ in json(&rng, depth: depth + 1) }.joined(separator: ",") + "]"
        default:
            let fields = (0..<Int.random(in: 0...5, using: &rng)).map { _ in
                quote(fieldNames.randomElement(using: &rng)!) + ":" + json(&rng, depth: depth + 1)
            }
            return "{" + fields.joined(separator: ",") + "}"
        }
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    func registry(_ folder: URL) throws -> JobRegistry {
        var registry = JobRegistry()
        try registry.register(NoopJob())
        try BackOfficeKinds.register(in: &registry, settings: BackOfficeSettings(backupDirectory: folder), database: TestDatabase.url,
                                     stores: .init(store: LocalDirectoryStore(root: folder.appendingPathComponent("store")), offsite: nil))
        return registry
    }

    @Test func randomArgsForEveryKindAreRefusedNamingTheFieldOrAccepted() throws {
        let registry = try registry(URL(fileURLWithPath: "/nonexistent"))
        var rng = Seeded(state: 2026_12_01)
        var refused = 0, accepted = 0
        for kind in registry.kinds {
            for _ in 0..<400 {
                let args = Self.json(&rng)
                do {
                    try registry.validate(kind: kind, args: args)
                    accepted += 1
                } catch {
                    refused += 1
                    #expect(!error.message.isEmpty && !error.message.contains("DecodingError"), "\(kind) \(args.prefix(80)): \(error.message)")
                    #expect((error.field ?? "args").hasPrefix("args"), "\(kind): field \(error.field ?? "-")")
                }
            }
            // Not JSON at all.
            for text in ["", "{", "\u{0}", "[1,", String(repeating: "{\"a\":", count: 1000)] {
                #expect(throws: InvalidInput.self) { try registry.validate(kind: kind, args: text) }
            }
        }
        #expect(refused > 1_000 && accepted > 0, "refused \(refused), accepted \(accepted)")
    }

    /// The bad args a validation would refuse, written straight into `jobs` (as an old build or
    /// a hand-written INSERT might): the worker discards every one with its reason and goes on.
    @Test func aWorkerDiscardsBadJobsWithTheirReasonAndKeepsRunning() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ns-fuzz-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let registry = try registry(folder)
        var rng = Seeded(state: 42)
        var bad: [(String, String)] = []
        for kind in registry.kinds where kind != NoopJob.kind {
            while bad.filter({ $0.0 == kind }).count < 15 {
                let args = Self.json(&rng)
                // Refused, and not only for a field the kind does not have: an enqueue refuses
                // that, but a worker runs such a job (a newer enqueuer may have written it).
                var refusal: InvalidInput?
                do { try registry.validate(kind: kind, args: args) } catch { refusal = error }
                guard args.utf8.count < 200_000, let refusal, !refusal.message.hasPrefix("args has no field"),
                      args.hasPrefix("{") || args.hasPrefix("[") || args.hasPrefix("\"") || args.hasPrefix("n") else { continue }
                bad.append((kind, args))
            }
        }
        let cases = bad
        try await TestDatabase.withClient { client in
            let queue = TestDatabase.uniqueQueue("fuzz")
            var inserted = 0
            for (kind, args) in cases {
                // jsonb itself refuses some (a \u0000 escape, nesting past its limit): those can never be a job.
                do {
                    try await client.query("INSERT INTO jobs (kind, queue, args, max_attempts) VALUES (\(kind), \(queue), \(args)::jsonb, 3)",
                                           logger: TestDatabase.logger)
                    inserted += 1
                } catch {}
            }
            #expect(inserted >= cases.count / 2, "\(inserted) of \(cases.count) bad jobs could be stored")
            try await client.query("INSERT INTO jobs (kind, queue) VALUES ('noop', \(queue))", logger: TestDatabase.logger)
            let harness = try WorkerHarness(client: client, configuration: WorkerHarness.configuration(queue: queue), registry: registry)
            try await eventually(timeout: .seconds(120), "every bad job discarded") {
                try await client.scalar("SELECT count(*)::int FROM jobs WHERE queue = \(queue) AND state NOT IN ('discarded', 'succeeded')", as: Int.self) == 0
            }
            try await harness.stop()
            let discarded = try await client.scalar("""
                SELECT count(*)::int FROM jobs WHERE queue = \(queue) AND state = 'discarded' AND attempt = 1 AND last_error LIKE '%args%'
                """, as: Int.self)
            #expect(discarded == inserted, "discarded at once, naming the args")
            #expect(try await client.scalar("SELECT state::text FROM jobs WHERE queue = \(queue) AND kind = 'noop'", as: String.self) == "succeeded",
                    "the worker kept running after them")
            // Not left for the API's conformance run, which reads every job in the database.
            try await client.query("DELETE FROM jobs WHERE queue = \(queue)", logger: TestDatabase.logger)
        }
    }

    @Test func mutatedSchedulesFilesAreRefusedWithAClearError() throws {
        let example = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("ops/schedules.example.yaml"), encoding: .utf8)
        let defaults = BackOfficeSchedules.make(BackOfficeSettings(backupDirectory: URL(fileURLWithPath: "/nonexistent")))
        let settings = SchedulerSettings(timeZone: TimeZone(identifier: "America/Sao_Paulo")!)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ns-schedules-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        var rng = Seeded(state: 7)
        var refused = 0
        let inserts = [":", "- ", "\t", "\u{0}", "\"", "'", "{", "[", "&a", "*a", "!!binary ", "\n  ", "#", "99", "cron: 61 * * * *", "timezone: Mars/Olympus"]
        for round in 0..<400 {
            var text = Array(example)
            for _ in 0...Int.random(in: 0...3, using: &rng) where !text.isEmpty {
                let at = Int.random(in: 0..<text.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: text.remove(at: at)
                case 1: text.insert(contentsOf: inserts.randomElement(using: &rng)!, at: at)
                default: text.insert(contentsOf: text[at..<min(text.count, at + 40)], at: at)
                }
            }
            let yaml = round % 50 == 0 ? String(repeating: "- [", count: 500) : String(text)
            try yaml.write(to: file, atomically: true, encoding: .utf8)
            do {
                _ = try ScheduleFile.load(path: file.path, to: defaults, settings: settings)
            } catch {
                refused += 1
                #expect(error.description.contains(file.path), "the error names the file: \(error)")
            }
        }
        #expect(refused > 50, "refused \(refused) of 400")
    }

    @Test func damagedManifestsAndCSVsAreProblemsNotCrashes() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ns-fuzz-backup-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let month = try StudioMonth(year: 2031, month: 5)
        let location = BackupLocation(baseDirectory: folder, month: month)
        try FileManager.default.createDirectory(at: location.directory, withIntermediateDirectories: true)
        let csv = Data(([0xEF, 0xBB, 0xBF] + Array((BackupCSV.columns.joined(separator: ",") + "\r\npagamento,1,2031-05-01,10.00\r\n").utf8)))
        let manifest = """
            {"month": "2031-05", "file": "backup_2031_05.csv", "sha256": "00", "size_bytes": \(csv.count), "records": {"pagamento": 1},
             "total_records": 1, "columns": [], "created_at": "2031-06-01T05:00:00Z"}
            """
        var rng = Seeded(state: 11)
        let verifier = BackupVerifier(client: nil, baseDirectory: folder, logger: TestDatabase.logger)
        for round in 0..<300 {
            var manifestBytes = Array(manifest.utf8), csvBytes = Array(csv)
            for _ in 0...Int.random(in: 0...4, using: &rng) {
                if Bool.random(using: &rng), !manifestBytes.isEmpty {
                    manifestBytes[Int.random(in: 0..<manifestBytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                } else if !csvBytes.isEmpty {
                    let at = Int.random(in: 0..<csvBytes.count, using: &rng)
                    csvBytes.insert(contentsOf: [[0x22], [0x0D], [0x0A], [0x00], [0x2C, 0x22, 0x22], [0xFF, 0xFE]].randomElement(using: &rng)!, at: at)
                }
            }
            if round % 25 == 0 { csvBytes = (0..<Int.random(in: 0...5_000, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } }
            try Data(manifestBytes).write(to: location.manifest)
            try Data(csvBytes).write(to: location.csv)
            let report = try await verifier.verify(month)
            #expect(!report.ok, "a damaged backup never verifies (round \(round))")
            #expect(report.problems.allSatisfy { !$0.isEmpty })
        }
    }
}
