import Foundation

extension Duration {
    /// Whole and fractional seconds: for SQL intervals, `Date` arithmetic and rates.
    public var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
