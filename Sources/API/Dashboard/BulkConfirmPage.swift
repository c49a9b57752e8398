import JobQueue

/// A bulk action's confirmation (`POST /ui/jobs/bulk/{verb}` without `confirm`): how many of
/// the filtered jobs it would touch, the first ten, and the button that posts again to act.
struct BulkConfirmPage {
    struct View {
        struct Sample {
            var id: Int64
            var kind: String
            var queue: String
            var when: String
        }

        var intro: String
        var count: Int
        var countText: String
        var description: String
        var sample: [Sample]
        var more: String?
        var action: String
        var back: String
        var confirm: String
        var batches: String
    }

    let verb: String
    let filter: JobsPage.Filter
    let preview: BulkPreview
    let format: PageFormat

    /// How many jobs, the first of them, and the button that acts.
    func content() -> DashboardPage<View> {
        let t = format.catalog
        let view = View(
            intro: t["bulk_intro_\(verb)"], count: preview.count, countText: format.count(preview.count), description: JobsPage.describe(filter, format),
            sample: preview.sample.prefix(10).map { View.Sample(id: $0.id, kind: $0.kind, queue: $0.queue, when: format.when($0.finishedAt ?? $0.createdAt)) },
            more: preview.count > 10 ? t("bulk_more", ["count": format.count(preview.count - 10)]) : nil,
            action: "/ui/jobs/bulk/\(verb)?\(filter.query())", back: "/ui/jobs?\(filter.query())",
            confirm: t("bulk_confirm_\(verb)", ["count": format.count(preview.count)]),
            batches: t("bulk_batches", ["size": format.count(JobStore.bulkBatchSize)]))
        return DashboardPage(template: .bulkConfirm, title: t["bulk_title"], view: view)
    }
}
