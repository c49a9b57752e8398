import NightshiftCLI
import TestSupport

// The real `nightshift` command line, plus the tests' job kinds: crash tests run
// `nightshift-test-worker worker …` as a child process and kill it.
await NightshiftMain.run(extraKinds: { registry in try TestKinds.register(in: &registry) })
