import Foundation
import Testing

/// Every Swift example in the README, the DocC catalogs of KRU, KRUInference and KRUFormat, and their modules' doc
/// comments is quoted in DocumentationExamples.swift (which this target compiles), and the README's app example runs
/// against a zoo model.
struct DocumentationExampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Lines without their indentation and without blank lines: the same code inside a function body compares equal.
    static func normalized(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The ```swift blocks of a Markdown text (or of doc comments once their `///` is removed).
    static func swiftBlocks(_ text: String) -> [String] {
        var blocks: [String] = [], current: [String]? = nil
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current == nil, trimmed == "```swift" { current = [] } else if current != nil, trimmed == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else { current?.append(String(line)) }
        }
        return blocks
    }

    static func documentedExamples() throws -> [(source: String, code: String)] {
        var result: [(String, String)] = []
        var files = ["README.md"]
        for module in ["KRU", "Inference", "Format"] {
            let folder = root.appendingPathComponent("Sources/\(module)")
            let enumerator = FileManager.default.enumerator(atPath: folder.path)
            while let path = enumerator?.nextObject() as? String {
                if path.hasSuffix(".md") || path.hasSuffix(".swift") { files.append("Sources/\(module)/\(path)") }
            }
        }
        for file in files {
            var text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            if file.hasSuffix(".swift") {
                text = text.split(separator: "\n", omittingEmptySubsequences: false).compactMap { line -> String? in
                    let trimmed = line.trimmingCharacters(in: .whitespaces)
                    guard trimmed.hasPrefix("///") else { return nil }
                    let comment = trimmed.dropFirst(3)
                    return String(comment.hasPrefix(" ") ? comment.dropFirst() : comment)
                }.joined(separator: "\n")
            }
            result += swiftBlocks(text).map { (file, $0) }
        }
        return result
    }

    @Test func everyExampleIsQuotedInTheCompiledFile() throws {
        let compiled = Self.normalized(try String(contentsOf: Self.root.appendingPathComponent(
            "Tests/ExamplesTests/DocumentationExamples.swift"), encoding: .utf8))
        let examples = try Self.documentedExamples()
        #expect(examples.count >= 8, "found only \(examples.count) examples")
        for (source, code) in examples {
            let lines = Self.normalized(code).filter { $0 != "import KRU" && $0 != "import KRUFormat" }
            let found = compiled.indices.contains { start in
                start + lines.count <= compiled.count && Array(compiled[start..<start + lines.count]) == lines
            }
            #expect(found, "an example in \(source) is not quoted in DocumentationExamples.swift:\n\(code)")
        }
    }

    /// The README's app example, run for real (it reads the zoo's kjv-kru512 and the KJV test text when present).
    @Test func theReadmeExampleRuns() async throws {
        let previous = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(Self.root.path)
        defer { FileManager.default.changeCurrentDirectoryPath(previous) }
        guard FileManager.default.fileExists(atPath: "data/kjv/test.txt") else { return }
        try await demo()
    }
}
