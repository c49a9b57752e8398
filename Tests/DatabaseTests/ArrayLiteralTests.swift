import Database
import Testing

/// The array literals the worker sends with every claim, written by hand into one buffer.
@Suite struct ArrayLiteralTests {
    @Test func integersAreWrittenAsPostgreSQLReadsThem() {
        #expect(ArrayLiteral.integers([Int64]()) == "{}")
        #expect(ArrayLiteral.integers([0]) == "{0}")
        #expect(ArrayLiteral.integers([7, 10, 99, 100, 1_234_567]) == "{7,10,99,100,1234567}")
        #expect(ArrayLiteral.integers([Int64.max, Int64.min, -1]) == "{9223372036854775807,-9223372036854775808,-1}")
        let many = (0..<1_000).map { Int64($0) * 1_000_003 - 500_000_000 }
        #expect(ArrayLiteral.integers(many) == "{" + many.map(String.init).joined(separator: ",") + "}")
    }

    @Test func textElementsAreQuotedWithQuotesAndBackslashesEscaped() {
        #expect(ArrayLiteral.text(["a", "b,c", "it\"s", "back\\slash", "{}"]) == #"{"a","b,c","it\"s","back\\slash","{}"}"#)
    }
}
