import Foundation
import KRUConvert
import KRUFormat
import Testing

/// Ordinary mistakes and hostile inputs for `inspect`, `convert`, `params`, `score`, `run` and `zoo`: each row is
/// an invocation, the exit status docs/CLI.md gives its class, and the first words of its one-line error. Every
/// run must finish (a FIFO must not hang a reader), print exactly one line on standard error, and add the pointer
/// to `--help` to usage errors only.
struct BadInputTests {
    /// Files the rows refer to by name ($EMPTY, $FIFO, …), made once in a scratch directory.
    static let scratch: URL = {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("kru-bad-input-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func write(_ name: String, _ text: String) {
            try! Data(text.utf8).write(to: directory.appendingPathComponent(name))
        }
        write("empty.txt", "")
        write("one.txt", "a")
        write("unknown.txt", "zzz")
        write("text.txt", "abcdefgabcabcgfedcba")
        write("map-dup.json", "[\"a\", {\"k\": 1, \"k\": 2}]")
        try! Data([0x63, 0x61, 0x66, 0xe9]).write(to: directory.appendingPathComponent("latin1.txt"))
        mkfifo(directory.appendingPathComponent("fifo").path, 0o600)
        try! FileManager.default.createDirectory(at: directory.appendingPathComponent("dir"),
                                                 withIntermediateDirectories: true)
        func array(_ name: String, _ shape: [Int], _ values: [Int64]) {
            try! NumPyArray(shape: shape, values: .integer(values))
                .write(toPath: directory.appendingPathComponent(name).path)
        }
        array("ids.npy", [2, 3], [0, 1, 2, 3, 4, 5])
        array("targets.npy", [2, 3], [1, 2, 3, 4, 5, 6])
        array("lengths-zero.npy", [2], [0, 3])
        array("lengths-many.npy", [3], [1, 2, 3])
        array("lengths-long.npy", [2], [4, 1])
        array("lengths-2d.npy", [1, 2], [1, 2])
        // The fixture model with another vocabulary, for --compare.
        let original = try! KRUFile(path: CLITests.root.appendingPathComponent(lstm).path)
        let metadata = original.metadata.map {
            $0.key == "kru.input.vocabulary"
                ? KRUMetadataEntry($0.key, .stringArray(["h", "i", "j", "k", "l", "m", "n"])) : $0
        }
        try! KRUWriter(metadata: metadata, tensors: try! original.tensors.map { try original.tensor($0) })
            .write(toPath: directory.appendingPathComponent("other-vocabulary.kru").path)
        return directory
    }()

    static let lstm = "Tests/Fixtures/models/torch_lstm_l2.kru"
    static let checkpoint = "Tests/Fixtures/torch/lstm_l2.pt"

    /// (invocation, expected status, expected start of the message after "kru: error: ").
    static let rows: [(String, Int32, String)] = [
        // Usage: one line with a pointer to the command's help.
        ("inspect", 64, "Missing expected argument '<file>'"),
        ("inspect --bogus x.kru", 64, "Unknown option '--bogus'"),
        ("bogus", 64, "Unexpected argument 'bogus'"),
        ("convert \(checkpoint) --factors 4294967296x4294967296 -o $S/x.kru", 64,
         "--factors 4294967296x4294967296 multiplies to more than"),
        ("convert \(checkpoint) --factors 4x0 -o $S/x.kru", 64, "--factors 4x0 is not none, auto"),
        ("convert \(checkpoint) --nonlinearity sigmoid -o $S/x.kru", 64,
         "The value 'sigmoid' is invalid for '--nonlinearity"),
        ("convert \(checkpoint)", 64, "give -o OUT.kru (or --list)"),
        ("convert \(checkpoint) --list -o $S/x.kru", 64, "--list converts nothing"),
        ("convert \(checkpoint) --rank 0 -o $S/x.kru", 64, "--rank must be between 1 and 64"),
        ("convert \(checkpoint) --restarts 20000 -o $S/x.kru", 64, "--restarts must be between 0 and 10000"),
        ("params --factors 99999999x99999999 --input 1 --output 10", 64,
         "--factors 99999999x99999999 multiplies to 9999999800000001"),
        ("params --factors 4294967296x4294967296 --input 1 --output 10", 64,
         "--factors 4294967296x4294967296 multiplies to more than"),
        ("params --factors 2x0 --input 1 --output 10", 64, "--factors 2x0 is not none, auto"),
        ("params \(lstm) --factors 2x2", 64, "give a model file or --hidden"),
        ("score \(lstm)", 64, "give a text file, or both --inputs and --targets"),
        ("score \(lstm) $S/text.txt --threads 0", 64, "--threads must be between 1 and 64, not 0"),
        ("sample \(lstm) --threads 65", 64, "--threads must be between 1 and 64, not 65"),
        ("score \(lstm) $S/text.txt --lengths $S/lengths-zero.npy", 64, "--lengths applies to --inputs/--targets"),
        ("run \(lstm) --input $S/ids.npy", 64, "Missing expected argument '--output <output>'"),
        // Inputs that are missing or cannot be read the way the command needs.
        ("inspect /nonexistent/m.kru", 66, "cannot open /nonexistent/m.kru: No such file or directory"),
        ("inspect $S/dir", 66, "$S/dir is a directory, not a regular file"),
        ("inspect $S/fifo", 66, "$S/fifo is a FIFO (named pipe), not a regular file"),
        ("inspect /dev/null", 66, "/dev/null is a character device, not a regular file"),
        ("convert $S/fifo --list", 66, "$S/fifo is a FIFO (named pipe), not a regular file"),
        ("score $S/fifo $S/text.txt", 66, "$S/fifo is a FIFO (named pipe)"),
        ("score \(lstm) /nonexistent.txt", 66, "cannot open /nonexistent.txt"),
        ("score \(lstm) $S/dir", 66, "$S/dir is a directory, not a text"),
        ("run \(lstm) --input /nonexistent.npy -o $S/y.npy", 66, "cannot open /nonexistent.npy"),
        ("zoo --dir /nonexistent", 66, "the models directory /nonexistent (from --models) does not exist"),
        ("convert \(checkpoint) --list --map /nonexistent.json", 66, "cannot open /nonexistent.json"),
        ("convert \(checkpoint) --vocab $S/dir -o $S/x.kru", 66, "$S/dir is a directory"),
        // Inputs whose content is unusable.
        ("inspect spec/vectors/invalid/bad_magic.kru", 65, "spec/vectors/invalid/bad_magic.kru: bad_magic at byte 0"),
        ("inspect spec/vectors/invalid/tensor_checksum.kru", 65,
         "spec/vectors/invalid/tensor_checksum.kru: tensor_checksum"),
        ("inspect Tests/Fixtures/memory/kru_declaring.kru", 65, "Tests/Fixtures/memory/kru_declaring.kru: bad_zlib"),
        ("convert Tests/Fixtures/hostile/reduce_os_system.pt --list", 65,
         "Tests/Fixtures/hostile/reduce_os_system.pt: zip entry 'archive/data.pkl', byte 227: "
             + "the pickle asks to call os.system"),
        ("convert Tests/Fixtures/memory/expand_2pow30.pt --list", 65,
         "Tests/Fixtures/memory/expand_2pow30.pt: no recurrent layer found"),
        ("convert \(lstm) --list", 65, "Tests/Fixtures/models/torch_lstm_l2.kru: byte 0: unrecognised format"),
        ("convert \(checkpoint) --factors 4x4 --vocab-text $S/text.txt -o $S/x.kru", 65,
         "Tests/Fixtures/torch/lstm_l2.pt: factors 4x4 multiply to 16×16, but the recurrent matrices are 6×6"),
        ("convert \(checkpoint) --factors none --vocab-text $S/text.txt --eval $S/one.txt -o $S/x.kru", 65,
         "$S/one.txt has 1 character(s) in the model's vocabulary; --eval needs at least 2"),
        ("score \(lstm) $S/empty.txt", 65,
         "$S/empty.txt has 0 character(s); scoring predicts every character after the first"),
        ("score \(lstm) $S/one.txt", 65, "$S/one.txt has 1 character(s); scoring predicts"),
        ("score \(lstm) $S/unknown.txt --skip-unknown", 65,
         "$S/unknown.txt has 0 character(s) after dropping 3 character(s) the vocabulary lacks"),
        ("score \(lstm) $S/unknown.txt", 65, "characters not in the model's vocabulary: \"z\""),
        ("score \(lstm) $S/latin1.txt", 65, "$S/latin1.txt is not valid UTF-8 text"),
        ("score \(lstm) $S/text.txt --compare $S/other-vocabulary.kru", 65,
         "$S/other-vocabulary.kru has a different vocabulary from \(lstm) (7 vs 7 characters; 7 character(s) only in"),
        ("score \(lstm) $S/text.txt --compare Tests/Fixtures/models/kru_last_step_classifier.kru", 65,
         "Tests/Fixtures/models/kru_last_step_classifier.kru is not a categorical character model"),
        ("score \(lstm) --inputs $S/ids.npy --targets $S/targets.npy --lengths $S/lengths-zero.npy", 65,
         "$S/lengths-zero.npy: length 0 at position 0 is outside 1 … 3"),
        ("score \(lstm) --inputs $S/ids.npy --targets $S/targets.npy --lengths $S/lengths-many.npy", 65,
         "$S/lengths-many.npy holds 3 lengths but $S/ids.npy holds 2 sequence(s)"),
        ("score \(lstm) --inputs $S/ids.npy --targets $S/targets.npy --lengths $S/lengths-long.npy", 65,
         "$S/lengths-long.npy: length 4 at position 0 is outside 1 … 3"),
        ("score \(lstm) --inputs $S/ids.npy --targets $S/targets.npy --lengths $S/lengths-2d.npy", 65,
         "$S/lengths-2d.npy must be a 1-D array of integer lengths"),
        ("score \(lstm) --inputs $S/ids.npy --targets $S/ids.npy "
             + "--lengths Tests/Fixtures/hostile/npy_short_data.npy", 65,
         "Tests/Fixtures/hostile/npy_short_data.npy: byte"),
        ("run \(lstm) --input $S/text.txt -o $S/y.npy", 65, "$S/text.txt: byte 0: not a .npy array"),
        ("convert \(checkpoint) --list --map /dev/zero", 65, "the map file /dev/zero is over 65536 bytes"),
        ("convert \(checkpoint) --list --map $S/text.txt", 65, "the map file $S/text.txt is not strict JSON: byte 0"),
        ("convert \(checkpoint) --vocab $S/map-dup.json -o $S/x.kru", 65,
         "the vocabulary $S/map-dup.json is not strict JSON: byte"),
        // Outputs that must not be written.
        ("convert \(checkpoint) --vocab-text $S/text.txt -o /dev/null", 73,
         "/dev/null is a character device; kru writes only regular files"),
        ("convert \(checkpoint) --vocab-text $S/text.txt -o \(checkpoint)", 73,
         "\(checkpoint) is also an input of this command"),
        ("convert \(checkpoint) --vocab-text $S/text.txt -o $S/dir", 73,
         "$S/dir is a directory; kru writes only regular files"),
        ("convert \(checkpoint) --vocab-text $S/text.txt -o /nonexistent/x.kru", 73,
         "cannot create /nonexistent/x.kru: the directory /nonexistent does not exist"),
        ("run \(lstm) --input $S/ids.npy -o $S/ids.npy", 73, "$S/ids.npy is also an input of this command"),
        ("run \(lstm) --input $S/ids.npy --output $S/fifo", 73,
         "$S/fifo is a FIFO (named pipe); kru writes only regular files"),
    ]

    @Test(arguments: rows.indices)
    func badInputGivesItsStatusAndOneLine(row: Int) throws {
        let (invocation, status, start) = Self.rows[row]
        let expand = { (text: String) in text.replacingOccurrences(of: "$S", with: Self.scratch.path) }
        let arguments = expand(invocation).split(separator: " ").map(String.init)
        let result = try MeasuredRun.kru(arguments, timeout: 60)
        #expect(!result.timedOut, "kru \(invocation) hung")
        #expect(result.status == status, "kru \(invocation): \(result.stderr)")
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 1 && result.stderr.hasSuffix("\n"), "kru \(invocation): \(result.stderr)")
        #expect(result.stderr.hasPrefix("kru: error: " + expand(start)), "kru \(invocation): \(result.stderr)")
        #expect(result.stderr.contains("--help')") == (status == 64), "kru \(invocation): \(result.stderr)")
    }

    /// The outputs the refused rows named were never created or replaced.
    @Test func refusedOutputsAreLeftAlone() throws {
        let before = try Data(contentsOf: CLITests.root.appendingPathComponent(Self.checkpoint))
        _ = try MeasuredRun.kru(["convert", Self.checkpoint, "--vocab-text", Self.scratch.path + "/text.txt",
                                 "-o", Self.checkpoint])
        #expect(try Data(contentsOf: CLITests.root.appendingPathComponent(Self.checkpoint)) == before)
        var info = stat()
        #expect(stat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR)
        #expect(!FileManager.default.fileExists(atPath: Self.scratch.appendingPathComponent("x.kru").path))
    }
}

/// What the CLI promises beyond refusing: standard input where a user expects it, reports that say what was
/// dropped, names from files escaped, outputs written the way the writer promises.
struct CLIConventionTests {
    static let lstm = BadInputTests.lstm

    @Test(arguments: ["-", "/dev/stdin"])
    func scoreReadsStandardInput(path: String) throws {
        let piped = try MeasuredRun.kru(["score", Self.lstm, path, "--json"], stdin: "abcdefgabcabcgfedcba")
        #expect(piped.status == 0, "\(piped.stderr)")
        let file = try MeasuredRun.kru(["score", Self.lstm, BadInputTests.scratch.path + "/text.txt", "--json"])
        func tokens(_ run: MeasuredRun) -> Int? {
            (try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["tokens"] as? Int
        }
        #expect(tokens(piped) == 19 && tokens(file) == 19)
    }

    @Test func scoreReadsAFIFOAsAStream() throws {
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("kru-fifo-\(UUID().uuidString)").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        // The writer, as process substitution would provide it.
        let writer = Thread {
            let fd = open(fifo, O_WRONLY)
            _ = "abcdefgabc".withCString { write(fd, $0, 10) }
            close(fd)
        }
        writer.start()
        let result = try MeasuredRun.kru(["score", Self.lstm, fifo], timeout: 60)
        #expect(!result.timedOut && result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("9 characters predicted"))
    }

    @Test func skipUnknownSaysHowManyCharactersItDropped() throws {
        let result = try MeasuredRun.kru(["score", Self.lstm, "-", "--skip-unknown", "--json"], stdin: "abzcz\u{e9}d")
        #expect(result.status == 0, "\(result.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(document["skipped_characters"] as? Int == 3)
        #expect(document["tokens"] as? Int == 3)
        let text = try MeasuredRun.kru(["score", Self.lstm, "-", "--skip-unknown"], stdin: "abzcz\u{e9}d")
        #expect(text.stdout.contains("skipped       3 characters not in the vocabulary"))
    }

    /// A tensor name with an escape sequence and a line break is printed escaped, never raw: in the listing
    /// and in errors.
    @Test func controlCharactersInTensorNamesAreEscaped() throws {
        let name = "x.\u{1b}[31mred\nline"
        let path = try Self.safetensors([("rnn.weight_ih_l0", [1, 2]), ("rnn.weight_hh_l0", [1, 1]),
                                         ("out.weight", [3, 1]), (name, [1])])
        defer { unlink(path) }
        #expect(try Checkpoint.read(path: path).tensors.last?.name == name)
        let listing = try MeasuredRun.kru(["convert", path, "--list"])
        #expect(listing.status == 0, "\(listing.stderr)")
        #expect(!listing.stdout.contains("\u{1b}") && listing.stdout.contains("x.\\u{1b}[31mred\\nline"),
                "\(listing.stdout)")

        let map = FileManager.default.temporaryDirectory
            .appendingPathComponent("kru-escape-\(UUID().uuidString).json").path
        try Data(("{\"embedding\": null, \"recurrent_prefix\": \"\\u001b[2J\", "
                  + "\"readout_weight\": \"x\", \"readout_bias\": null}").utf8)
            .write(to: URL(fileURLWithPath: map))
        defer { unlink(map) }
        let result = try MeasuredRun.kru(["convert", path, "--list", "--map", map])
        #expect(result.status == 65)
        #expect(!result.stderr.contains("\u{1b}") && result.stderr.contains("\\u{1b}[2J"),
                "\(result.stderr.debugDescription)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    /// A safetensors file of float32 zeros with these names and shapes.
    private static func safetensors(_ tensors: [(String, [Int])]) throws -> String {
        var offset = 0
        let entries = tensors.map { name, shape -> String in
            let bytes = 4 * shape.reduce(1, *)
            defer { offset += bytes }
            let escaped = name.unicodeScalars.map {
                $0.value < 0x20 ? String(format: "\\u%04x", $0.value) : String($0)
            }.joined()
            return "\"\(escaped)\":{\"dtype\":\"F32\",\"shape\":\(shape),"
                + "\"data_offsets\":[\(offset),\(offset + bytes)]}"
        }
        let header = "{" + entries.joined(separator: ",") + "}"
        let bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) } + Array(header.utf8)
            + [UInt8](repeating: 0, count: offset)
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("kru-escape-\(UUID().uuidString).safetensors").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func helpDiscussionsAreWrappedNotBrokenByHand() throws {
        for command in ["inspect", "convert", "params", "score", "run", "zoo"] {
            let help = try MeasuredRun.kru([command, "--help"])
            #expect(help.status == 0)
            // ArgumentParser wraps at 80 columns; a hand-made break would leave a much shorter line mid-paragraph.
            let discussion = help.stdout.components(separatedBy: "\n\n").dropFirst().first ?? ""
            let lines = discussion.split(separator: "\n")
            #expect(lines.dropLast().allSatisfy { $0.count > 60 }, "kru \(command) --help:\n\(discussion)")
        }
    }

    @Test func enumerationsListTheirValuesAndCompletionCompletesFiles() throws {
        let help = try MeasuredRun.kru(["convert", "--help"])
        #expect(help.stdout.contains("values: tanh, relu"))
        let bash = try MeasuredRun.kru(["--generate-completion-script", "bash"])
        #expect(bash.status == 0)
        // The convert command's checkpoint argument completes any file, -o only .kru files (and directories).
        let convert = try #require(bash.stdout.components(separatedBy: "_kru_convert() {").dropFirst().first?
            .components(separatedBy: "\n}\n").first)
        #expect(convert.contains("'--output'|'-o')\n        __kru_add_completions -o plusdirs -fX '!*.@(kru)'"))
        #expect(convert.contains("1)\n        __kru_add_completions -f"))
        let zsh = try MeasuredRun.kru(["--generate-completion-script", "zsh"])
        #expect(zsh.stdout.contains("_files"))
    }

    /// The README's commands, on the fixtures: each succeeds (status 0, nothing on standard error) and reports
    /// (all but `kru run`, which writes a file).
    @Test(arguments: [
        "inspect \(lstm)", "inspect --json \(lstm)", "score \(lstm) $S/text.txt --compare \(lstm) --json",
        "params \(lstm)", "params --factors 2x2x2x2x2x2x2x2x2 --input 1 --output 10 --paper-terms",
        "run \(lstm) --input $S/ids.npy --output $S/readme-logits.npy",
        "convert \(BadInputTests.checkpoint) --list", "convert \(BadInputTests.checkpoint) --list --json",
        "convert \(BadInputTests.checkpoint) --factors 2x3 --vocab-text $S/text.txt -o $S/readme-small.kru "
            + "--eval $S/text.txt",
        "zoo",
    ])
    func readmeCommandsSucceed(invocation: String) throws {
        let arguments = invocation.replacingOccurrences(of: "$S", with: BadInputTests.scratch.path)
            .split(separator: " ")
        let result = try MeasuredRun.kru(arguments.map(String.init))
        #expect(result.status == 0 && result.stderr.isEmpty, "kru \(invocation): \(result.stderr)")
        #expect(result.stdout.isEmpty == invocation.hasPrefix("run "), "kru \(invocation)")
    }

    @Test func runAcceptsTheShortOutputFlag() throws {
        let output = BadInputTests.scratch.appendingPathComponent("short-\(UUID().uuidString).npy").path
        let result = try MeasuredRun.kru(["run", Self.lstm, "--input", BadInputTests.scratch.path + "/ids.npy",
                                          "-o", output])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try NumPyArray.read(path: output).shape == [2, 3, 7])
    }
}
