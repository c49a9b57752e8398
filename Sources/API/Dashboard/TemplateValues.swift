import JobQueue

/// A job state for a template: the raw name for `data-state`, the label for people.
struct StateView {
    var raw: String
    var label: String

    init(_ state: JobState, _ format: PageFormat) {
        self.init(raw: state.rawValue, label: format.state(state))
    }

    init(raw: String, label: String) {
        self.raw = raw
        self.label = label
    }
}

/// A list a template shows with something around it (a heading, a `<ol>`) only when it has
/// items: nil when empty, so `{{#list}}…{{#items}}…{{/items}}…{{/list}}` renders once or not.
struct NonEmpty<Item> {
    var items: [Item]

    init?(_ items: [Item]) {
        guard !items.isEmpty else { return nil }
        self.items = items
    }
}
