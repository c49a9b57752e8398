import Foundation

/// The Prometheus text format read by the reference parser (prometheus_client, from PyPI), so
/// the test does not trust a parser of our own.
enum PrometheusText {
    struct Sample { var labels: [String: String]; var value: Double }

    static func parse(_ text: String) throws -> [String: [Sample]] {
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    out.setdefault(s.name, []).append({"labels": s.labels, "value": s.value})
            print(json.dumps(out))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let object = try JSONSerialization.jsonObject(with: data) as? [String: [[String: Any]]] else {
            throw ParseFailure()
        }
        return object.mapValues { samples in
            samples.map { Sample(labels: $0["labels"] as? [String: String] ?? [:], value: ($0["value"] as? NSNumber)?.doubleValue ?? .nan) }
        }
    }

    struct ParseFailure: Error, CustomStringConvertible {
        var description: String { "the exposition did not parse with prometheus_client (pip install prometheus-client)" }
    }
}
