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

/// What a route hands the layout: which template, the page's title and the template's values.
struct PageContent {
    var template: String
    var title: String
    var view: Any
}

/// Renders a page's template inside the layout, in the dashboard's language.
struct PageRenderer: Sendable {
    /// What every template can read: `t` (the catalog), `frame` (title, navigation, refresh
    /// line), `view` (the page's values), and for forms `csrf` and `operator`.
    struct Context {
        struct Frame {
            var title: String
            var nav: Nav?
            var refresh: PageRefresh.Line?
        }

        struct Nav {
            var signOut: String
        }

        var t: Catalog
        var frame: Frame
        var view: Any
        var csrf: String?
        var `operator`: Bool
    }

    let templates: DashboardTemplates
    let catalog: Catalog
    let zone: TimeZone

    func format(now: Date = Date()) -> PageFormat { PageFormat(catalog: catalog, zone: zone, now: now) }

    func render(_ content: PageContent, session: DashboardSession?, refresh: PageRefresh? = nil) -> String {
        let nav = session.map { session in
            Context.Nav(signOut: catalog("nav_sign_out", ["who": session.identity.subject, "role": session.identity.role.rawValue]))
        }
        let context = Context(t: catalog, frame: .init(title: content.title, nav: nav, refresh: refresh?.line(format())),
                              view: content.view, csrf: session?.csrf, operator: session.map { $0.identity.role >= .operator } ?? false)
        return templates.render(context, content.template)
    }

    /// A short page with a message and a link back: not found, forbidden, refused.
    func message(title: String, error: String? = nil, text: String? = nil, link: (href: String, label: String)?,
                 session: DashboardSession?) -> String {
        render(PageContent(template: "message", title: title, view: MessageView(
            error: error, text: text, link: link.map { MessageView.Link(href: $0.href, label: $0.label) })), session: session)
    }

    struct MessageView {
        struct Link {
            var href: String
            var label: String
        }

        var error: String?
        var text: String?
        var link: Link?
    }
}
