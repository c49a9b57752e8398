/// A page ready to render: its template, its title and the values its template reads, of the
/// page's own `View` type (`HomePage.View`, `JobsPage.View` …), so a page and its template's
/// values are checked together where the page is made.
struct DashboardPage<View>: RenderablePage {
    let template: Template
    var title: String
    var view: View

    func render(with renderer: PageRenderer, session: DashboardSession?, refresh: PageRefresh?) -> String {
        renderer.render(self, session: session, refresh: refresh)
    }
}

/// Any ``DashboardPage``, whatever its view: what a route returns when its outcomes are
/// different pages (the page, or "not found").
protocol RenderablePage {
    func render(with renderer: PageRenderer, session: DashboardSession?, refresh: PageRefresh?) -> String
}
