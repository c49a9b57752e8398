import Foundation
import NightshiftCore
#if canImport(Glibc)
import Glibc
#endif

/// Reports a file's size as a child process writes it (pg_dump's output), once a second,
/// against an expected size when there is one (the branch's previous dump: an estimate).
enum FileGrowthWatcher {
    static func start(_ file: URL, expected: Int64?, step: String, progress: any WorkProgressReporting,
                      every interval: Duration = .seconds(1)) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                var info = stat()
                if stat(file.path, &info) == 0 {
                    let done = Int64(info.st_size)
                    progress.report(WorkProgress(done: done, total: expected.map { max($0, done) }, unit: .bytes, step: step,
                                                 estimated: expected == nil ? nil : true))
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}

/// Reports how far a child process has read a file (pg_restore reading a dump), once a
/// second, from Linux's `/proc/PID/fdinfo`: the file position of the descriptor that has it
/// open, against the file's size. Reports nothing where /proc does not tell.
enum FileReadWatcher {
    static func start(_ pid: pid_t, reading file: URL, step: String, progress: any WorkProgressReporting,
                      every interval: Duration = .seconds(1)) -> Task<Void, Never> {
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value
        let target = file.resolvingSymlinksInPath().path
        return Task {
            var descriptor: String?
            while !Task.isCancelled {
                if descriptor == nil {
                    descriptor = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).first { fd in
                        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) == target
                    }
                }
                if let descriptor, let info = try? String(contentsOfFile: "/proc/\(pid)/fdinfo/\(descriptor)", encoding: .utf8),
                   let line = info.split(separator: "\n").first(where: { $0.hasPrefix("pos:") }),
                   let position = Int64(line.dropFirst(4).trimmingCharacters(in: .whitespaces)) {
                    progress.report(WorkProgress(done: position, total: size, unit: .bytes, step: step))
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
