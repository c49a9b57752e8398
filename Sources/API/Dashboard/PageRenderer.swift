import Foundation

/// Renders a page's template inside the layout, in the dashboard's language.
struct PageRenderer: Sendable {
    /// What every template can read: `t` (the catalog), `frame` (title, navigation, refresh
    /// line), `view` (the page's values), and for forms `csrf` and `operator`.
    ///
    /// Mustache looks a name up the context stack when the innermost value does not have it,
    /// and a nil optional counts as not having it: so an optional field of a view is named so
    /// that nothing further up has the same name (`spanID`, not `id`).
    struct Context<View> {
        var t: Catalog
        var frame: Frame
        var view: View
        var csrf: String?
        var `operator`: Bool
    }

    /// The layout's own values: the page's title, navigation and refresh line.
    struct Frame {
        var title: String
        var nav: Nav?
        var refresh: PageRefresh.Line?
    }

    struct Nav {
        var signOut: String
    }

    let templates: DashboardTemplates
    let catalog: Catalog
    let zone: TimeZone

    func format(now: Date = Date()) -> PageFormat { PageFormat(catalog: catalog, zone: zone, now: now) }

    func render<View>(_ content: DashboardPage<View>, session: DashboardSession?, refresh: PageRefresh? = nil) -> String {
        let nav = session.map { session in
            Nav(signOut: catalog("nav_sign_out", ["who": session.identity.subject, "role": catalog["role_\(session.identity.role.rawValue)"]]))
        }
        let context = Context(t: catalog, frame: .init(title: content.title, nav: nav, refresh: refresh?.line(format())),
                              view: content.view, csrf: session?.csrf, operator: session.map { $0.identity.role >= .operator } ?? false)
        return templates.render(context, content.template)
    }

    /// A short page with a message and a link back: not found, forbidden, refused.
    func message(title: String, error: String? = nil, text: String? = nil, link: (href: String, label: String)?,
                 session: DashboardSession?) -> String {
        render(DashboardPage(template: .message, title: title, view: MessageView(
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

/// A form with one button that posts to `action` with the session's CSRF token (the `button`
/// template); a viewer, who may change nothing, does not see it.
struct FormButton {
    var action: String
    var label: String
}
