/// The dashboard's templates (`Templates/NAME.mustache`): the one list of their names.
/// Package.swift compiles the same files in (`dashboardTemplates`); a test checks the two lists
/// and the folder agree.
enum Template: String, CaseIterable, Sendable {
    case layout
    case signIn = "sign-in"
    case message
    case home
    case jobs
    case bulkConfirm = "bulk-confirm"
    case job
    case queues
    case schedules
    case backups
    case backup
    case extratos
    case branches
    /// Partials, which pages include.
    case chart
    case button
    case state

    /// The template's text, compiled into the binary.
    var source: [UInt8] {
        switch self {
        case .layout: PackageResources.layout_mustache
        case .signIn: PackageResources.sign_in_mustache
        case .message: PackageResources.message_mustache
        case .home: PackageResources.home_mustache
        case .jobs: PackageResources.jobs_mustache
        case .bulkConfirm: PackageResources.bulk_confirm_mustache
        case .job: PackageResources.job_mustache
        case .queues: PackageResources.queues_mustache
        case .schedules: PackageResources.schedules_mustache
        case .backups: PackageResources.backups_mustache
        case .backup: PackageResources.backup_mustache
        case .extratos: PackageResources.extratos_mustache
        case .branches: PackageResources.branches_mustache
        case .chart: PackageResources.chart_mustache
        case .button: PackageResources.button_mustache
        case .state: PackageResources.state_mustache
        }
    }
}
