import JobQueue

/// A job state as the dashboard's Portuguese pages name it; the raw name stays in `data-state`
/// attributes, filter values and links, where programs read it.
enum StateLabel {
    static func text(_ state: JobState) -> String {
        switch state {
        case .pending: return "aguardando dependências"
        case .available: return "disponível"
        case .scheduled: return "agendado"
        case .running: return "em execução"
        case .retryable: return "vai tentar de novo"
        case .succeeded: return "sucesso"
        case .discarded: return "descartado"
        case .cancelled: return "cancelado"
        }
    }

    /// `<span data-state="discarded">descartado</span>`, with `id` when given.
    static func span(_ state: JobState, id: String? = nil) -> String {
        "<span\(id.map { " id=\"\($0)\"" } ?? "") data-state=\"\(state.rawValue)\">\(text(state))</span>"
    }
}
