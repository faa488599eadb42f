import ForeshockCLI
import Foundation

// Past a file size limit (`ulimit -f`, systemd's LimitFSIZE) a write fails with an error that
// is reported and cut back off, rather than end the process by signal mid-line.
signal(SIGXFSZ, SIG_IGN)

let status = await CommandLineTool.run(Array(CommandLine.arguments.dropFirst()))
exit(status.rawValue)
