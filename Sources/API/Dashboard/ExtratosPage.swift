import BackOffice
import Foundation

/// The Extratos page: every closed month's totals, money exact from the `numeric` columns, and
/// its record counts.
struct ExtratosPage {
    struct Row {
        var month: String
        var receita: String
        var comissoes: String
        var gastos: String
        var saldo: String
        var counts: String
    }

    struct View {
        var rows: [Row]
    }

    let dependencies: APIDependencies
    let format: PageFormat

    func content() async throws -> DashboardPage<View> {
        let all = try await dependencies.extratos.all()
        let rows = all.map { extrato in
            Row(month: extrato.month, receita: format.money(numeric: extrato.totalReceita), comissoes: format.money(numeric: extrato.totalComissoes),
                gastos: format.money(numeric: extrato.totalGastos), saldo: format.money(numeric: extrato.saldo),
                counts: extrato.contagens.sorted { $0.key < $1.key }.map { "\($0.key): \(format.count($0.value))" }.joined(separator: ", "))
        }
        return DashboardPage(template: .extratos, title: format.catalog["extratos_title"], view: View(rows: rows))
    }
}
