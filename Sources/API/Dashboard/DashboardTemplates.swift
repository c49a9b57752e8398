import Foundation
import Mustache

/// The pages' markup: the Mustache templates in `Templates/` (``Template`` names each),
/// compiled into the binary and parsed once. `{{value}}` escapes for HTML, and the templates
/// use no triple braces, so every value a page shows passes through that escaping.
struct DashboardTemplates: Sendable {
    let library: MustacheLibrary

    /// Parses every template; a template that does not parse is a build defect, which the
    /// tests' first page would report, so this throws rather than serving a half page.
    init() throws {
        var library = MustacheLibrary()
        for template in Template.allCases {
            try library.register(String(decoding: template.source, as: UTF8.self), named: template.rawValue)
        }
        self.library = library
    }

    func render(_ object: Any, _ template: Template) -> String {
        library.render(object, withTemplate: template.rawValue) ?? "template \(template.rawValue) is missing"
    }
}
