import Foundation
import KRUFormat
import Testing

/// `kru finetune --teacher`: a distilling run's summary and record, and its command-line errors with their exit
/// statuses (docs/CLI.md).
struct DistillationCommandTests {
    @Test func finetuneDistilsATeacherAndRefusesWhatCannotWork() throws {
        let directory = try TrainingWorkflowTests.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let data = path("text.txt"), other = path("other.txt")
        try Data(TrainingWorkflowTests.text.utf8).write(to: URL(fileURLWithPath: data))
        try Data(String(repeating: "xyz? ", count: 200).utf8).write(to: URL(fileURLWithPath: other))
        func train(_ text: String, _ cell: String, _ out: String) throws {
            let result = try CLITests.kru(
                "train", "--task", "charlm", "--data", text, "--cell", cell, "--hidden", "8", "--bptt", "20",
                "--batch", "4", "--steps", "5", "--validate-every", "5", "-o", out)
            #expect(result.status == 0, "\(result.stderr)")
        }
        try train(data, "lstm", path("teacher.kru"))
        try train(data, "gru", path("student.kru"))
        try train(other, "lstm", path("stranger.kru"))

        func finetune(_ extra: String...) throws -> (status: Int32, stdout: String, stderr: String) {
            try CLITests.kru(arguments: ["finetune", path("student.kru"), "--data", data, "--bptt", "20", "--batch",
                                         "4", "--steps", "6", "--validate-every", "3", "-o", path("out.kru")] + extra)
        }
        let run = try finetune("--teacher", path("teacher.kru"), "--distill-temperature", "3", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try TrainCommandTests.json(run.stdout)
        let teacher = try #require(summary["teacher"] as? [String: Any])
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path("teacher.kru"))[.size] as? Int)
        #expect(teacher["file"] as? String == "teacher.kru" && teacher["bytes"] as? Int == size)
        #expect(teacher["temperature"] as? Double == 3 && teacher["weight"] as? Double == 0.5)
        #expect((teacher["final_kl"] as? Double).map { $0 > 0 && $0.isFinite } == true, "\(teacher)")
        #expect((summary["validation_bits_per_char"] as? Double).map(\.isFinite) == true)
        let file = try KRUFile(path: path("out.kru"))
        #expect(file.metadata("kru.finetune.teacher") == .string("teacher.kru"))
        #expect(file.metadata("kru.finetune.teacher_hash") == .string(try #require(teacher["hash"] as? String)))
        #expect(file.metadata("kru.finetune.distill_temperature") == .float(3))
        #expect(file.metadata("kru.finetune.distill_weight") == .float(0.5))
        let text = try finetune("--teacher", path("teacher.kru"))
        #expect(text.status == 0 && text.stdout.contains("distilled teacher.kru"), "\(text.stdout)")

        func refused(_ status: Int32, _ phrase: String, _ arguments: String...) throws {
            let result = try CLITests.kru(arguments: ["finetune", path("student.kru"), "--data", data, "--steps", "1",
                                                      "-o", path("out.kru")] + arguments)
            #expect(result.status == status && result.stderr.contains(phrase), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count <= 2, "\(result.stderr)")  // the line, a --help hint
        }
        try refused(66, "missing.kru", "--teacher", path("missing.kru"))
        try refused(65, "vocabulary", "--teacher", path("stranger.kru"))
        try refused(65, "--teacher", "--teacher", data)  // not a .kru file
        try refused(64, "--distill-temperature", "--teacher", path("teacher.kru"), "--distill-temperature", "0")
        try refused(64, "--distill-temperature", "--teacher", path("teacher.kru"), "--distill-temperature", "-2")
        try refused(64, "--distill-weight", "--teacher", path("teacher.kru"), "--distill-weight", "1.5")
        try refused(64, "--distill-weight", "--teacher", path("teacher.kru"), "--distill-weight", "-0.1")
        try refused(64, "need --teacher", "--distill-weight", "0.3")
        try refused(73, "also an input", "--teacher", path("out.kru"))

        let help = try CLITests.kru("finetune", "--help")
        #expect(help.stdout.contains("--teacher") && help.stdout.contains("--distill-temperature")
                    && help.stdout.contains("kru.finetune.teacher"))
    }
}
