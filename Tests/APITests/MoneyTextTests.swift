@testable import API
import Testing

/// Money on the dashboard: `R$ 1.234,56` from centavos or from a numeric's text, exactly.
@Suite struct MoneyTextTests {
    @Test(arguments: [("105699.50", "R$ 105.699,50"), ("0", "R$ 0,00"), ("-12.5", "-R$ 12,50"), ("1234567.89", "R$ 1.234.567,89"),
                      ("0.05", "R$ 0,05"), ("999.9", "R$ 999,90")])
    func numericTextIsWrittenInReais(_ numeric: String, _ expected: String) {
        #expect(MoneyText.text(numeric: numeric) == expected)
    }

    @Test(arguments: ["1e5", "12.345", "abc", "", "1.2.3"])
    func textThatIsNotAnAmountIsShownAsItIs(_ text: String) {
        #expect(MoneyText.text(numeric: text) == text)
    }

    @Test func centavosAreExact() {
        #expect(MoneyText.text(minor: 98_765_432) == "R$ 987.654,32" && MoneyText.text(minor: 5) == "R$ 0,05")
        #expect(MoneyText.text(minor: Int64.max).hasPrefix("R$ 92.233.720.368.547.758,"))
    }
}
