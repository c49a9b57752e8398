import ArgumentParser
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Measure throughput and latency.")
    func run() async throws {}
}
