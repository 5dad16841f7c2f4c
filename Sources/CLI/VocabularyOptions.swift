import ArgumentParser
import Foundation
import KRUConvert
import KRUInference

extension TokenizerKind: ExpressibleByArgument {}
extension VocabularySource.Preset: ExpressibleByArgument {}

/// `kru convert`'s vocabulary options: where the tokens come from and how text becomes them (spec/MODEL.md §4.2).
struct VocabularyOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Vocabulary: a JSON array of strings, or a text with one token per line.",
                               valueName: "file"), completion: .file(extensions: ["json", "txt"]))
    var vocab: String?
    @Option(help: ArgumentHelp("Vocabulary: the sorted distinct characters of this text (Python's sorted(set(text))); "
                               + "- reads standard input."), completion: .file())
    var vocabText: String?
    @Option(help: ArgumentHelp("Vocabulary: the words of a corpus in order of first appearance, as "
                               + "word_language_model's Dictionary numbers them; a folder means its train.txt, "
                               + "valid.txt and test.txt. Repeat for several files. Implies --tokenizer words.",
                               valueName: "path"), completion: .file())
    var vocabCorpus: [String] = []
    @Option(help: ArgumentHelp("Vocabulary: a well-known set — printable (Python's string.printable, char-rnn's) or "
                               + "bytes (the 256 bytes, --tokenizer bytes)."))
    var vocabPreset: VocabularySource.Preset?
    @Option(help: ArgumentHelp("How text becomes tokens: characters, words (word_language_model: whitespace-separated, "
                               + "<eos> at each line end) or bytes (UTF-8). Default: from the vocabulary source; for "
                               + "--vocab, characters if every entry is one character, else words."))
    var tokenizer: TokenizerKind?

    /// The input files these options read (so that the output is never one of them).
    var inputs: [String?] { [vocab, vocabText] + vocabCorpus.map { $0 } }

    func validate() throws {
        let sources = [vocab != nil, vocabText != nil, !vocabCorpus.isEmpty, vocabPreset != nil].filter { $0 }.count
        guard sources <= 1 else {
            throw ValidationError("give one of --vocab, --vocab-text, --vocab-corpus and --vocab-preset")
        }
        let implied: TokenizerKind? = vocabText != nil ? .characters : !vocabCorpus.isEmpty ? .words
            : vocabPreset.map { $0 == .bytes ? .bytes : .characters }
        if let tokenizer, let implied, tokenizer != implied {
            throw ValidationError("--tokenizer \(tokenizer.rawValue) contradicts the vocabulary source, which gives "
                                  + "\(implied.rawValue) tokens")
        }
    }

    /// The vocabulary these options give, else the one stored in `checkpoint`.
    func resolve(checkpoint: Checkpoint, path: String) throws -> Vocabulary {
        if let vocab {
            try requireExisting(vocab)
            return try reporting {
                if let tokenizer { return try VocabularySource.file(vocab, tokenizer: tokenizer) }
                do {
                    return try VocabularySource.file(vocab, tokenizer: .characters)
                } catch {
                    return try VocabularySource.file(vocab, tokenizer: .words)
                }
            }
        }
        if let vocabText { return VocabularySource.characters(of: try readText(vocabText)) }
        if !vocabCorpus.isEmpty {
            let texts = try vocabCorpus.flatMap(VocabularySource.corpusFiles).map(readText)
            return try reporting { try VocabularySource.words(ofCorpus: texts) }
        }
        if let vocabPreset { return vocabPreset.vocabulary }
        if let stored = VocabularySource.checkpoint(checkpoint) { return stored }
        let hint = VocabularySource.hint(for: checkpoint).map { " (\($0))" } ?? ""
        throw CLIError(.dataError, "\(path): the checkpoint stores no vocabulary; give --vocab, --vocab-text, "
                           + "--vocab-corpus or --vocab-preset\(hint)")
    }
}
