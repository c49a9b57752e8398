import Foundation
import Mustache

/// The pages' markup: the Mustache templates in `Templates/`, compiled into the binary
/// (Package.swift lists the same names) and parsed once. `{{value}}` escapes for HTML, and the
/// templates use no triple braces, so every value a page shows passes through that escaping.
struct DashboardTemplates: Sendable {
    static let sources: [String: [UInt8]] = [
        "layout": PackageResources.layout_mustache,
        "sign-in": PackageResources.sign_in_mustache,
        "message": PackageResources.message_mustache,
        "home": PackageResources.home_mustache,
        "jobs": PackageResources.jobs_mustache,
        "bulk-confirm": PackageResources.bulk_confirm_mustache,
        "job": PackageResources.job_mustache,
        "queues": PackageResources.queues_mustache,
        "schedules": PackageResources.schedules_mustache,
        "backups": PackageResources.backups_mustache,
        "backup": PackageResources.backup_mustache,
        "extratos": PackageResources.extratos_mustache,
        "branches": PackageResources.branches_mustache,
        "chart": PackageResources.chart_mustache,
        "button": PackageResources.button_mustache,
        "state": PackageResources.state_mustache,
    ]

    let library: MustacheLibrary

    /// Parses every template; a template that does not parse is a build defect, which the
    /// tests' first page would report, so this throws rather than serving a half page.
    init() throws {
        var library = MustacheLibrary()
        for (name, bytes) in Self.sources {
            try library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        self.library = library
    }

    func render(_ object: Any, _ name: String) -> String {
        library.render(object, withTemplate: name) ?? "template \(name) is missing"
    }
}
