import BackOffice
import Testing

@Suite struct BackupCSVTests {
    @Test func quotesOnlyWhatNeedsQuoting() {
        #expect(BackupCSV.quoted("plain") == "plain")
        #expect(BackupCSV.quoted("a,b") == "\"a,b\"")
        #expect(BackupCSV.quoted("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(BackupCSV.quoted("line\nbreak") == "\"line\nbreak\"")
        #expect(BackupCSV.quoted(" padded ") == " padded ")
        #expect(BackupCSV.quoted("Conceição") == "Conceição")
        #expect(BackupCSV.line(["a", nil, "b,c"]) == "a,,\"b,c\"\r\n")
    }

    @Test func counterCountsRecordsWithEmbeddedLineBreaks() {
        var counter = CSVRecordCounter()
        let text = "\u{FEFF}" + BackupCSV.headerLine
            + BackupCSV.line(["pagamento", "1", "x\r\ny", "\"q\""])
            + BackupCSV.line(["gasto", "2", "a,b", nil])
            + BackupCSV.line(["gasto", "3", "", ""])
        // Feed in small chunks, splitting quotes and CRLFs.
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let end = min(bytes.count, index + 3)
            counter.feed(bytes[index..<end])
            index = end
        }
        counter.finish()
        #expect(counter.header == BackupCSV.columns)
        #expect(counter.records == 3)
        #expect(counter.byFirstField == ["pagamento": 1, "gasto": 2])
    }

    @Test func aMissingFinalLineEndStillCounts() {
        var counter = CSVRecordCounter()
        counter.feed(Array("type,id\r\ngasto,1".utf8))
        counter.finish()
        #expect(counter.records == 1)
    }

    @Test func monthsValidateAndNameTheirFiles() throws {
        let month = try StudioMonth(year: 2026, month: 9)
        #expect(month.label == "2026-09" && month.folderName == "2026_09" && month.slashed == "09/2026")
        #expect(month.nextFirstDay == "2026-10-01")
        #expect(try StudioMonth(year: 2026, month: 12).nextFirstDay == "2027-01-01")
        #expect(throws: (any Error).self) { try StudioMonth(year: 2026, month: 13) }
    }
}
