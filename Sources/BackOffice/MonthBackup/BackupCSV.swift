/// The backup's CSV dialect: RFC 4180 quoting (as PostgreSQL's COPY … CSV writes it), CRLF line
/// ends, UTF-8 with a byte-order mark so Excel reads accents right, ISO dates and dot-decimal
/// values.
public enum BackupCSV {
    /// Seed 002's columns, then the type-specific ones.
    public static let columns = [
        "type", "id", "data", "valor", "forma_pagamento", "observacoes", "cliente_name", "artista_name",
        "created_at", "updated_at", "sessao_id", "pagamento_id", "percentual", "status", "descricao", "categoria",
    ]

    public static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    public static var headerLine: String { line(columns) }

    /// One record, CRLF-terminated. nil is an empty field.
    public static func line(_ fields: [String?]) -> String {
        var out = ""
        for (index, field) in fields.enumerated() {
            if index > 0 { out.append(",") }
            if let field { out.append(quoted(field)) }
        }
        out.append("\r\n")
        return out
    }

    /// A `valor` as written (`"1234.50"`, `"-3.5"`) in cents, exact; ``noAmount`` for an empty
    /// field (NULL) and ``unreadableAmount`` for text that is not a decimal with at most two places.
    /// The close and the check compare these with `MonthRecords.centsSQL`.
    public static func cents(_ text: String) -> Int64 {
        if text.isEmpty { return noAmount }
        var rest = Substring(text)
        let negative = rest.first == "-"
        if negative { rest = rest.dropFirst() }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty, let whole = Int64(parts[0]) else { return unreadableAmount }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        while fraction.count > 2 && fraction.hasSuffix("0") { fraction.removeLast() }
        guard fraction.count <= 2, fraction.allSatisfy(\.isASCII), fraction.allSatisfy(\.isNumber) else { return unreadableAmount }
        fraction += String(repeating: "0", count: 2 - fraction.count)
        guard let cents = Int64(fraction) else { return unreadableAmount }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: 100)
        guard !overflow else { return unreadableAmount }
        return negative ? -(scaled + cents) : scaled + cents
    }

    public static let noAmount = Int64.min
    public static let unreadableAmount = Int64.min + 1

    /// A field, quoted when it holds a comma, quote, CR or LF.
    public static func quoted(_ field: String) -> String {
        let needsQuotes = field.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
        guard needsQuotes else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Counts records of an RFC 4180 stream (quoted fields may hold newlines), fed in chunks, and
/// the first field of each record (its type).
public struct CSVRecordCounter: Sendable {
    public private(set) var records = 0
    public private(set) var byFirstField: [String: Int] = [:]
    public private(set) var header: [String] = []
    private var inQuotes = false
    private var quotePending = false
    private var field: [UInt8] = []
    private var fieldIndex = 0
    private var currentFirst = ""
    private var recordHasContent = false
    private var currentHeader: [String] = []
    private var skippedBOM = false
    private var pendingBOM: [UInt8] = []
    /// With `collectingIDs`: each record's amount in cents (``BackupCSV/cents(_:)`` of its
    /// `valor`), by its id (the second field), by its type (the first).
    public private(set) var amounts: [String: [Int64: Int64]] = [:]
    /// With `collectingIDs`: the ids of the records, by type.
    public var ids: [String: Set<Int64>] { amounts.mapValues { Set($0.keys) } }
    private let collectingIDs: Bool
    private var currentID = ""
    private var currentValor = ""

    public init(collectingIDs: Bool = false) {
        self.collectingIDs = collectingIDs
    }

    public mutating func feed(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            if !skippedBOM {
                pendingBOM.append(byte)
                if pendingBOM.count < 3 && pendingBOM == Array(BackupCSV.byteOrderMark.prefix(pendingBOM.count)) { continue }
                skippedBOM = true
                let held = pendingBOM == BackupCSV.byteOrderMark ? [] : pendingBOM
                pendingBOM = []
                for b in held { consume(b) }
                continue
            }
            consume(byte)
        }
    }

    /// Ends the stream: a last record without a line end still counts.
    public mutating func finish() {
        if recordHasContent || !field.isEmpty || fieldIndex > 0 { endRecord() }
    }

    private mutating func consume(_ byte: UInt8) {
        if inQuotes {
            if quotePending {
                quotePending = false
                if byte == UInt8(ascii: "\"") { field.append(byte); return }
                inQuotes = false
                // fall through: the byte after a closing quote is a separator or line end
            } else if byte == UInt8(ascii: "\"") {
                quotePending = true
                return
            } else {
                field.append(byte)
                return
            }
        }
        switch byte {
        case UInt8(ascii: "\""):
            inQuotes = true
            recordHasContent = true
        case UInt8(ascii: ","):
            endField()
            recordHasContent = true
        case UInt8(ascii: "\r"):
            break
        case UInt8(ascii: "\n"):
            endRecord()
        default:
            field.append(byte)
            recordHasContent = true
        }
    }

    private mutating func endField() {
        let text = String(decoding: field, as: UTF8.self)
        if fieldIndex == 0 { currentFirst = text }
        if fieldIndex == 1 && collectingIDs { currentID = text }
        if fieldIndex == 3 && collectingIDs { currentValor = text }
        if records == 0 && header.isEmpty { currentHeader.append(text) }
        field = []
        fieldIndex += 1
    }

    private mutating func endRecord() {
        endField()
        if header.isEmpty && records == 0 && !currentHeader.isEmpty {
            header = currentHeader
        } else {
            records += 1
            byFirstField[currentFirst, default: 0] += 1
            if collectingIDs, let id = Int64(currentID) { amounts[currentFirst, default: [:]][id] = BackupCSV.cents(currentValor) }
        }
        currentHeader = []
        currentID = ""
        currentValor = ""
        fieldIndex = 0
        recordHasContent = false
        inQuotes = false
        quotePending = false
    }
}
