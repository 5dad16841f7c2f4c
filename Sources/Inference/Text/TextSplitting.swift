/// How texts are cut into the pieces tokenizers look up (spec/MODEL.md §4.2): lines, words and UTF-8 bytes.
public enum TextSplitting {
    /// The scalars Python's `str.split()` splits on — what word_language_model splits a line on.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x1F, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F,
             0x3000:
            true
        default:
            false
        }
    }

    /// The `words` pieces of `text`: for each line (cut at `\r\n`, `\n` or `\r`; a last line without an end is
    /// still a line), its maximal runs of non-whitespace scalars, then `<eos>` — word_language_model's
    /// `line.split() + ['<eos>']` over a file read with universal newlines.
    /// - Parameters:
    ///   - text: the text to split.
    ///   - closingLastLine: false for a text that goes on (a prime to continue): its last line gets its
    ///     `<eos>` only from a line end of its own.
    public static func words(_ text: String, closingLastLine: Bool = true) -> [String] {
        var words: [String] = []
        var word = String.UnicodeScalarView()
        var lineOpen = false  // a line has started and not yet ended
        var afterCarriageReturn = false
        func endWord() {
            if !word.isEmpty {
                words.append(String(word))
                word = String.UnicodeScalarView()
            }
        }
        for scalar in text.unicodeScalars {
            if scalar == "\n" && afterCarriageReturn {  // the \n of \r\n: that line has ended already
                afterCarriageReturn = false
                continue
            }
            afterCarriageReturn = scalar == "\r"
            if scalar == "\n" || scalar == "\r" {
                endWord()
                words.append(Vocabulary.endOfLine)
                lineOpen = false
            } else if isWhitespace(scalar) {
                endWord()
                lineOpen = true
            } else {
                word.append(scalar)
                lineOpen = true
            }
        }
        endWord()
        if lineOpen && closingLastLine { words.append(Vocabulary.endOfLine) }
        return words
    }
}
