import CLibPQ
import Foundation

/// A libpq result in text format, freed when released.
public final class LibPQResult {
    private let handle: OpaquePointer?

    init(_ handle: OpaquePointer?) { self.handle = handle }
    deinit { PQclear(handle) }

    var status: ExecStatusType { handle.map(PQresultStatus) ?? PGRES_FATAL_ERROR }
    public var rowCount: Int { handle.map { Int(PQntuples($0)) } ?? 0 }
    public var columnCount: Int { handle.map { Int(PQnfields($0)) } ?? 0 }

    public func string(_ row: Int, _ column: Int) -> String {
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        guard let value = PQgetvalue(handle, Int32(row), Int32(column)) else { return "" }
        return value.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    public func int(_ row: Int, _ column: Int) -> Int64 {
        guard let value = PQgetvalue(handle, Int32(row), Int32(column)) else { return 0 }
        return strtoll(value, nil, 10)
    }

    public func bool(_ row: Int, _ column: Int) -> Bool {
        PQgetvalue(handle, Int32(row), Int32(column))?.pointee == UInt8(ascii: "t").asCChar
    }

    var errorMessage: String {
        guard let handle else { return "out of memory or no connection" }
        let text = String(cString: PQresultErrorMessage(handle)).trimmingWhitespace
        return text.isEmpty ? "no result" : text
    }

    var sqlState: String? {
        guard let handle, let field = PQresultErrorField(handle, Int32(UInt8(ascii: "C"))) else { return nil }
        return String(cString: field)
    }
}

private extension UInt8 {
    var asCChar: CChar { CChar(bitPattern: self) }
}
