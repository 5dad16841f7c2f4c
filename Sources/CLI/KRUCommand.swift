import ArgumentParser

/// `kru`: the command-line front end. Each subcommand parses, calls a library, and prints.
@main
struct KRUCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kru",
        abstract: "Kronecker Recurrent Units: inspect, run, convert and train compact recurrent models.",
        version: "0.1.0",
        subcommands: [Inspect.self, Sample.self, Score.self, Params.self, Run.self, Convert.self, Train.self, Finetune.self, Zoo.self]
    )
}
