import Foundation

enum FileManagerPaths {
    /// A path in a fresh temporary directory.
    static func temporaryFile(named name: String) -> String {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("kru-train-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }
}
