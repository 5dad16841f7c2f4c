import ArgumentParser
import Foundation

/// `kru`: the command-line front end. Each subcommand parses, calls a library, and prints.
@main
struct KRUCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kru",
        abstract: "Kronecker Recurrent Units: inspect, run, convert and train compact recurrent models.",
        discussion: "Errors are one line on standard error; the exit status tells their class (docs/CLI.md): "
            + "0 success, 1 a check failed, 64 usage, 65 bad input data, 66 input missing or unreadable, 73 output "
            + "cannot be created, 74 I/O error.",
        version: "0.1.0",
        subcommands: [Inspect.self, Sample.self, Score.self, Params.self, Run.self, Convert.self, Train.self,
                      Finetune.self, Zoo.self, Serve.self, Quantize.self]
    )

    /// Parses and runs a command, and turns every failure into one line on standard error and the exit status
    /// of its class (``ExitStatus``). Help and version requests print as usual and exit 0.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as CLIError {
            fail(error)
        } catch let error as ExitCode {
            Foundation.exit(error.rawValue)  // the message, if any, was printed by whoever chose the code
        } catch {
            let code = exitCode(for: error)
            guard code == .validationFailure else { exit(withError: error) }  // --help, --version, completion scripts
            let message = self.message(for: error).split(whereSeparator: \.isNewline).joined(separator: "; ")
            fail(CLIError(.usage, message))
        }
    }

    /// Prints `error` in one line (a usage error with a pointer to the command's help) and exits.
    private static func fail(_ error: CLIError) -> Never {
        var message = error.message
        if error.status == .usage {
            message += " (see '\(invokedCommand) --help')"
        }
        printError(message)
        Foundation.exit(error.status.rawValue)
    }

    /// `kru` or `kru SUBCOMMAND`, as the user typed it.
    private static var invokedCommand: String {
        let names = configuration.subcommands.map { $0._commandName }
        let sub = CommandLine.arguments.dropFirst().first { names.contains($0) }
        return sub.map { "kru \($0)" } ?? "kru"
    }
}
