import Foundation
import Mustache

/// The dashboard's language: Brazilian Portuguese by default, English with
/// `DASHBOARD_LANG=en`. One language per page: every visible string comes from its catalog.
public enum DashboardLanguage: String, CaseIterable, Sendable {
    case portuguese = "pt-BR"
    case english = "en"

    /// `DASHBOARD_LANG`'s value: `pt-BR` (also `pt`, `pt_BR`) or `en` (also `en-US`, …).
    public init?(setting: String) {
        let lowered = setting.lowercased().replacingOccurrences(of: "_", with: "-")
        if lowered == "pt" || lowered.hasPrefix("pt-") {
            self = .portuguese
        } else if lowered == "en" || lowered.hasPrefix("en-") {
            self = .english
        } else {
            return nil
        }
    }
}

/// One language's visible strings, read from `Catalogs/catalog-{language}.json` (compiled into
/// the binary): a flat map from key to text, where `{name}` stands for a value filled in by
/// ``callAsFunction(_:_:)``. Templates read it as `{{t.key}}`, so keys are snake_case without
/// dots. A key missing from the catalog shows as `⟦key⟧` on the page, which the tests look for.
struct Catalog: Sendable, MustacheParent {
    let language: DashboardLanguage
    let strings: [String: String]

    static let portuguese = Catalog(language: .portuguese, json: PackageResources.catalog_pt_BR_json)
    static let english = Catalog(language: .english, json: PackageResources.catalog_en_json)

    static func of(_ language: DashboardLanguage) -> Catalog {
        switch language {
        case .portuguese: portuguese
        case .english: english
        }
    }

    init(language: DashboardLanguage, strings: [String: String]) {
        self.language = language
        self.strings = strings
    }

    /// The catalog files are part of the build and a test reads both, so one that does not
    /// parse cannot ship: an empty catalog here would show every key as missing.
    init(language: DashboardLanguage, json: [UInt8]) {
        let strings = (try? JSONDecoder().decode([String: String].self, from: Data(json))) ?? [:]
        self.init(language: language, strings: strings)
    }

    subscript(key: String) -> String { strings[key] ?? "⟦\(key)⟧" }

    /// The text of `key` with each `{name}` replaced by `values[name]`, in one pass: a value
    /// that itself holds `{…}` (a queue named `{reason}`) is written as it is.
    func callAsFunction(_ key: String, _ values: [String: any CustomStringConvertible] = [:]) -> String {
        Self.fill(self[key]) { values[$0]?.description }
    }

    /// The `{name}` placeholders a text uses, for the test that both catalogs agree.
    static func placeholders(_ text: String) -> Set<String> {
        var names: Set<String> = []
        _ = fill(text) { names.insert($0); return nil }
        return names
    }

    /// `text` with each `{name}` replaced by `value(name)`, or left as it is when that is nil.
    private static func fill(_ text: String, _ value: (String) -> String?) -> String {
        var filled = "", rest = Substring(text)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            filled += rest[..<open]
            filled += value(String(rest[rest.index(after: open)..<close])) ?? String(rest[open...close])
            rest = rest[rest.index(after: close)...]
        }
        return filled + rest
    }

    func child(named name: String) -> Any? { self[name] }
}
