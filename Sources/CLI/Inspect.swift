import ArgumentParser
import KRUFormat

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a .kru file's version, metadata and tensors.")

    @Argument(help: "The .kru file.") var file: String

    func run() throws {
        let kru = try KRUFile(path: file)
        print("version \(kru.version)")
    }
}
